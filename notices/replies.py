"""What a platform answers, item by item, recorded by a liaison officer (from an email or not)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.core import audit
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed
from tracker.core.states import change_state
from tracker.evidence.services import store_uploads
from tracker.items.models import FlaggedItem
from tracker.items.services import change_item_status

from .models import InboundMail, Notice, NoticeItem, PlatformReply, ReplyAttachment
from .rechecks import schedule_rechecks

Status = Notice.Status


Outcome = NoticeItem.Outcome
# The item status each outcome moves the item to; None leaves it in the notice.
OUTCOME_ITEM_STATUS = {
    Outcome.REMOVED: FlaggedItem.Status.REMOVED,
    Outcome.RESTRICTED: FlaggedItem.Status.RESTRICTED,
    Outcome.REFUSED: FlaggedItem.Status.REFUSED,
    Outcome.MORE_INFORMATION: None,
    Outcome.NO_ACTION: None,
}


@dataclass(frozen=True)
class ItemOutcome:
    outcome: str
    reason: str = ""


def record_platform_reply(
    *,
    notice: Notice,
    actor,
    received_at: datetime,
    channel: str,
    summary: str,
    outcomes: Mapping[int, str | ItemOutcome | tuple[str, str]],
    recorded_afterwards: bool = False,
    inbound_mail: InboundMail | None = None,
    attachments: Iterable = (),
) -> PlatformReply:
    """Record what a platform answered, with an outcome per item (keyed by flagged item id).

    Every item removed or restricted: the notice is answered and escalation stops. Otherwise the notice
    is partly answered and, at its deadline, the next step covers only the items still open. Given the
    email it came in (`inbound_mail`), that email is marked recorded; `attachments` are uploaded files.

    A reply to a notice that lapsed is recorded as late (`late`, and `late_by` how long after the deadline).
    The lapse and whatever followed it stand: the notice stays lapsed, the next step stays sent, the case
    stays escalated. Its outcomes are kept on the notice's items, and an item moves on only where its
    state allows (an item removed meanwhile stays removed), so a removal drops it from the steps to come.
    A notice not sent yet, or already answered, takes no reply.
    """
    if actor is None or not actor.has_perm("notices.add_platformreply"):
        raise NotPermitted(_("You do not have permission for this."))
    parsed = _parse_outcomes(outcomes)
    problems = {}
    if channel not in PlatformReply.Channel.values:
        problems["channel"] = [
            _("Choose a channel: %(choices)s") % {"choices": ", ".join(PlatformReply.Channel.values)}
        ]
    if not (summary or "").strip():
        problems["summary"] = [_("Summarise the reply.")]
    if received_at is None or received_at > timezone.now() + timedelta(minutes=5):
        problems["received_at"] = [_("Give the time the reply arrived (not in the future).")]
    if inbound_mail is not None and not inbound_mail.counts_as_answer:
        problems["inbound_mail"] = [
            _("An email of kind %(kind)s is not an answer from the platform.")
            % {"kind": inbound_mail.get_kind_display()}
        ]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    files = store_uploads(attachments)
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
        late = notice.status == Status.LAPSED
        if notice.status not in Notice.AWAITING_REPLY and not late:
            raise TransitionNotAllowed(_closed_message(notice), fields={"notice": [notice.get_status_display()]})
        if inbound_mail is not None:
            inbound_mail = _claim_inbound_mail(inbound_mail, notice=notice, actor=actor)
        entries = {entry.item_id: entry for entry in notice.notice_items.select_related("item")}
        strangers = sorted(set(parsed) - set(entries))
        if strangers:
            message = _("Not covered by %(reference)s: item(s) %(ids)s") % {
                "reference": notice.reference,
                "ids": ", ".join(map(str, strangers)),
            }
            raise DomainError(message, fields={"outcomes": [message]})
        settled = [entries[item_id].display for item_id in parsed if entries[item_id].is_resolved]
        if settled:
            message = _("Already resolved: %(items)s") % {"items": ", ".join(settled)}
            raise DomainError(message, fields={"outcomes": [message]})
        reply = PlatformReply.objects.create(
            notice=notice,
            received_at=received_at,
            channel=channel,
            summary=summary.strip(),
            recorded_by=actor,
            recorded_afterwards=recorded_afterwards,
            late=late,
            inbound_mail=inbound_mail,
        )
        ReplyAttachment.objects.bulk_create(
            [ReplyAttachment(reply=reply, file=file, original_name=name) for file, name in files]
        )
        audit.record_creation(reply, actor=actor, reason=describe_lateness(reply) if late else "")
        for item_id, result in parsed.items():
            entry = entries[item_id]
            entry.outcome, entry.outcome_reason, entry.outcome_at, entry.reply = (
                result.outcome,
                result.reason,
                received_at,
                reply,
            )
            entry.save(update_fields=["outcome", "outcome_reason", "outcome_at", "reply"])
            if entry.is_resolved:
                schedule_rechecks(entry)  # "removed": is it? (rechecks.py)
            to_status = OUTCOME_ITEM_STATUS[result.outcome]
            moves_on = to_status and entry.item.status != to_status
            if moves_on and late and not FlaggedItem.STATE_MACHINE.allows(entry.item.status, to_status):
                continue  # what happened to the item since the lapse stands
            if moves_on:
                change_item_status(
                    entry.item, to_status=to_status, actor=actor, reason=f"{notice.reference}: {summary[:200]}"
                )
        if late:
            return reply
        if all(entry.is_resolved for entry in entries.values()):
            answered = {"answered_at": received_at, "next_action_at": None}
            change_state(notice, to=Status.ANSWERED, actor=actor, reason=summary[:500], also=answered, locked=True)
        elif parsed and notice.status != Status.PARTLY_ANSWERED:
            change_state(notice, to=Status.PARTLY_ANSWERED, actor=actor, reason=summary[:500], locked=True)
    return reply


def _claim_inbound_mail(inbound_mail: InboundMail, *, notice: Notice, actor) -> InboundMail:
    """Lock the email a reply is recorded from; it must be this notice's (or unmatched) and not yet recorded."""
    mail = InboundMail.objects.select_for_update().get(pk=inbound_mail.pk)
    if mail.state not in (InboundMail.State.ATTACHED, InboundMail.State.TRIAGE):
        message = _("That email is already %(state)s.") % {"state": mail.get_state_display()}
        raise TransitionNotAllowed(message, fields={"inbound_mail": [message]})
    if mail.notice_id not in (None, notice.pk):
        message = _("That email belongs to notice %(reference)s.") % {"reference": mail.notice}
        raise DomainError(message, fields={"inbound_mail": [message]})
    recorded = {"handled_by": actor, "handled_at": timezone.now()}
    if mail.notice_id is None:
        recorded.update(notice=notice, matched_by=InboundMail.MatchedBy.PERSON)
    return change_state(
        mail, to=InboundMail.State.RECORDED, actor=actor, reason=notice.reference, also=recorded, locked=True
    )


