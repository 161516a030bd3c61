"""Writes and transitions of block proposals, block and lift orders, ISP reports and the blocklist.

Every function here is the one door for its change: the UI, the API, the tasks and the demo all call them.
Each runs in one transaction and writes its audit entry in it; mail goes out after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import delivery
from notices.models import EscalationPolicy, Notice, Notification
from notices.notifications import notify
from tracker.accounts import second_factor
from tracker.cases.models import Case
from tracker.core import audit, queueing
from tracker.core.actors import BLOCKING_SCHEDULE, is_system
from tracker.core.deadlines import DeadlineRule, compute_deadline
from tracker.core.dns_names import BlockedName, parse_names
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state

from . import blocklist, mail, zone_transfer
from .models import (
    ISP,
    BlocklistPeriod,
    BlocklistVersion,
    BlockOrder,
    BlockProposal,
    ISPAccount,
    OrderName,
    OrderRecipient,
)

Status = BlockOrder.Status

CHUNK = 5000


# --- ISP deadlines ----------------------------------------------------------------------------------


def deadline_rules() -> tuple[DeadlineRule, DeadlineRule]:
    """The rules by which an ISP must acknowledge an order and report it implemented, counted from issue.

    Minutes from settings BLOCKING_ACK_DEADLINE and BLOCKING_IMPLEMENT_DEADLINE; calendar time, or office
    hours with public holidays if BLOCKING_DEADLINE_BUSINESS_HOURS.
    The time zone and holiday calendar are BLOCKING_DEADLINE_TIME_ZONE / BLOCKING_DEADLINE_HOLIDAY_COUNTRY
    if set, else the default escalation policy's, so ISPs and platforms are held to one national calendar.
    """
    policy = EscalationPolicy.objects.filter(is_default=True).values("time_zone", "holiday_country").first()
    return rules_from_settings(policy or {})


def rules_from_settings(policy: dict) -> tuple[DeadlineRule, DeadlineRule]:
    """`deadline_rules()` with the default policy's time zone and holiday country given (raises InvalidDeadlineRule)."""
    common = {
        "business_hours": settings.BLOCKING_DEADLINE_BUSINESS_HOURS,
        "time_zone": settings.BLOCKING_DEADLINE_TIME_ZONE or policy.get("time_zone") or "Asia/Jakarta",
        "holiday_country": settings.BLOCKING_DEADLINE_HOLIDAY_COUNTRY or policy.get("holiday_country") or "ID",
    }
    return (
        DeadlineRule(minutes=settings.BLOCKING_ACK_DEADLINE, **common),
        DeadlineRule(minutes=settings.BLOCKING_IMPLEMENT_DEADLINE, **common),
    )


def isp_reminders() -> list[timedelta]:
    """How long before each ISP deadline the ISP and the staff are reminded, furthest first (setting in minutes)."""
    minutes = settings.BLOCKING_ISP_REMINDERS
    return [timedelta(minutes=value) for value in sorted(set(minutes), reverse=True) if value > 0]


@dataclass(frozen=True)
class ChaseStep:
    """One moment an ISP is chased: a reminder `before` one of its deadlines, or the deadline itself."""

    at: datetime
    deadline: str  # "acknowledge" or "implement"
    before: timedelta

    @property
    def kind(self) -> str:
        if self.before:
            return f"{self.deadline}_soon"
        return "acknowledge_late" if self.deadline == "acknowledge" else "escalated"

    def is_moot(self, recipient: OrderRecipient) -> bool:
        """The ISP already did what this step would chase."""
        if self.deadline == "acknowledge":
            return recipient.acknowledged_at is not None or recipient.implemented_at is not None
        return recipient.implemented_at is not None


def chase_schedule(recipient: OrderRecipient) -> list[ChaseStep]:
    steps = []
    for deadline, due in (("acknowledge", recipient.acknowledge_due_at), ("implement", recipient.implement_due_at)):
        steps += [ChaseStep(due - before, deadline, before) for before in isp_reminders()]
        steps.append(ChaseStep(due, deadline, timedelta()))
    return sorted(steps, key=lambda step: (step.at, step.deadline != "acknowledge"))


def _steps_pending(recipient: OrderRecipient) -> list[ChaseStep]:
    after = recipient.chased_until
    return [
        step for step in chase_schedule(recipient) if (after is None or step.at > after) and not step.is_moot(recipient)
    ]


def propose_block(*, case: Case, reason: str, actor) -> BlockProposal:
    """Open a block proposal for the case, or return the one already open (safe to call twice).

    Who may: a supervisor (who may make block orders), or the system when the escalation ladder runs out.
    """
    require_permission(actor, "blocking.add_blockorder", system_may=True)
    existing = BlockProposal.objects.filter(case=case, status=BlockProposal.Status.OPEN).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            proposal = BlockProposal.objects.create(
                case=case,
                reason=reason,
                proposed_by=None if is_system(actor) else actor,
                proposed_by_label=actor.get_username(),
            )
            audit.record(obj=proposal, action=AuditEntry.Action.CREATE, actor=actor, reason=reason)
    except IntegrityError:
        # Another worker opened it between our check and our insert.
        return BlockProposal.objects.get(case=case, status=BlockProposal.Status.OPEN)
    return proposal


