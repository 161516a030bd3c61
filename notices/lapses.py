"""What happens as a notice's deadline nears and passes: the owner's reminders, the lapse, the next step."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.cases.models import Case, CaseItem
from tracker.cases.services import change_case_status
from tracker.core import audit
from tracker.core.actors import SWEEP
from tracker.core.errors import DomainError
from tracker.core.models import AuditEntry
from tracker.core.states import change_state, claim_state
from tracker.core.templatetags.human_time import format_human_time
from tracker.items.models import FlaggedItem

from .ladder import next_action_at, owner_reminders
from .models import EscalationStep, Notice, NoticeItem, Notification
from .notifications import notify, notify_many
from .selectors import unresolved_entries
from .sending import NOTICEABLE, FollowUp, issue, new_notice, send_follow_ups, store_notice
from .signals import ladder_exhausted

Status = Notice.Status


def advance_notice(*, notice_id: int, now: datetime | None = None) -> str:
    """Do what is due for one notice: remind the owner, or on a lapsed deadline take the next step.

    Returns what was done: "reminded", "sent", "prepared", "block_proposed", or "" (nothing due; a second
    run at the same instant, or a notice answered meanwhile). The notice row is locked throughout, so two
    workers given the same notice do the work once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("case__owner", "case__platform", "step__policy")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None:
            return ""
        if notice.status not in Notice.AWAITING_REPLY or notice.deadline_at is None:
            set_next_action(notice, None)
            return ""
        if notice.deadline_at <= now:
            return _lapse(notice, now=now)
        reminders = owner_reminders()
        due = [
            i
            for i, before in enumerate(reminders)
            if i >= notice.owner_reminders_done and notice.deadline_at - before <= now
        ]
        if not due:
            set_next_action(notice, next_action_at(notice))
            return ""
        notice.owner_reminders_done = due[-1] + 1
        notice.next_action_at = next_action_at(notice)
        notice.save(update_fields=["owner_reminders_done", "next_action_at"])
        left = notice.deadline_at - now
        notify(
            notice.case.owner,
            kind=Notification.Kind.DEADLINE_REMINDER,
            case=notice.case,
            notice=notice,
            title=_("%(reference)s: the reply from %(platform)s is due in %(hours)s")
            % {
                "reference": notice.reference,
                "platform": notice.case.platform,
                "hours": _hours(left),
            },
            body=_("Reply due %(deadline)s; %(open)d item(s) unresolved.")
            % {
                "deadline": format_human_time(notice.deadline_at),
                "open": unresolved_entries(notice).count(),
            },
            now=now,
        )
        return "reminded"


