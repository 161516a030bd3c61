"""Rebuttals: a platform objects to an item of a notice, and a supervisor upholds the item or withdraws it.

Upheld, nothing changes: the item stays in the ladder and escalation goes on. Withdrawn, the item is closed
with the supervisor's reasons, so the next step no longer covers it; a notice left with nothing open is
answered and its clock stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import Role, User
from tracker.core.states import change_state
from tracker.evidence.services import store_uploads
from tracker.items.models import FlaggedItem
from tracker.items.services import change_item_status

from .models import Notice, NoticeItem, Notification, PlatformReply, Rebuttal, RebuttalAttachment
from .notifications import notify

Decision = Rebuttal.Decision


def record_rebuttal(
    *,
    notice_item: NoticeItem,
    actor,
    received_at: datetime,
    reasons: str,
    attachments: Iterable = (),
    reply: PlatformReply | None = None,
) -> Rebuttal:
    """Record a platform's objection to one item; supervisors are asked to decide it."""
    require_permission(actor, "notices.add_rebuttal")
    problems = {}
    if not (reasons or "").strip():
        problems["reasons"] = [_("Give the platform's reasons for objecting.")]
    if received_at is None or received_at > timezone.now() + timedelta(minutes=5):
        problems["received_at"] = [_("Give the time the rebuttal arrived (not in the future).")]
    if reply is not None and reply.notice_id != notice_item.notice_id:
        problems["reply"] = [_("The reply belongs to another notice.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    files = store_uploads(attachments)
    with transaction.atomic():
        entry = NoticeItem.objects.select_for_update(of=("self",)).select_related("notice__case").get(pk=notice_item.pk)
        if entry.notice.status == Notice.Status.PREPARED:
            raise TransitionNotAllowed(_("Notice %(reference)s has not been sent.") % {"reference": entry.notice})
        if entry.is_resolved:
            message = _("%(item)s is already %(outcome)s: there is nothing to object to.") % {
                "item": entry.display,
                "outcome": entry.get_outcome_display(),
            }
            raise TransitionNotAllowed(message, fields={"notice_item": [message]})
        try:
            with transaction.atomic():
                rebuttal = Rebuttal.objects.create(
                    notice_item=entry, reply=reply, received_at=received_at, reasons=reasons.strip(), recorded_by=actor
                )
        except IntegrityError:
            message = _("%(item)s already has a rebuttal waiting for a supervisor.") % {"item": entry.display}
            raise TransitionNotAllowed(message, fields={"notice_item": [message]}) from None
        RebuttalAttachment.objects.bulk_create(
            [RebuttalAttachment(rebuttal=rebuttal, file=file, original_name=name) for file, name in files]
        )
        audit.record_creation(rebuttal, actor=actor, reason=f"{entry.notice.reference}: {entry.display}")
        for supervisor in User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).distinct():
            notify(
                supervisor,
                kind=Notification.Kind.REBUTTAL,
                case=entry.notice.case,
                notice=entry.notice,
                title=_("%(platform)s objects to %(item)s (%(reference)s): uphold or withdraw")
                % {"platform": entry.notice.case.platform, "item": entry.display, "reference": entry.notice},
                body=reasons.strip()[:2000],
            )
    return rebuttal


def decide_rebuttal(*, rebuttal: Rebuttal, actor, decision: str, reason: str) -> Rebuttal:
    """A supervisor's decision on a rebuttal: `upheld` (escalation goes on) or `withdrawn` (it stops)."""
    require_permission(actor, "notices.decide_rebuttal")
    problems = {}
    if decision not in (Decision.UPHELD, Decision.WITHDRAWN):
        problems["decision"] = [_("Decide: upheld or withdrawn.")]
    if not (reason or "").strip():
        problems["reason"] = [_("Give the reasons for the decision.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    with transaction.atomic():
        rebuttal = (
            Rebuttal.objects.select_for_update(of=("self",)).select_related("notice_item__item").get(pk=rebuttal.pk)
        )
        decided = {"decided_by": actor, "decided_at": timezone.now(), "decision_reason": reason.strip()}
        refusal = _("This rebuttal was already decided (%(from)s).")
        change_state(
            rebuttal, to=decision, actor=actor, reason=reason.strip()[:500], also=decided, refusal=refusal, locked=True
        )
        if decision == Decision.WITHDRAWN:
            _withdraw(rebuttal.notice_item, actor=actor, reason=reason.strip())
    return rebuttal


def _withdraw(entry: NoticeItem, *, actor, reason: str) -> None:
    item = entry.item
    if item.status != FlaggedItem.Status.CLOSED:
        change_item_status(
            item,
            to_status=FlaggedItem.Status.CLOSED,
            actor=actor,
            reason=_("withdrawn after rebuttal: %(why)s") % {"why": reason[:300]},
        )
    notice = Notice.objects.select_for_update(of=("self",)).get(pk=entry.notice_id)
    still_open = notice.notice_items.exclude(outcome__in=NoticeItem.RESOLVED).exclude(
        item__status=FlaggedItem.Status.CLOSED
    )
    if notice.is_awaiting_reply and not still_open.exists():
        change_state(
            notice,
            to=Notice.Status.ANSWERED,
            actor=actor,
            reason=_("nothing left open after withdrawing %(item)s") % {"item": entry.display},
            also={"answered_at": timezone.now(), "next_action_at": None},
            locked=True,
        )