def propose_block_when_ladder_runs_out(sender, *, notice, reason: str, actor, now, **kwargs) -> BlockProposal:
    """The receiver of notices' `ladder_exhausted`: propose the block and tell the case's owner."""
    case = notice.case
    proposal = propose_block(case=case, reason=reason, actor=actor)
    notify(
        case.owner,
        kind=Notification.Kind.BLOCK_PROPOSED,
        case=case,
        notice=notice,
        title=_("%(case)s: block proposed after %(reference)s lapsed") % {"case": case, "reference": notice.reference},
        body=proposal.reason,
        now=now,
    )
    return proposal


def dismiss_proposal(*, proposal: BlockProposal, actor, reason: str) -> BlockProposal:
    require_permission(actor, "blocking.add_blockorder")
    with transaction.atomic():
        change_state(
            proposal,
            to=BlockProposal.Status.DISMISSED,
            actor=actor,
            reason=reason,
            refusal=_("This proposal is no longer open."),
        )
    return proposal


def prefill_names(*, proposal: BlockProposal | None = None, case: Case | None = None) -> list[str]:
    """The platform's owned DNS names, as a block order would list them."""
    case = case or (proposal.case if proposal else None)
    if case is None:
        return []
    return list(case.platform.domains.order_by("name").values_list("name", flat=True))


# --- orders -----------------------------------------------------------------------------------


def create_block_order(
    *,
    actor,
    names,
    justification: str,
    legal_basis: str,
    effective_at: datetime,
    ends_at: datetime | None = None,
    case: Case | None = None,
    proposal: BlockProposal | None = None,
    notice_references: str = "",
    notices=None,
    isps: list[ISP] | None = None,
    now: datetime | None = None,
    recorded: bool = False,
) -> BlockOrder:
    """A draft block order. `isps=None` binds every active ISP at issue; `names` is text or a list of lines.

    `notices` are the notices behind it, all of the order's case; `None` means, for an order made from a
    proposal, every notice sent in the proposal's case (else none). Notices given without a case name it.
    """
    require_permission(actor, "blocking.add_blockorder")
    parsed = parse_names(names)
    if proposal is not None and case is None:
        case = proposal.case
    if notices is None:
        notices = list(notices_behind(case)) if proposal is not None else []
    case = _check_notices(list(notices), case)
    with transaction.atomic():
        if proposal is not None:
            proposal = BlockProposal.objects.select_for_update().get(pk=proposal.pk)
            if proposal.status != BlockProposal.Status.OPEN:
                raise TransitionNotAllowed(_("This proposal was already turned into an order or dismissed."))
        order = _create_order(
            kind=BlockOrder.Kind.BLOCK,
            actor=actor,
            names=parsed,
            justification=justification,
            legal_basis=legal_basis,
            effective_at=effective_at,
            ends_at=ends_at,
            case=case,
            proposal=proposal,
            notice_references=notice_references,
            notices=notices,
            isps=isps,
            now=now,
            recorded=recorded,
        )
        if proposal is not None:
            refusal = _("This proposal is no longer open.")
            change_state(
                proposal, to=BlockProposal.Status.ORDERED, actor=actor, reason=order.reference, refusal=refusal
            )
    return order


def create_lift_order(
    *,
    actor,
    justification: str,
    legal_basis: str,
    effective_at: datetime,
    block_order: BlockOrder | None = None,
    names=None,
    ends_at: datetime | None = None,
    isps: list[ISP] | None = None,
    now: datetime | None = None,
    recorded: bool = False,
) -> BlockOrder:
    """A draft lift of a block order in force: some or all of the names in force through it (default: all),
    for some or all of the ISPs it was issued to (default: exactly those; never another ISP).

    With `ends_at`, the lift holds only until then: at that time the names are blocked again for those ISPs
    (services.end_order). `recorded`: a lift of the past (see `record_past_order`).
    """
    require_permission(actor, "blocking.add_blockorder")
    now = now or timezone.now()
    if block_order is None or block_order.kind != BlockOrder.Kind.BLOCK:
        message = _("Name the block order this lift ends.")
        raise DomainError(message, fields={"block_order": [message]})
    block = BlockOrder.objects.get(pk=block_order.pk)
    waiting = recorded and block.recorded_afterwards and block.status in LIFTABLE_LATER
    if block.status != Status.IN_FORCE and not waiting:
        message = _("%(order)s is not in force, so it cannot be lifted.") % {"order": block.reference}
        raise TransitionNotAllowed(message, fields={"block_order": [message]})
    # A recorded block not yet approved: its lift may lift any of its names.
    liftable = set(block.names.values_list("name", "subtree")) if waiting else blocklist.liftable_names(block)
    if names is None or (isinstance(names, str) and not names.strip()):
        parsed = [BlockedName(name, subtree) for name, subtree in sorted(liftable)]
        if not parsed:
            raise DomainError(_("None of this order's names is in force."), fields={"names": [_("none in force")]})
    else:
        parsed = parse_names(names)
    missing = [name for name in parsed if (name.name, name.subtree) not in liftable]
    if missing:
        message = _("Not in force, so cannot be lifted: %(names)s") % {"names": ", ".join(map(str, missing[:20]))}
        raise DomainError(message, fields={"names": [message]})
    bound = list(isps_bound_by(block))
    if isps is None:
        isps = bound
    strangers = [isp for isp in isps if isp.pk not in {each.pk for each in bound}]
    if strangers:
        message = _("%(order)s does not bind %(isps)s: a lift binds only ISPs the block bound.") % {
            "order": block.reference,
            "isps": ", ".join(isp.name for isp in strangers),
        }
        raise DomainError(message, fields={"isps": [message]})
    if not isps and bound:
        raise DomainError(_("Choose the ISPs the lift is for."), fields={"isps": [_("Choose the ISPs.")]})
    if recorded and effective_at is not None:
        _check_recorded_lift_time(block, parsed, effective_at, waiting=waiting)
    with transaction.atomic():
        return _create_order(
            kind=BlockOrder.Kind.LIFT,
            actor=actor,
            names=parsed,
            justification=justification,
            legal_basis=legal_basis,
            effective_at=effective_at,
            ends_at=ends_at,
            case=block.case,
            lifts=block,
            isps=isps,
            now=now,
            recorded=recorded,
        )