def advance_notices(*, notice_ids: list[int], now: datetime | None = None) -> list[str]:
    """`advance_notice` for a batch, set-wise: what each notice's own run would return, in the order given.

    The common case, a lapse (and the next automatic step sent), is done for the whole batch in one
    transaction and a fixed number of statements (`_advance_set`): the rows are locked in one query, lapsed in
    one UPDATE, the follow-ups, their items, deliveries, notifications and every audit entry inserted in one
    statement each, with one block of references. The rare rest (an owner's reminder, a step prepared for
    confirmation, a ladder that ran out) is left to `advance_notice`, one at a time after that commit; so is
    the whole batch when a follow-up is refused (no contact, an item in another notice), as it would be alone.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            outcomes, one_by_one = _advance_set(list(notice_ids), now=now)
    except DomainError:
        outcomes, one_by_one = {}, list(notice_ids)
    for notice_id in one_by_one:
        outcomes[notice_id] = advance_notice(notice_id=notice_id, now=now)
    return [outcomes.get(notice_id, "") for notice_id in notice_ids]


def _advance_set(notice_ids: list[int], *, now: datetime) -> tuple[dict[int, str], list[int]]:
    """The set-wise part of `advance_notices`: ({notice id: outcome}, the ids left to `advance_notice`)."""
    notices = list(
        # Locked in id order, so two workers given overlapping batches wait for each other, never deadlock.
        Notice.objects.select_for_update(of=("self",))
        .select_related("case__owner", "case__platform", "step__policy")
        .filter(pk__in=notice_ids)
        .order_by("pk")
    )
    outcomes: dict[int, str] = {}
    one_by_one, lapsing, settled = [], [], []
    for notice in notices:
        if notice.status not in Notice.AWAITING_REPLY or notice.deadline_at is None:
            if notice.next_action_at is not None:
                settled.append(notice.pk)
        elif notice.deadline_at <= now:
            lapsing.append(notice)
        else:
            one_by_one.append(notice.pk)  # an owner's reminder, or nothing yet: cheap and rare
    if settled:
        Notice.objects.filter(pk__in=settled).update(next_action_at=None)
    open_items = _open_items([notice for notice in lapsing if not notice.beyond_ladder])
    next_steps = _next_steps([notice for notice in lapsing if open_items.get(notice.pk)])
    lapse, follow_ups = [], []
    for notice in lapsing:
        items = open_items.get(notice.pk)
        if notice.beyond_ladder or not items or notice.case.status == Case.Status.CLOSED:
            lapse.append(notice)
            continue
        step = next_steps.get(notice.pk)
        if step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL or not step.automatic:
            one_by_one.append(notice.pk)  # the ladder ran out, or a step waits for a person: rare
            continue
        lapse.append(notice)
        follow_ups.append(FollowUp(previous=notice, step=step, items=items))
    _lapse_all(lapse, now=now)
    sent = send_follow_ups(follow_ups, actor=SWEEP, now=now)
    notify_many(
        [
            Notification(
                user=follow_up.case.owner,
                kind=Notification.Kind.STEP_SENT,
                case=follow_up.case,
                notice=follow_up,
                title=_("%(previous)s lapsed unanswered: %(step)s %(reference)s sent to %(platform)s")
                % {
                    "previous": follow_up.previous.reference,
                    "step": follow_up.step.name,
                    "reference": follow_up.reference,
                    "platform": follow_up.case.platform,
                },
                created_at=now,
            )
            for follow_up in sent
        ]
    )
    outcomes.update({notice.pk: "" for notice in lapse})
    outcomes.update({follow_up.previous_id: "sent" for follow_up in sent})
    return outcomes, one_by_one


def _lapse_all(notices: list[Notice], *, now: datetime) -> None:
    """`_lapse`'s change of state for many locked notices: one UPDATE, one INSERT of audit entries per state
    they leave (sent, partly answered)."""
    if not notices:
        return
    lapsed = {"lapsed_at": now, "next_action_at": None}
    moved = claim_state(Notice.objects.filter(pk__in=[notice.pk for notice in notices]), to=Status.LAPSED, also=lapsed)
    if moved != len(notices):  # they are locked: nothing else can have moved them
        raise RuntimeError(f"{len(notices) - moved} locked notice(s) could not lapse")
    for from_state in sorted({notice.status for notice in notices}):
        audit.record_many(
            [notice for notice in notices if notice.status == from_state],
            action=AuditEntry.Action.TRANSITION,
            actor=SWEEP,
            from_state=from_state,
            to_state=Status.LAPSED,
            reason=_("deadline passed"),
            at=now,
        )


def _open_items(notices: list[Notice]) -> dict[int, list[FlaggedItem]]:
    """Per notice, `_lapse`'s open items (unresolved, still in the case, fit for a notice), in one query."""
    if not notices:
        return {}
    still_members = CaseItem.objects.filter(
        case=OuterRef("notice__case"), item=OuterRef("item"), removed_at__isnull=True
    )
    entries = (
        NoticeItem.objects.filter(notice__in=notices)
        .exclude(outcome__in=NoticeItem.RESOLVED)
        .filter(Exists(still_members))
        .select_related("item__category")
        .order_by("notice_id", "item_id")
    )
    found: dict[int, list[FlaggedItem]] = {}
    for entry in entries:
        if entry.item.status in NOTICEABLE:
            found.setdefault(entry.notice_id, []).append(entry.item)
    return found