def _parse_outcomes(outcomes) -> dict[int, ItemOutcome]:
    parsed, problems = {}, []
    for item_id, value in (outcomes or {}).items():
        if isinstance(value, str):
            value = ItemOutcome(value)
        elif isinstance(value, tuple):
            value = ItemOutcome(*value)
        if value.outcome not in OUTCOME_ITEM_STATUS:
            problems.append(_("item %(id)s: unknown outcome %(outcome)r") % {"id": item_id, "outcome": value.outcome})
        elif value.outcome == Outcome.REFUSED and not value.reason.strip():
            problems.append(_("item %(id)s: a refusal needs the platform's reason") % {"id": item_id})
        parsed[int(item_id)] = value
    if problems:
        raise DomainError(problems[0], fields={"outcomes": problems})
    return parsed


def describe_lateness(reply: PlatformReply) -> str:
    """How late a reply came, in words ("late: 3 days 2 hours after the deadline"), or that it came in time but
    was recorded only after the notice lapsed; "" for a reply that is not late."""
    late_by = reply.late_by
    if late_by is None:
        return ""
    if late_by <= timedelta(0):
        return _("arrived before the deadline, recorded after the notice lapsed")
    return _("late: %(duration)s after the deadline") % {"duration": describe_duration(late_by)}


def describe_duration(duration: timedelta) -> str:
    """A duration in the two largest units that matter: "3 days 2 hours", "5 hours 10 minutes", "4 minutes"."""
    minutes = int(duration.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        ngettext("%(count)d day", "%(count)d days", days) % {"count": days} if days else "",
        ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours} if hours else "",
        ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes} if minutes and not days else "",
    ]
    return " ".join(part for part in parts if part) or _("under a minute")


def _closed_message(notice: Notice) -> str:
    if notice.status == Status.PREPARED:
        return _(
            "Notice %(reference)s has not been sent: the platform has nothing to answer yet. Confirm and send it first."
        ) % {"reference": notice.reference}
    return _("Notice %(reference)s is closed (%(status)s): it takes no more replies.") % {
        "reference": notice.reference,
        "status": notice.get_status_display(),
    }