# A recorded block order may be lifted by a recorded lift before it is approved, so that both take their place
# in history without the names ever appearing in the list of today.
LIFTABLE_LATER = {Status.DRAFT, Status.AWAITING_APPROVAL, Status.APPROVED}


def _check_recorded_lift_time(block: BlockOrder, names: list[BlockedName], effective_at: datetime, *, waiting):
    """A past lift takes effect after its block did, and after the last change of the names it lifts."""
    if waiting:
        latest = block.effective_at
    else:
        latest = block.in_force_at
        for chunk in _chunks(names):
            since = BlocklistPeriod.objects.filter(
                order=block, until_serial__isnull=True, name__in={name.name for name in chunk}
            ).aggregate(latest=Max("since"))["latest"]
            latest = max(latest, since) if since else latest
    if latest is not None and effective_at < latest:
        message = _("The lift cannot take effect before %(at)s, when the block last changed for these names.") % {
            "at": latest.isoformat()
        }
        raise DomainError(message, fields={"effective_at": [message]})


def isps_bound_by(order: BlockOrder):
    """The ISPs an order binds: those it was issued to; before issue, those it names (or every active ISP)."""
    if order.issued_at is not None:
        return ISP.objects.filter(orders_received__order=order).order_by("name")
    if order.binds_all_isps:
        return ISP.objects.filter(is_active=True).order_by("name")
    return order.isps.order_by("name")


def record_past_order(
    *,
    actor,
    names=None,
    justification: str,
    legal_basis: str,
    effective_at: datetime,
    ends_at: datetime | None = None,
    block_order: BlockOrder | None = None,
    isps: list[ISP] | None = None,
    case: Case | None = None,
    proposal: BlockProposal | None = None,
    notices=None,
    notice_references: str = "",
    now: datetime | None = None,
) -> BlockOrder:
    """A draft of a block order (or, with `block_order`, a lift) given outside the tracker, with its real times.

    It goes through the same steps as any order (submitted, approved by a second supervisor) and, once
    approved, is put in force and ended at its real times (`effective_at`, `ends_at`), taking its place in
    the blocklist's history; it is never mailed to an ISP. A recorded lift of a recorded block may be drafted
    before the block is approved: approving the block then puts both in force at once, so names lifted long
    ago never appear in today's list. Only this path takes an effective time in the past.
    """
    if block_order is not None:
        return create_lift_order(
            actor=actor,
            block_order=block_order,
            names=names,
            justification=justification,
            legal_basis=legal_basis,
            effective_at=effective_at,
            ends_at=ends_at,
            isps=isps,
            now=now,
            recorded=True,
        )
    return create_block_order(
        actor=actor,
        names=names or "",
        justification=justification,
        legal_basis=legal_basis,
        effective_at=effective_at,
        ends_at=ends_at,
        case=case,
        proposal=proposal,
        notices=notices,
        notice_references=notice_references,
        isps=isps,
        now=now,
        recorded=True,
    )


def notices_behind(case: Case | None):
    """The notices of a case that were sent (or recorded as sent), oldest first: what an order may cite."""
    if case is None:
        return Notice.objects.none()
    return Notice.objects.filter(case=case, sent_at__isnull=False).order_by("sent_at", "id")


def _check_notices(notices: list[Notice], case: Case | None) -> Case | None:
    """Refuse notices of another case, or never sent; without a case, the notices' one case is the order's."""
    if not notices:
        return case
    cases = {notice.case_id for notice in notices}
    if case is None and len(cases) == 1:
        case = Case.objects.get(pk=cases.pop())
    problems = []
    if case is None:
        problems.append(_("These notices belong to different cases: name the case of the order."))
    else:
        problems += [
            _("%(reference)s is a notice of another case.") % {"reference": notice.reference}
            for notice in notices
            if notice.case_id != case.pk
        ]
    problems += [
        _("%(reference)s was never sent.") % {"reference": notice.reference}
        for notice in notices
        if notice.sent_at is None
    ]
    if problems:
        raise DomainError(problems[0], fields={"notices": problems})
    return case