def _next_steps(notices: list[Notice]) -> dict[int, EscalationStep | None]:
    """Per notice, the step after its own in its ladder (None past the last), from one query of the ladders."""
    policies = {notice.step.policy_id for notice in notices}
    if not policies:
        return {}
    ladders: dict[int, list[EscalationStep]] = {}
    for step in EscalationStep.objects.filter(policy_id__in=policies).select_related("policy").order_by("position"):
        ladders.setdefault(step.policy_id, []).append(step)
    return {
        notice.pk: next(
            (step for step in ladders.get(notice.step.policy_id, []) if step.position > notice.step.position), None
        )
        for notice in notices
    }


def _lapse(notice: Notice, *, now: datetime) -> str:
    """The deadline passed with items unresolved: the notice lapses and the next step follows."""
    lapsed = {"lapsed_at": now, "next_action_at": None}
    change_state(notice, to=Status.LAPSED, actor=SWEEP, reason=_("deadline passed"), at=now, also=lapsed, locked=True)
    if notice.beyond_ladder:
        return ""  # recorded after the ladder ran out: nothing follows it
    case = notice.case
    still_members = CaseItem.objects.filter(case=case, item=OuterRef("item"), removed_at__isnull=True)
    entries = (
        unresolved_entries(notice).filter(Exists(still_members)).select_related("item__category").order_by("item_id")
    )
    open_items = [entry.item for entry in entries if entry.item.status in NOTICEABLE]
    if not open_items or case.status == Case.Status.CLOSED:
        return ""
    step = notice.step.policy.steps.filter(position__gt=notice.step.position).order_by("position").first()
    if step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL:
        return _ladder_ran_out(notice, open_items, now=now)
    follow_up, follow_up_entries = new_notice(
        case=case, items=open_items, step=step, previous=notice, now=now, items_checked=True
    )
    if step.automatic:
        issue(follow_up, actor=SWEEP, now=now, new_entries=follow_up_entries)
        notify(
            case.owner,
            kind=Notification.Kind.STEP_SENT,
            case=case,
            notice=follow_up,
            title=_("%(previous)s lapsed unanswered: %(step)s %(reference)s sent to %(platform)s")
            % {
                "previous": notice.reference,
                "step": step.name,
                "reference": follow_up.reference,
                "platform": case.platform,
            },
            now=now,
        )
        return "sent"
    store_notice(follow_up, follow_up_entries)
    audit.record(obj=follow_up, action=AuditEntry.Action.CREATE, actor=SWEEP, reason=_("prepared for confirmation"))
    notify(
        case.owner,
        kind=Notification.Kind.STEP_PREPARED,
        case=case,
        notice=follow_up,
        title=_("%(previous)s lapsed unanswered: confirm %(step)s %(reference)s")
        % {"previous": notice.reference, "step": step.name, "reference": follow_up.reference},
        body=_("The next step of the ladder is prepared and waits for a liaison officer to confirm it."),
        now=now,
    )
    return "prepared"


def _ladder_ran_out(notice: Notice, open_items: list[FlaggedItem], *, now: datetime) -> str:
    case = notice.case
    chain = list(
        Notice.objects.filter(case=case, sent_at__isnull=False).order_by("sent_at").values_list("reference", flat=True)
    )
    reason = _(
        "The escalation ladder ran out: %(count)d notice(s) (%(references)s) left %(items)d item(s) unresolved."
    ) % {
        "count": len(chain),
        "references": ", ".join(chain),
        "items": len(open_items),
    }
    if case.status == Case.Status.OPEN:
        change_case_status(case, to_status=Case.Status.ESCALATED, actor=SWEEP, reason=reason)
    ladder_exhausted.send(sender=Notice, notice=notice, reason=reason, actor=SWEEP, now=now)
    return "block_proposed"


def set_next_action(notice: Notice, when: datetime | None) -> None:
    if notice.next_action_at != when:
        notice.next_action_at = when
        notice.save(update_fields=["next_action_at"])


def _hours(left: timedelta) -> str:
    hours = max(0, round(left.total_seconds() / 3600))
    return _("%(hours)d h") % {"hours": hours} if hours else _("under an hour")
