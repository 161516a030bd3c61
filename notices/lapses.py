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
from tracker.core.models import AuditEntry
from tracker.core.states import change_state
from tracker.items.models import FlaggedItem

from .ladder import next_action_at, owner_reminders
from .models import EscalationStep, Notice, Notification
from .notifications import notify
from .selectors import unresolved_entries
from .sending import NOTICEABLE, issue, new_notice, store_notice
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
                "deadline": notice.deadline_at.isoformat(),
                "open": unresolved_entries(notice).count(),
            },
            now=now,
        )
        return "reminded"


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