def _create_order(
    *, kind, actor, names, effective_at, ends_at, isps, now, notices=(), recorded=False, **fields
) -> BlockOrder:
    now = now or timezone.now()
    problems = {}
    if effective_at is None:
        problems["effective_at"] = [_("Give the time the order takes effect.")]
    elif recorded and effective_at > now:
        problems["effective_at"] = [_("An order of the past cannot take effect in the future.")]
    elif not recorded and effective_at < now - timedelta(minutes=1):
        problems["effective_at"] = [_("The effective time is in the past.")]
    if ends_at is not None and effective_at is not None and ends_at <= effective_at:
        problems["ends_at"] = [_("The end time must come after the effective time.")]
    if kind == BlockOrder.Kind.BLOCK and isps is not None and not isps:
        problems["isps"] = [_("Choose the ISPs bound, or bind every ISP.")]
    if not fields.get("justification", "").strip():
        problems["justification"] = [_("State the justification.")]
    if not fields.get("legal_basis", "").strip():
        problems["legal_basis"] = [_("State the legal basis.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    order = BlockOrder.objects.create(
        reference=f"new-{uuid4().hex}",
        kind=kind,
        proposed_by=actor,
        created_at=now,
        effective_at=effective_at,
        ends_at=ends_at,
        binds_all_isps=isps is None,
        recorded_afterwards=recorded,
        recorded_by=actor if recorded else None,
        recorded_at=now if recorded else None,
        **fields,
    )
    prefix = "BO" if kind == BlockOrder.Kind.BLOCK else "LO"
    order.reference = f"{prefix}-{effective_at.year}-{order.pk:04d}"
    order.save(update_fields=["reference"])
    if isps is not None:
        order.isps.set(isps)
    if notices:
        order.notices.set(notices)
    OrderName.objects.bulk_create(
        [OrderName(order=order, name=name.name, subtree=name.subtree) for name in names], batch_size=CHUNK
    )
    audit.record(
        obj=order,
        action=AuditEntry.Action.CREATE,
        actor=actor,
        at=now,
        changes={
            "names": [None, [str(name) for name in names[:200]]],
            "effective_at": [None, effective_at.isoformat()],
            "isps": [None, "all" if isps is None else [isp.name for isp in isps]],
            **({"notices": [None, [notice.reference for notice in notices]]} if notices else {}),
            **({"ends_at": [None, ends_at.isoformat()]} if ends_at else {}),
            **({"recorded_afterwards": [None, True]} if recorded else {}),
        },
        reason=_("recorded afterwards: an order given outside the tracker, with its real times") if recorded else "",
    )
    return order


def submit_for_approval(*, order: BlockOrder, actor, now=None) -> BlockOrder:
    require_permission(actor, "blocking.add_blockorder")
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.AWAITING_APPROVAL, actor=actor, at=now)
    return order


def approve_order(
    *, order: BlockOrder, actor, password: str, otp_code: str, now=None, schedule: bool = True
) -> BlockOrder:
    """Four eyes: a second supervisor approves, confirming their password and a fresh second-factor code.

    After commit the issue task is queued for the effective time (the sweep catches it too);
    `schedule=False` leaves it to the sweep. An order recorded afterwards is put in force (and ended, if its
    end has passed) at its real times at once, in this transaction, and never mailed.
    """
    require_permission(actor, "blocking.approve_blockorder")
    if actor.pk == order.proposed_by_id:
        raise NotPermitted(_("The supervisor who proposed an order cannot approve it."), code="four_eyes")
    if not password or not actor.check_password(password):
        raise DomainError(_("The password is not correct."), fields={"password": [_("The password is not correct.")]})
    second_factor.require_fresh_code(actor, otp_code)
    now = now or timezone.now()
    with transaction.atomic():
        order = _locked(order)
        recorded = order.recorded_afterwards
        approval = {
            "approved_by": actor,
            "approved_at": now,
            "next_action_at": None if recorded else order.effective_at,
        }
        _move(order, Status.APPROVED, actor=actor, at=now, also=approval)
        order_id, eta = order.pk, order.effective_at
        if recorded:
            _issue_recorded(order, now=now)
            order.refresh_from_db()  # its lifts may have ended it meanwhile
        elif schedule:
            transaction.on_commit(lambda: _queue_issue(order_id, eta))
    return order


def _queue_issue(order_id: int, eta: datetime) -> None:
    from .tasks import issue_order_task

    # The approval is saved; with the queue down the sweep issues the order at its time anyway.
    queueing.queue(issue_order_task.apply_async, args=[order_id], eta=eta, what=f"issuing order {order_id}")


def send_back(*, order: BlockOrder, actor, reason: str) -> BlockOrder:
    require_permission(actor, "blocking.approve_blockorder")
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.DRAFT, actor=actor, reason=reason)
    return order


