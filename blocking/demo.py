"""Demo data: the ISPs, and the order of 14 July 2017, 11:30 WIB, to block Telegram's 11 DNS names (web
service), acknowledged by the ISPs; then its lift of 10 August 2017.

Both are orders of the past, recorded afterwards with their real times (services.record_past_order) and
approved by a second supervisor: they take their place in the blocklist's history (the list as of 20 July
2017 holds the 11 names) and were never mailed from here. The lift is recorded before the block is
approved, so today's list never holds the names. Safe to run twice.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group

from platforms.demo import TELEGRAM_NAMES
from tracker.accounts import second_factor
from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.actors import DEMO
from tracker.core.demo import DEMO_PASSWORD
from tracker.core.models import AuditEntry, Role, User

from . import services
from .models import ISP, BlockOrder, BlockProposal, ISPAccount, OrderRecipient

WIB = ZoneInfo("Asia/Jakarta")
DEMO_ISPS = [
    ("Telkom Indonesia", "DEMO-ISP-001", "noc@telkom.example", "isp_telkom"),
    ("Indosat Ooredoo", "DEMO-ISP-002", "noc@indosat.example", "isp_indosat"),
    ("XL Axiata", "DEMO-ISP-003", "noc@xl.example", "isp_xl"),
    ("Biznet", "DEMO-ISP-004", "noc@biznet.example", ""),
    ("First Media", "DEMO-ISP-005", "noc@firstmedia.example", ""),
]
MARKER = "[demo] Telegram 2017"


def at(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=WIB)


def load(stdout) -> None:
    isps = []
    for name, licence, email, username in DEMO_ISPS:
        isp, _ = ISP.objects.get_or_create(
            name=name, defaults={"licence_number": licence, "contact_email": email, "contact_name": "NOC"}
        )
        isps.append(isp)
        if username:
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": name, "email": email})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=Role.ISP))
            ISPAccount.objects.get_or_create(user=user, defaults={"isp": isp})
    stdout.write(f"Demo ISPs: {len(isps)} (API accounts isp_telkom, isp_indosat, isp_xl)")

    case = Case.objects.filter(platform__name__iexact="Telegram").order_by("opened_at").first()
    existing = BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK, justification__startswith=MARKER).first()
    if existing is not None:
        _link_notices_later(existing, case, stdout)
        return
    proposer = User.objects.filter(username="supervisor").first()
    approver = User.objects.filter(username="supervisor2").first()
    if case is None or proposer is None or approver is None:
        stdout.write("No Telegram case or demo supervisors: the 2017 block order is not loaded.")
        return
    proposer, approver = User.objects.get(pk=proposer.pk), User.objects.get(pk=approver.pk)

    proposal = BlockProposal.objects.filter(case=case, status=BlockProposal.Status.OPEN).first()
    if proposal is None:
        proposal = services.propose_block(
            case=case, reason="Six notices (29 March 2016 - 11 June 2017) delivered, none answered", actor=proposer
        )
    BlockProposal.objects.filter(pk=proposal.pk).update(proposed_at=at("2017-07-13", "15:00"))

    notices = list(_notices_behind(case))
    legal_basis = "Law 11/2008 on Electronic Information and Transactions as amended by Law 19/2016, art. 40(2a)-(2b)"
    order = services.record_past_order(
        actor=proposer,
        names=TELEGRAM_NAMES,
        justification=f"{MARKER}: channels spreading radicalism and terrorism; six notices unanswered; waited "
        "until 13 July for any sign of good faith.",
        legal_basis=legal_basis,
        proposal=proposal,
        # The six emails as notices.demo records them; this text only if that demo is not there.
        notices=notices,
        notice_references="" if notices else "six notices, 29 March 2016 - 11 June 2017",
        effective_at=at("2017-07-14", "11:30"),
    )
    lift = services.record_past_order(
        actor=proposer,
        block_order=order,
        justification=f"{MARKER}: Telegram's CEO apologised on 16 July 2017, set up a government channel and "
        "trusted-flagger handling; the web service is unblocked.",
        legal_basis=legal_basis,
        effective_at=at("2017-08-10", "12:00"),
    )
    # The demo's supervisors have no phone: recovery codes are their second factor (printed by load_demo).
    codes = second_factor.issue_recovery_codes(actor=DEMO, user=approver, count=2)
    for recorded in (lift, order):  # the lift first: approving the block puts both in force at their times
        services.submit_for_approval(order=recorded, actor=proposer)
        services.approve_order(order=recorded, actor=approver, password=DEMO_PASSWORD, otp_code=codes.pop())
    _isp_reports(order, "2017-07-14")
    _isp_reports(lift, "2017-08-10")
    stdout.write(
        f"Demo orders: {order.reference} (11 Telegram names, 14 July 2017 11:30 WIB), lifted by {lift.reference}"
    )


def _notices_behind(case):
    """The notices of the demo case sent before the order was drafted (notices.demo records six), oldest first."""
    return services.notices_behind(case).filter(sent_at__lt=at("2017-07-13", "16:00"))


def _link_notices_later(order: BlockOrder, case, stdout) -> None:
    """An order loaded before notices.demo existed gets its notices once they are there."""
    if case is None or order.notices.exists():
        return
    notices = list(_notices_behind(case))
    if not notices:
        return
    order.notices.set(notices)
    order.notice_references = ""
    order.save(update_fields=["notice_references"])
    audit.record(
        obj=order,
        action=AuditEntry.Action.CHANGE,
        actor=DEMO,
        changes={"notices": [None, [notice.reference for notice in notices]]},
        reason="demo: the notices recorded since the order was loaded",
    )
    stdout.write(f"Demo order {order.reference}: linked to {len(notices)} notices")


def _isp_reports(order: BlockOrder, day: str) -> None:
    """Mail went out at issue (from the ministry's mail, so no delivery evidence is held here); the ISPs with
    API accounts acknowledged and reported within hours."""
    # History, not work: the sweep must not chase ISPs about 2017 today.
    OrderRecipient.objects.filter(order=order).update(next_action_at=None)
    for hour, recipient in zip(
        ("12:10", "12:40", "13:15"), order.recipients.filter(isp__accounts__isnull=False), strict=False
    ):
        user = recipient.isp.accounts.first().user
        services.acknowledge_order(recipient=recipient, actor=user, now=at(day, hour))
        services.report_implemented(recipient=recipient, actor=user, now=at(day, "15:00"))
