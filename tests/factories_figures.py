"""A hand-counted quarter of records for the figures' tests (issue 15): every edge the figures must get right."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from blocking.models import BlockOrder, ComplianceAlert, ComplianceCheck, OrderRecipient
from notices.models import Notice, NoticeItem, Rebuttal, Sanction
from tests.factories import CaseFactory, CategoryFactory, FlaggedItemFactory, PlatformFactory, make_user
from tests.factories_blocking import ISPFactory
from tests.factories_notices import ladder, normal_category
from tracker.imports.models import ItemImport
from tracker.reports.periods import Period

JAKARTA = ZoneInfo("Asia/Jakarta")
Q4 = Period(datetime(2026, 10, 1).date(), datetime(2026, 12, 31).date(), JAKARTA)
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
HOUR = 3600


def at(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def figures_world() -> dict:
    """Two platforms' notices, three block orders to two ISPs, compliance checks and an import, in Q4 2026."""
    policy = ladder()
    steps = {step.position: step for step in policy.steps.all()}
    first_step, second_step = min(steps), sorted(steps)[1]
    telegram = PlatformFactory(slug="telegram", name="Telegram")
    other = PlatformFactory(slug="other", name="Other")
    terrorism, gambling = CategoryFactory(), normal_category()
    analyst = make_user("analyst")
    liaison = make_user("liaison_officer", username="lia")
    telegram_case = CaseFactory(platform=telegram, owner=liaison)
    other_case = CaseFactory(platform=other, owner=liaison)
    references = iter(range(1, 100))

    def notice(case, *, sent, hours, status, step=first_step, answered=None):
        return Notice.objects.create(
            reference=f"N-{next(references)}",
            case=case,
            step=steps[step],
            status=status,
            urgency="urgent",
            subject="s",
            body="b",
            legal_basis="l",
            sent_at=sent,
            deadline_at=sent + timedelta(hours=hours),
            answered_at=answered,
        )

    def entry(of, *, category, outcome="", outcome_at=None, logged=None):
        item = FlaggedItemFactory(
            platform=of.case.platform, category=category, logged_by=analyst, logged_at=logged or at(10, 2)
        )
        return NoticeItem.objects.create(
            notice=of,
            item=item,
            canonical=item.canonical,
            display=item.display,
            category=category.slug,
            legal_basis="l",
            urgency="urgent",
            outcome=outcome,
            outcome_at=outcome_at,
        )

    n1 = notice(telegram_case, sent=at(10, 5), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 7))
    entry(n1, category=terrorism, outcome="removed", outcome_at=at(10, 6))  # exactly at the deadline: in time
    entry(n1, category=terrorism, outcome="restricted", outcome_at=at(10, 7))  # a day late
    refused = entry(n1, category=gambling, outcome="refused", outcome_at=at(10, 5, 12))
    Rebuttal.objects.create(
        notice_item=refused, received_at=at(10, 5, 12), reasons="r", recorded_by=liaison, decision="withdrawn"
    )
    n2 = notice(telegram_case, sent=at(11, 1), hours=24, status=Notice.Status.SENT, step=second_step)
    entry(n2, category=gambling)  # unanswered, its deadline past: overdue now
    # 30 September 17:00 UTC is 1 October 00:00 in Jakarta: inside the period.
    n3 = notice(telegram_case, sent=at(9, 30, 17), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 1, 1))
    entry(n3, category=gambling, outcome="removed", outcome_at=at(10, 1, 1))
    # One minute earlier in UTC is 30 September in Jakarta: outside.
    n0 = notice(telegram_case, sent=at(9, 30, 16, 59), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 1))
    entry(n0, category=gambling, outcome="removed", outcome_at=at(10, 1))
    n4 = notice(other_case, sent=at(10, 10), hours=24, status=Notice.Status.LAPSED)
    entry(n4, category=terrorism)
    Sanction.objects.create(
        case=telegram_case, notice=n2, amount=1000, imposed_at=at(11, 15), state=Sanction.State.PAID
    )
    Sanction.objects.create(case=telegram_case, amount=1000, imposed_at=at(9, 1))

    isp_x, isp_y = ISPFactory(name="ISP X"), ISPFactory(name="ISP Y")
    supervisor = make_user("supervisor")
    orders = iter(range(1, 100))

    def order(*, issued, ended=None, kind=BlockOrder.Kind.BLOCK):
        return BlockOrder.objects.create(
            reference=f"O-{next(orders)}",
            kind=kind,
            status=BlockOrder.Status.LIFTED if ended else BlockOrder.Status.IN_FORCE,
            justification="j",
            legal_basis="l",
            effective_at=issued,
            proposed_by=supervisor,
            issued_at=issued,
            ended_at=ended,
        )

    def recipient(of, isp, *, acknowledged=None, implemented=None, reminders=0):
        issued = of.issued_at
        return OrderRecipient.objects.create(
            order=of,
            isp=isp,
            acknowledge_due_at=issued + timedelta(hours=6),
            implement_due_at=issued + timedelta(hours=24),
            acknowledged_at=acknowledged,
            implemented_at=implemented,
            reminders_sent=reminders,
        )

    o1 = order(issued=at(10, 20))
    recipient(o1, isp_x, acknowledged=at(10, 20, 6), implemented=at(10, 21, 5), reminders=1)  # ack on the dot
    lifted_recipient = recipient(o1, isp_y, acknowledged=at(10, 20, 9), implemented=at(10, 20, 12))
    o2 = order(issued=at(11, 10), ended=at(11, 10, 2))  # lifted before anyone acknowledged
    recipient(o2, isp_x)
    recipient(o2, isp_y)
    o3 = order(issued=at(11, 20))
    recipient(o3, isp_x)  # never acknowledged, still in force: missed
    for result, when in [("compliant", at(10, 22)), ("compliant", at(11, 2)), ("non_compliant", at(11, 3))]:
        ComplianceCheck.objects.create(
            isp=isp_x, resolver="r", name="t.me", expected="blocked", result=result, serial=1, checked_at=when
        )
    ComplianceCheck.objects.create(
        isp=isp_x, resolver="r", name="t.me", expected="blocked", result="error", serial=1, checked_at=at(11, 4)
    )
    ComplianceCheck.objects.create(
        isp=isp_x, resolver="r", name="t.me", expected="blocked", result="compliant", serial=1, checked_at=at(9, 4)
    )
    ComplianceAlert.objects.create(
        recipient=lifted_recipient, problem="still_blocking", first_seen_at=at(11, 5), last_seen_at=at(11, 5)
    )
    ItemImport.objects.create(
        created_by=analyst, source_name="f.csv", stored_path="x", total_rows=10, imported_count=7, rejected_count=3
    )
    return {"telegram": telegram, "isp_x": isp_x, "isp_y": isp_y}