def withdraw_order(*, order: BlockOrder, actor, reason: str) -> BlockOrder:
    require_permission(actor, "blocking.add_blockorder")
    if not reason.strip():
        raise DomainError(_("Say why the order is withdrawn."), fields={"reason": [_("required")]})
    with transaction.atomic():
        order = _locked(order)
        _move(
            order,
            Status.WITHDRAWN,
            actor=actor,
            reason=reason,
            also={"ended_at": timezone.now(), "next_action_at": None},
        )
        # The recorded lifts that waited for a recorded block have nothing left to lift.
        waiting = BlockOrder.objects.select_for_update().filter(lifts=order, status__in=LIFTABLE_LATER)
        for lift in waiting if order.recorded_afterwards else ():
            reason_for_lift = _("%(block)s withdrawn: %(reason)s") % {"block": order.reference, "reason": reason}
            _move(lift, Status.WITHDRAWN, actor=actor, reason=reason_for_lift, also={"ended_at": timezone.now()})
    return order


def issue_order(*, order_id: int, now=None, notify: bool = True) -> BlockOrder | None:
    """Issue an approved order whose effective time has come, and put it in force. Safe to run twice.

    1. Claim the order (approved, due) with a row lock, skipping one another worker holds.
    2. Make one recipient row per bound ISP, with its deadlines; move the order to in force.
    3. Bring the blocklist in line: a new version, whether or not the national list changes.
    4. After commit, mail the order to each ISP (unless `notify=False`, or the order was recorded afterwards).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = _claim_due_order(order_id, Status.APPROVED, effective_at__lte=now)
        if order is None:
            return None
        if order.recorded_afterwards:
            _issue_recorded(order, now=now)
        else:
            _put_in_force(order, at=now, now=now, notify=notify)
    return order


def _put_in_force(order: BlockOrder, *, at: datetime, now: datetime, notify: bool = True) -> None:
    """Issue an order the caller holds locked, in force from `at` (now, or an order of the past's real time)."""
    recorded = order.recorded_afterwards
    _move(order, Status.ISSUED, actor=BLOCKING_SCHEDULE, at=now, also={"issued_at": at})
    rules = deadline_rules()
    recipients = OrderRecipient.objects.bulk_create(
        [_new_recipient(order, isp, rules, now=at, chase=not recorded) for isp in _isps_to_issue(order)]
    )
    _move(
        order,
        Status.IN_FORCE,
        actor=BLOCKING_SCHEDULE,
        at=now,
        also={"in_force_at": at, "next_action_at": order.ends_at},
    )
    change = blocklist.Change(cause=order, at=at, now=now)
    if order.kind == BlockOrder.Kind.BLOCK:
        change.settle_all(order)
        change.finish()
    else:
        block = _locked(order.lifts)
        change.settle(block, _names_of(order))
        change.finish()
        if order.ends_at is None:  # a lift for some days only suspends the block: it stays in force to resume
            _lift_if_nothing_left(block, at=at, now=now, reason=order.reference)
    if notify and not recorded:
        delivery_ids = mail.create_order_deliveries(order, recipients, now=now)
        transaction.on_commit(lambda: delivery.enqueue(delivery_ids))


def _isps_to_issue(order: BlockOrder):
    """A block binds every active ISP or those it names; a lift, the ISPs it names (an older lift made to bind
    "every ISP", those its block was issued to)."""
    if order.kind == BlockOrder.Kind.LIFT and order.binds_all_isps:
        return isps_bound_by(order.lifts)
    return ISP.objects.filter(is_active=True) if order.binds_all_isps else order.isps.all()


def _names_of(order: BlockOrder) -> list[BlockedName]:
    return [BlockedName(name, subtree) for name, subtree in order.names.values_list("name", "subtree")]


def _issue_recorded(order: BlockOrder, *, now: datetime) -> None:
    """An order of the past, approved: in force from its effective time and ended at its end if that has
    passed, together with the approved recorded lifts that waited for it, in the order of their times.

    Never mailed; a recorded lift whose block is not in force yet waits for it.
    """
    if order.kind == BlockOrder.Kind.LIFT:
        if BlockOrder.objects.filter(pk=order.lifts_id, status__in=LIFTABLE_LATER).exists():
            return  # put in force with its block
        orders = [order]
    else:
        waiting = BlockOrder.objects.select_for_update().filter(
            lifts=order, kind=BlockOrder.Kind.LIFT, status=Status.APPROVED, recorded_afterwards=True
        )
        orders = [order, *waiting.order_by("effective_at", "pk")]
    steps = []
    for rank, each in enumerate(orders):
        steps.append((each.effective_at, 0, rank, each))
        if each.ends_at is not None and each.ends_at <= now:
            steps.append((each.ends_at, 1, rank, each))
    for at, ending, _rank, each in sorted(steps, key=lambda step: step[:3]):
        each = _locked(each)  # an earlier step may have moved it (a lift of all its names ends a block)
        if ending and each.status == Status.IN_FORCE:
            _finish_order(each, at=at, now=now)
        elif not ending and each.status == Status.APPROVED:
            _put_in_force(each, at=at, now=now, notify=False)


def _new_recipient(
    order: BlockOrder, isp: ISP, rules: tuple[DeadlineRule, DeadlineRule], *, now, chase: bool = True
) -> OrderRecipient:
    acknowledge, implement = rules
    recipient = OrderRecipient(
        order=order,
        isp=isp,
        acknowledge_due_at=compute_deadline(now, acknowledge),
        implement_due_at=compute_deadline(now, implement),
        acknowledge_rule=acknowledge.as_dict(),
        implement_rule=implement.as_dict(),
        chased_until=now,  # a reminder due before the order was even issued is not sent
    )
    # An order of the past: history, not work; nobody is chased about it today.
    recipient.next_action_at = next_recipient_action(recipient) if chase else None
    return recipient


def end_order(*, order_id: int, now=None) -> BlockOrder | None:
    """The end time of an order in force has come: a block's names leave the list; a lift's are blocked again
    for the ISPs it was issued to (unless another lift still holds them), and those ISPs are told. Safe to run
    twice."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _claim_due_order(order_id, Status.IN_FORCE, ends_at__lte=now)
        if order is None:
            return None
        _finish_order(order, at=now, now=now)
    return order


def _finish_order(order: BlockOrder, *, at: datetime, now: datetime) -> None:
    """End an order the caller holds in force, at `at`: a new version; a lift's block resumes."""
    if order.kind == BlockOrder.Kind.BLOCK:
        _end(order, at=at, now=now, reason=_("end time reached"))
        change = blocklist.Change(cause=order, at=at, now=now)
        change.settle_all(order)
        change.finish()
        return
    block = _locked(order.lifts)
    _end(order, at=at, now=now, reason=_("end time reached: %(block)s resumes") % {"block": block.reference})
    change = blocklist.Change(cause=order, at=at, now=now)
    change.settle(block, _names_of(order))
    change.finish()
    regained = {isp_id: names for isp_id, names in change.regained.items() if names}
    if regained:
        audit.record(
            obj=block,
            action=AuditEntry.Action.EVENT,
            actor=BLOCKING_SCHEDULE,
            at=now,
            reason=_("blocked again after %(lift)s ended: %(count)s names for %(isps)s ISPs")
            % {
                "lift": order.reference,
                "count": len({n for names in regained.values() for n in names}),
                "isps": len(regained),
            },
        )
        if not order.recorded_afterwards:
            recipients = list(order.recipients.select_related("isp").filter(isp_id__in=regained))
            delivery_ids = mail.create_resumption_deliveries(order, block, recipients, regained, now=now)
            transaction.on_commit(lambda: delivery.enqueue(delivery_ids))
    _lift_if_nothing_left(block, at=at, now=now, reason=order.reference)


def _claim_due_order(order_id: int, status: str, **due) -> BlockOrder | None:
    """Lock the order if it is in `status` and due (`due`: e.g. effective_at__lte=now); None if another
    worker holds it or it is not due, so two sweeps never act on one order."""
    return BlockOrder.objects.select_for_update(skip_locked=True).filter(pk=order_id, status=status, **due).first()


def _end(order: BlockOrder, *, at, now, reason: str) -> None:
    """An order in force ends (lifted) at `at`: nothing more is due for it, and late ISPs are no longer chased."""
    _move(
        order,
        Status.LIFTED,
        actor=BLOCKING_SCHEDULE,
        at=now,
        reason=reason,
        also={"ended_at": at, "next_action_at": None},
    )
    _stop_chasing(order)


def _lift_if_nothing_left(block: BlockOrder, *, at, now, reason: str) -> None:
    """A block order (held locked) with no name in force for any ISP, and no lift of some days that will give
    names back, is lifted. Only the lifted order is looked at: another order's names are its own."""
    if (
        block.status != Status.IN_FORCE
        or BlocklistPeriod.objects.filter(order=block, until_serial__isnull=True).exists()
    ):
        return
    resuming = BlockOrder.objects.filter(
        lifts=block, kind=BlockOrder.Kind.LIFT, status=Status.IN_FORCE, ends_at__isnull=False
    )
    if not resuming.exists():
        _end(block, at=at, now=now, reason=reason)


def _stop_chasing(order: BlockOrder) -> None:
    """An order no longer in force: late ISPs are not reminded of it any more (overdue stays on record)."""
    OrderRecipient.objects.filter(order=order, next_action_at__isnull=False).update(next_action_at=None)


# --- ISP reports -------------------------------------------------------------------------------


def acknowledge_order(*, recipient: OrderRecipient, actor, now=None) -> OrderRecipient:
    return _isp_report(recipient=recipient, actor=actor, field="acknowledged", now=now)


def report_implemented(*, recipient: OrderRecipient, actor, now=None) -> OrderRecipient:
    return _isp_report(recipient=recipient, actor=actor, field="implemented", now=now)


def _isp_report(*, recipient, actor, field: str, now) -> OrderRecipient:
    require_permission(actor, "blocking.acknowledge_blockorder")
    account = getattr(actor, "isp_account", None)
    if account is None or account.isp_id != recipient.isp_id:
        raise NotPermitted(_("Only the ISP the order was sent to can report on it."))
    now = now or timezone.now()
    with transaction.atomic():
        recipient = OrderRecipient.objects.select_for_update().get(pk=recipient.pk)
        if getattr(recipient, f"{field}_at") is not None:
            return recipient  # reported already: the first report stands
        setattr(recipient, f"{field}_at", now)
        setattr(recipient, f"{field}_by", actor)
        if field == "implemented" and recipient.acknowledged_at is None:
            recipient.acknowledged_at, recipient.acknowledged_by = now, actor
        recipient.next_action_at = next_recipient_action(recipient)
        recipient.save()
        audit.record(
            obj=recipient.order,
            action=AuditEntry.Action.EVENT,
            actor=actor,
            at=now,
            reason=f"{recipient.isp.name}: {field}",
        )
    return recipient


def next_recipient_action(recipient: OrderRecipient) -> datetime | None:
    """When the sweep must next look at this ISP: its next reminder or deadline not yet done or moot."""
    pending = _steps_pending(recipient)
    return pending[0].at if pending else None


def chase_recipient(*, recipient_id: int, now=None) -> str | None:
    """Remind or escalate one ISP whose reminder or deadline came; returns "reminded", "escalated" or None.

    1. Claim the row (due, not locked by another worker).
    2. Of the steps due since the last chase and not moot, do the latest only: a sweep that was down does
       not send a backlog of stale reminders.
    3. Record it; notify the order's proposer and approver and the case owner (in-app, and by email after
       commit); queue the reminder or escalation email to the ISP after commit.
    A second run at the same instant finds the row no longer due (or nothing after `chased_until`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        recipient = (
            OrderRecipient.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order__case__owner", "order__proposed_by", "order__approved_by", "isp")
            .filter(pk=recipient_id, next_action_at__lte=now)
            .first()
        )
        if recipient is None:
            return None
        due = [step for step in _steps_pending(recipient) if step.at <= now]
        recipient.chased_until = now
        done = None
        if due:
            step = due[-1]
            if step.kind == "escalated":
                recipient.escalated_at, done = now, "escalated"
            else:
                recipient.reminders_sent, done = recipient.reminders_sent + 1, "reminded"
            _record_chase(recipient, step, now=now)
        recipient.next_action_at = next_recipient_action(recipient)
        recipient.save(update_fields=["escalated_at", "reminders_sent", "chased_until", "next_action_at"])
    return done


def _record_chase(recipient: OrderRecipient, step: ChaseStep, *, now: datetime) -> None:

    order, isp = recipient.order, recipient.isp
    audit.record(
        obj=order, action=AuditEntry.Action.EVENT, actor=BLOCKING_SCHEDULE, at=now, reason=f"{isp.name}: {step.kind}"
    )
    due_at = recipient.acknowledge_due_at if step.deadline == "acknowledge" else recipient.implement_due_at
    rule = recipient.acknowledge_rule if step.deadline == "acknowledge" else recipient.implement_rule
    values = {
        "isp": isp.name,
        "order": order.reference,
        "deadline": _local(due_at, rule),
        "left": _duration(due_at - now),
    }
    titles = {
        "acknowledge_soon": _("%(isp)s has not yet acknowledged %(order)s: due in %(left)s"),
        "acknowledge_late": _("%(isp)s is late: %(order)s not acknowledged by %(deadline)s"),
        "implement_soon": _("%(isp)s has not yet reported %(order)s implemented: due in %(left)s"),
        "escalated": _("Escalation: %(isp)s has not reported %(order)s implemented by %(deadline)s"),
    }
    body = _(
        "Acknowledge by %(acknowledge)s (%(acknowledge_rule)s), report implemented by %(implement)s "
        "(%(implement_rule)s), counted from issue at %(issued)s. The ISP is reminded by email as well."
    ) % {
        "acknowledge": _local(recipient.acknowledge_due_at, recipient.acknowledge_rule),
        "acknowledge_rule": recipient.acknowledge_rule_text() or "-",
        "implement": _local(recipient.implement_due_at, recipient.implement_rule),
        "implement_rule": recipient.implement_rule_text() or "-",
        "issued": _local(order.issued_at or now, rule),
    }
    link = reverse("blocking-order-detail", args=[order.pk])
    for user in order_staff(order):
        notify(
            user,
            kind=Notification.Kind.ISP_LATE,
            case=order.case,
            notice=None,
            title=titles[step.kind] % values,
            body=body,
            link=link,
            now=now,
        )
    step_key = f"{step.kind}-{int(step.before.total_seconds() // 60)}"
    delivery_ids = mail.create_reminder_deliveries(recipient, kind=step.kind, step_key=step_key, now=now)
    transaction.on_commit(lambda: delivery.enqueue(delivery_ids))


def order_staff(order: BlockOrder) -> list:
    """Who answers for an order: the supervisor who proposed it, the one who approved it, the case owner."""
    people = [order.proposed_by, order.approved_by, order.case.owner if order.case else None]
    unique = {person.pk: person for person in people if person is not None and person.is_active}
    return list(unique.values())


def _local(at: datetime, rule: dict) -> str:
    zone = ZoneInfo(rule.get("time_zone") or settings.TIME_ZONE)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _duration(left: timedelta) -> str:
    minutes = max(0, round(left.total_seconds() / 60))
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


# --- the blocklist -------------------------------------------------------------------------------


def change_blocklist(*, order: BlockOrder, add=(), remove=(), now=None) -> BlocklistVersion:
    """Put names in force through `order` for every ISP it binds (`add`), or take them out (`remove`): one new
    version. The orders' own steps use the rule in blocking/blocklist.py; this is for tests and benchmarks.

    Must run inside the caller's transaction.
    """
    now = now or timezone.now()
    change = blocklist.Change(cause=order, at=now, now=now)
    change.open(order, add)
    change.close(order, remove)
    return change.finish()


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- helpers ---------------------------------------------------------------------------------


def _locked(order: BlockOrder) -> BlockOrder:
    return BlockOrder.objects.select_for_update().get(pk=order.pk)


def _move(order: BlockOrder, to: str, *, actor, at=None, reason: str = "", also=None) -> None:
    """Move an order its callers hold locked along BlockOrder.STATE_MACHINE, audited."""
    refusal = _("An order that is %(from)s cannot become %(to)s.")
    change_state(order, to=to, actor=actor, at=at, reason=reason, also=also, refusal=refusal, locked=True)


# --- the ISP registry ----------------------------------------------------------------------------

ISP_FIELDS = [
    "name",
    "licence_number",
    "contact_name",
    "contact_email",
    "contact_phone",
    "resolver_addresses",
    "transfer_addresses",
    "is_active",
]


def save_isp(*, actor, isp: ISP | None = None, account_usernames: list[str] | None = None, **values) -> ISP:
    """Register an ISP or change it; `account_usernames` (users in the "isp" role) replaces its API accounts."""
    require_permission(actor, "blocking.change_isp" if isp else "blocking.add_isp")
    problems = {}
    resolvers = values.get("resolver_addresses", isp.resolver_addresses if isp else "")
    bad = _bad_resolver_lines(resolvers)
    if bad:
        problems["resolver_addresses"] = [_("Not an IP address (with optional :port): %(line)s") % {"line": bad}]
    bad = _bad_transfer_lines(values.get("transfer_addresses", isp.transfer_addresses if isp else ""))
    if bad:
        problems["transfer_addresses"] = [_("Not an IP address (with optional #port): %(line)s") % {"line": bad}]
    users = []
    if account_usernames is not None:
        from tracker.core.models import User

        found = {user.username: user for user in User.objects.filter(username__in=account_usernames)}
        for username in account_usernames:
            user = found.get(username)
            if user is None or not user.groups.filter(name="isp").exists():
                problems.setdefault("accounts", []).append(
                    _("%(user)s is not a user in the ISP role") % {"user": username}
                )
            elif _reports_elsewhere(user, isp):
                problems.setdefault("accounts", []).append(
                    _("%(user)s already reports for another ISP") % {"user": username}
                )
            else:
                users.append(user)
    others = ISP.objects.exclude(pk=isp.pk) if isp else ISP.objects.all()
    for field in ("name", "licence_number"):
        if field in values and others.filter(**{f"{field}__iexact": values[field]}).exists():
            problems[field] = [_("Another ISP already has this %(field)s.") % {"field": field.replace("_", " ")}]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    with transaction.atomic():
        if isp is None:
            isp = ISP.objects.create(**{name: values[name] for name in ISP_FIELDS if name in values})
            audit.record_creation(isp, actor=actor)
            zone_transfer.push_after_commit()  # a zone of its own on the DNS server
        else:
            isp = ISP.objects.select_for_update().get(pk=isp.pk)
            before = audit.snapshot(isp)
            for name in ISP_FIELDS:
                if name in values:
                    setattr(isp, name, values[name])
            isp.save()
            changes = audit.diff(before, audit.snapshot(isp))
            if changes:
                audit.record(obj=isp, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes)
            if {"transfer_addresses", "is_active", "name"} & set(changes or {}):
                zone_transfer.push_after_commit()  # the DNS server's configuration names them
        if account_usernames is not None:
            current = set(isp.accounts.values_list("user__username", flat=True))
            wanted = {user.username for user in users}
            if current != wanted:
                isp.accounts.exclude(user__username__in=wanted).delete()
                for user in users:
                    ISPAccount.objects.get_or_create(isp=isp, user=user)
                audit.record(
                    obj=isp,
                    action=AuditEntry.Action.CHANGE,
                    actor=actor,
                    changes={"api_accounts": [sorted(current), sorted(wanted)]},
                )
    return isp


def _reports_elsewhere(user, isp: ISP | None) -> bool:
    taken = ISPAccount.objects.filter(user=user)
    if isp is not None:
        taken = taken.exclude(isp=isp)
    return taken.exists()


def _bad_transfer_lines(text: str) -> str | None:
    """The first line that is not ADDRESS or ADDRESS#PORT (as BIND writes them), IPv4 or IPv6."""
    import ipaddress

    for line in text.splitlines():
        address, _sep, port = line.strip().partition("#")
        if not address:
            continue
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return line.strip()
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            return line.strip()
    return None


def _bad_resolver_lines(text: str) -> str | None:
    import ipaddress

    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        host, port = line, "53"
        if line.startswith("["):
            host, _sep, rest = line[1:].partition("]")
            port = rest.lstrip(":") or "53"
        elif line.count(":") == 1:
            host, port = line.split(":")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return line
        if not port.isdigit() or not 0 < int(port) < 65536:
            return line
    return None
