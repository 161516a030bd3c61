"""Writes and transitions of notices: sending, preparing and confirming them, the escalation ladder, replies.

Every function here is the one door for its change: the UI, the API, the tasks and the demo all call them.
Each runs in one transaction and writes its audit entry in it; mail goes out after commit, from
`notices.delivery` in a Celery task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from blocking.services import propose_block
from platforms.models import Platform, PlatformContact
from tracker import audit
from tracker.errors import DomainError, NotPermitted, TransitionNotAllowed, require_permission
from tracker.models import AuditEntry, Case, CaseItem, FlaggedItem
from tracker.models.content import Urgency
from tracker.services.cases import change_case_status
from tracker.services.evidence import store_uploads
from tracker.services.items import change_item_status

from . import delivery as delivery_module
from .deadlines import DeadlineRule, compute_deadline
from .models import (
    EscalationPolicy,
    EscalationStep,
    InboundMail,
    Notice,
    NoticeItem,
    Notification,
    PlatformReply,
    ReplyAttachment,
)
from .placeholders import render
from .sanctions import impose_sanction

Status = Notice.Status
Outcome = NoticeItem.Outcome
SWEEP_LABEL = "escalation sweep"

# The item status each outcome moves the item to; None leaves it in the notice.
OUTCOME_ITEM_STATUS = {
    Outcome.REMOVED: FlaggedItem.Status.REMOVED,
    Outcome.RESTRICTED: FlaggedItem.Status.RESTRICTED,
    Outcome.REFUSED: FlaggedItem.Status.REFUSED,
    Outcome.MORE_INFORMATION: None,
    Outcome.NO_ACTION: None,
}
# Items a new notice may cover: verified, or still open after an earlier notice.
NOTICEABLE = (FlaggedItem.Status.VERIFIED, FlaggedItem.Status.IN_NOTICE, FlaggedItem.Status.REFUSED)


def owner_reminders() -> list[timedelta]:
    """How long before a deadline the case owner is reminded, furthest first (setting in minutes)."""
    minutes = getattr(settings, "NOTICES_OWNER_REMINDERS", [24 * 60, 2 * 60])
    return [timedelta(minutes=value) for value in sorted(minutes, reverse=True)]


def sweep_lease() -> timedelta:
    """How long a claimed piece of work stays with its task before the sweep hands it out again."""
    return timedelta(seconds=getattr(settings, "NOTICES_SWEEP_LEASE_SECONDS", 600))


# --- ladder ---------------------------------------------------------------------------------------


def policy_for(platform: Platform) -> EscalationPolicy:
    policy = EscalationPolicy.objects.filter(platform=platform).first()
    if policy is None:
        policy = EscalationPolicy.objects.filter(is_default=True).first()
    if policy is None:
        raise DomainError(_("No escalation policy: create a default one in the admin."))
    return policy


def assign_escalation_policy(*, platform: Platform, policy: EscalationPolicy | None, actor) -> EscalationPolicy:
    """Give a platform its own ladder, or (policy None) send it back to the default one. Returns what applies."""
    require_permission(actor, "notices.change_escalationpolicy")
    with transaction.atomic():
        current = EscalationPolicy.objects.select_for_update().filter(platform=platform).first()
        if policy is not None:
            policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
            if policy.is_default:
                policy = None  # the default applies to every platform without a ladder of its own
            elif policy.platform_id not in (None, platform.pk):
                message = _("%(policy)s is already the ladder of %(platform)s.") % {
                    "policy": policy,
                    "platform": policy.platform,
                }
                raise DomainError(message, fields={"policy": [message]})
        if current is not None and current != policy:
            current.platform = None
            current.save(update_fields=["platform"])
            audit.record(
                obj=current, action=AuditEntry.Action.CHANGE, actor=actor, reason=_("no longer %s's") % platform.name
            )
        if policy is not None and policy.platform_id != platform.pk:
            policy.platform = platform
            policy.save(update_fields=["platform"])
            audit.record(obj=policy, action=AuditEntry.Action.CHANGE, actor=actor, reason=_("now %s's") % platform.name)
    return policy_for(platform)


def next_step_for(case: Case) -> EscalationStep:
    """The step after the case's latest notice (sent, recorded or prepared); the first step otherwise."""
    latest = Notice.objects.filter(case=case).select_related("step").order_by("-step__position", "-prepared_at").first()
    policy = latest.step.policy if latest else policy_for(case.platform)
    after = latest.step.position if latest else 0
    step = policy.steps.filter(position__gt=after).order_by("position").first()
    if step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL:
        raise TransitionNotAllowed(_("The ladder of %(case)s has no notice step left.") % {"case": case})
    return step


def deadline_rule(step: EscalationStep, urgency: str) -> DeadlineRule:
    policy = step.policy
    return DeadlineRule(
        minutes=step.response_minutes(urgency),
        business_hours=step.business_hours,
        time_zone=policy.time_zone,
        holiday_country=policy.holiday_country,
    )


# --- references -----------------------------------------------------------------------------------


def allocate_reference(at: datetime) -> str:
    """The next `TKD/<year>/<6 digits>`; the year's row stays locked until the caller's transaction ends.

    One upsert statement (PostgreSQL, and SQLite 3.35+): the row is locked for as short a time as the
    caller's transaction allows, and no round trips are spent creating, locking and re-reading it.
    """
    year = timezone.localtime(at).year
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "notices_referencesequence" ("year", "last") VALUES (%s, 1) '
            'ON CONFLICT ("year") DO UPDATE SET "last" = "notices_referencesequence"."last" + 1 RETURNING "last"',
            [year],
        )
        (last,) = cursor.fetchone()
    return f"TKD/{year}/{last:06d}"


# --- sending ----------------------------------------------------------------------------------------


def send_notice(
    *,
    case: Case,
    actor,
    items: Iterable[FlaggedItem] | None = None,
    step: EscalationStep | None = None,
    now: datetime | None = None,
) -> Notice:
    """Send a notice of the case now: items default to the case's verified items, step to the next one."""
    require_permission(actor, "notices.send_notice")
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        notice, entries = _new_notice(case=case, items=items, step=step, now=now)
        _issue(notice, actor=actor, now=now, new_entries=entries)
    return notice


def prepare_notice(
    *,
    case: Case,
    actor=None,
    items: Iterable[FlaggedItem] | None = None,
    step: EscalationStep | None = None,
    previous: Notice | None = None,
    now: datetime | None = None,
) -> Notice:
    """A notice rendered and numbered but not sent, for a liaison officer to confirm."""
    if actor is not None:
        require_permission(actor, "notices.send_notice")
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        notice, entries = _new_notice(case=case, items=items, step=step, previous=previous, now=now)
        _store(notice, entries)
        audit.record(obj=notice, action=AuditEntry.Action.CREATE, actor=actor, reason=_("prepared for confirmation"))
    return notice


def confirm_prepared_notice(*, notice: Notice, actor, now: datetime | None = None) -> Notice:
    """Send a prepared notice: the deadline runs from now, and the text is rendered again with it."""
    require_permission(actor, "notices.send_notice")
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("case__platform", "step__policy").get(pk=notice.pk)
        if notice.status != Status.PREPARED:
            raise TransitionNotAllowed(
                _("Notice %(reference)s is %(status)s, not waiting for confirmation.")
                % {"reference": notice.reference, "status": notice.get_status_display()}
            )
        _issue(notice, actor=actor, now=now)
    return notice


def _new_notice(
    *, case, items, step, now, previous: Notice | None = None, items_checked: bool = False
) -> tuple[Notice, list[NoticeItem]]:
    """Number, snapshot and render a notice (status prepared), unsaved with its item snapshots; nothing is sent.

    `case` is read in the caller's transaction with its platform. With `items_checked` the items are the case's
    current members fit for a notice, read with their category in that transaction (a lapse's open items): they
    are only checked not to be in another notice. Raises DomainError.
    """
    now = now or timezone.now()
    if case.status == Case.Status.CLOSED:
        raise TransitionNotAllowed(_("The case %(case)s is closed.") % {"case": case})
    step = step or next_step_for(case)
    if step.kind == EscalationStep.Kind.BLOCK_PROPOSAL:
        raise DomainError(_("A block proposal step is not a notice."), fields={"step": [_("not a notice step")]})
    recipients = _recipients(case.platform)
    if items_checked:
        covered = list(items)
        _refuse_items_in_other_notices(covered, previous=previous)
    else:
        covered = _items_to_cover(case, items, previous=previous)
    urgency = Urgency.URGENT if any(item.urgency == Urgency.URGENT for item in covered) else Urgency.NORMAL
    notice = Notice(
        case=case,
        step=step,
        previous=previous,
        status=Status.PREPARED,
        urgency=urgency,
        language=_language(case.platform),
        recipients=recipients,
        legal_basis=_legal_basis(covered),
        prepared_at=now,
    )
    entries = [_snapshot(notice, item) for item in covered]
    rule = deadline_rule(step, urgency)
    sources = _text_sources(notice, sent_at=now)
    # Numbered last: the year's counter row stays locked from here until the transaction ends.
    notice.reference = allocate_reference(now)
    notice.subject, notice.body = _rendered(
        notice, covered_items=entries, rule=rule, deadline=compute_deadline(now, rule), sent_at=now, sources=sources
    )
    return notice, entries


def _store(notice: Notice, entries: list[NoticeItem]) -> None:
    notice.save()
    for entry in entries:
        entry.notice = notice
    NoticeItem.objects.bulk_create(entries)


def _issue(notice: Notice, *, actor, now: datetime | None, new_entries: list[NoticeItem] | None = None) -> None:
    """Send a notice: deadline, final text, one delivery per recipient, items into the notice.

    A new notice (`new_entries`: its unsaved snapshots) was rendered by `_new_notice` at this instant, to the
    contacts read then, and is stored as sent. A prepared one is rendered again with its deadline from now,
    to the platform's current contacts.
    """
    now = now or timezone.now()
    rule = deadline_rule(notice.step, notice.urgency)
    notice.deadline_at = compute_deadline(now, rule)
    notice.deadline_rule = rule.as_dict()
    if new_entries is None:
        notice.recipients = _recipients(notice.case.platform)
        entries = list(notice.notice_items.select_related("item").order_by("id"))
        notice.subject, notice.body = _rendered(
            notice, covered_items=entries, rule=rule, deadline=notice.deadline_at, sent_at=now
        )
    else:
        entries = new_entries
    notice.status = Status.SENT
    notice.sent_at = now
    notice.sent_by = actor
    notice.sent_by_label = actor.get_username() if actor is not None else SWEEP_LABEL
    notice.owner_reminders_done = sum(1 for before in owner_reminders() if notice.deadline_at - before <= now)
    notice.next_action_at = next_action_at(notice)
    if new_entries is None:
        notice.save()
    else:
        _store(notice, new_entries)
    for entry in entries:
        if entry.item.status != FlaggedItem.Status.IN_NOTICE:
            change_item_status(entry.item, to_status=FlaggedItem.Status.IN_NOTICE, actor=actor, reason=notice.reference)
    deliveries = delivery_module.create_deliveries(notice, now=now)
    impose_sanction(notice=notice, at=now)
    audit.record_transition(
        notice,
        actor=actor,
        from_state=Status.PREPARED,
        to_state=Status.SENT,
        reason=_("to %(recipients)s, reply due %(deadline)s")
        % {"recipients": ", ".join(notice.recipients), "deadline": notice.deadline_at.isoformat()},
        at=now,
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: delivery_module.enqueue(ids))


def record_past_notice(
    *,
    case: Case,
    actor,
    sent_at: datetime,
    items: Iterable[FlaggedItem] | None = None,
    step: EscalationStep | None = None,
    recipients: list[str] | None = None,
    subject: str = "",
    body: str = "",
    deadline_at: datetime | None = None,
    sent_by_label: str = "",
) -> Notice:
    """A notice sent outside the tracker, with its real date: it takes its place in the ladder, never sent.

    Its deadline (given, or computed from the step) still lapses: if it lies ahead, the sweep escalates
    it like any other notice; if it lies behind, the notice is recorded as lapsed.
    """
    require_permission(actor, "notices.send_notice")
    now = timezone.now()
    if sent_at > now:
        raise DomainError(_("A past notice cannot be dated in the future."), fields={"sent_at": [_("in the future")]})
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        step = step or next_step_for(case)
        covered = _items_to_cover(case, items)
        urgency = Urgency.URGENT if any(item.urgency == Urgency.URGENT for item in covered) else Urgency.NORMAL
        rule = deadline_rule(step, urgency)
        deadline = deadline_at or compute_deadline(sent_at, rule)
        if recipients is None:
            recipients = _active_contacts(case.platform)
        notice = Notice(
            reference=allocate_reference(sent_at),
            case=case,
            step=step,
            status=Status.SENT if deadline > now else Status.LAPSED,
            urgency=urgency,
            language=_language(case.platform),
            recipients=list(recipients),
            legal_basis=_legal_basis(covered),
            deadline_at=deadline,
            deadline_rule={} if deadline_at else rule.as_dict(),
            prepared_at=sent_at,
            sent_at=sent_at,
            sent_by_label=sent_by_label or actor.get_username(),
            lapsed_at=None if deadline > now else deadline,
            recorded_afterwards=True,
            recorded_by=actor,
            recorded_at=now,
        )
        entries = [_snapshot(notice, item) for item in covered]
        notice.subject, notice.body = subject, body
        if not subject or not body:
            rendered = _rendered(notice, covered_items=entries, rule=rule, deadline=deadline, sent_at=sent_at)
            notice.subject, notice.body = subject or rendered[0], body or rendered[1]
        notice.owner_reminders_done = sum(1 for before in owner_reminders() if deadline - before <= now)
        notice.next_action_at = next_action_at(notice)
        notice.save()
        for entry in entries:
            entry.notice = notice
        NoticeItem.objects.bulk_create(entries)
        for item in covered:
            if item.status != FlaggedItem.Status.IN_NOTICE:
                change_item_status(item, to_status=FlaggedItem.Status.IN_NOTICE, actor=actor, reason=notice.reference)
        impose_sanction(notice=notice, at=sent_at)
        audit.record(
            obj=notice,
            action=AuditEntry.Action.CREATE,
            actor=actor,
            reason=_("recorded afterwards: sent %(date)s outside the tracker") % {"date": sent_at.isoformat()},
        )
    return notice


# --- the ladder, step by step (called by the sweep's task for each due notice) ----------------------


def next_action_at(notice: Notice) -> datetime | None:
    """When the sweep must next look at the notice: the owner's next reminder, else its deadline."""
    if notice.status not in Notice.AWAITING_REPLY or notice.deadline_at is None:
        return None
    pending = owner_reminders()[notice.owner_reminders_done :]
    if pending:
        return notice.deadline_at - pending[0]
    return notice.deadline_at


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
            _set_next_action(notice, None)
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
            _set_next_action(notice, next_action_at(notice))
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
                "open": _unresolved(notice).count(),
            },
            now=now,
        )
        return "reminded"


def _lapse(notice: Notice, *, now: datetime) -> str:
    """The deadline passed with items unresolved: the notice lapses and the next step follows."""
    from_status = notice.status
    notice.status, notice.lapsed_at, notice.next_action_at = Status.LAPSED, now, None
    notice.save(update_fields=["status", "lapsed_at", "next_action_at"])
    audit.record_transition(
        notice, actor=None, from_state=from_status, to_state=Status.LAPSED, reason=_("deadline passed"), at=now
    )
    case = notice.case
    still_members = CaseItem.objects.filter(case=case, item=OuterRef("item"), removed_at__isnull=True)
    entries = _unresolved(notice).filter(Exists(still_members)).select_related("item__category").order_by("item_id")
    open_items = [entry.item for entry in entries if entry.item.status in NOTICEABLE]
    if not open_items or case.status == Case.Status.CLOSED:
        return ""
    step = notice.step.policy.steps.filter(position__gt=notice.step.position).order_by("position").first()
    if step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL:
        return _propose_block(notice, open_items, now=now)
    follow_up, follow_up_entries = _new_notice(
        case=case, items=open_items, step=step, previous=notice, now=now, items_checked=True
    )
    if step.automatic:
        _issue(follow_up, actor=None, now=now, new_entries=follow_up_entries)
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
    _store(follow_up, follow_up_entries)
    audit.record(obj=follow_up, action=AuditEntry.Action.CREATE, actor=None, reason=_("prepared for confirmation"))
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


def _propose_block(notice: Notice, open_items: list[FlaggedItem], *, now: datetime) -> str:
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
    proposal = propose_block(case=case, reason=reason)
    if case.status == Case.Status.OPEN:
        change_case_status(case, to_status=Case.Status.ESCALATED, reason=reason)
    notify(
        case.owner,
        kind=Notification.Kind.BLOCK_PROPOSED,
        case=case,
        notice=notice,
        title=_("%(case)s: block proposed after %(reference)s lapsed") % {"case": case, "reference": notice.reference},
        body=proposal.reason,
        now=now,
    )
    return "block_proposed"


def claim_due_notices(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Step 1 of the sweep: lease the due notices to their tasks, in one indexed query and one update.

    A leased notice is due again after `sweep_lease()`, so a task lost with Redis or a killed worker is
    handed out again; `advance_notice` sets the real next time when it runs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(next_action_at__lte=now)
            .order_by("next_action_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notice.objects.filter(pk__in=ids).update(next_action_at=now + sweep_lease())
    return ids


# --- replies ----------------------------------------------------------------------------------------


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
        notice = Notice.objects.select_for_update(of=("self",)).select_related("follow_up").get(pk=notice.pk)
        if notice.status not in Notice.AWAITING_REPLY:
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
            inbound_mail=inbound_mail,
        )
        ReplyAttachment.objects.bulk_create(
            [ReplyAttachment(reply=reply, file=file, original_name=name) for file, name in files]
        )
        audit.record_creation(reply, actor=actor)
        for item_id, result in parsed.items():
            entry = entries[item_id]
            entry.outcome, entry.outcome_reason, entry.outcome_at, entry.reply = (
                result.outcome,
                result.reason,
                received_at,
                reply,
            )
            entry.save(update_fields=["outcome", "outcome_reason", "outcome_at", "reply"])
            to_status = OUTCOME_ITEM_STATUS[result.outcome]
            if to_status and entry.item.status != to_status:
                change_item_status(
                    entry.item, to_status=to_status, actor=actor, reason=f"{notice.reference}: {summary[:200]}"
                )
        from_status = notice.status
        if all(entry.is_resolved for entry in entries.values()):
            notice.status, notice.answered_at, notice.next_action_at = Status.ANSWERED, received_at, None
        elif parsed:
            notice.status = Status.PARTLY_ANSWERED
        notice.save(update_fields=["status", "answered_at", "next_action_at"])
        if notice.status != from_status:
            audit.record_transition(
                notice, actor=actor, from_state=from_status, to_state=notice.status, reason=summary[:500]
            )
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
    from_state = mail.state
    if mail.notice_id is None:
        mail.notice, mail.matched_by = notice, InboundMail.MatchedBy.PERSON
    mail.state, mail.handled_by, mail.handled_at = InboundMail.State.RECORDED, actor, timezone.now()
    mail.save(update_fields=["notice", "matched_by", "state", "handled_by", "handled_at"])
    audit.record_transition(mail, actor=actor, from_state=from_state, to_state=mail.state, reason=notice.reference)
    return mail


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


def _closed_message(notice: Notice) -> str:
    if notice.status == Status.LAPSED and getattr(notice, "follow_up", None) is not None:
        return _(
            "Notice %(reference)s is closed: its deadline passed and %(next)s followed it; record the reply there."
        ) % {
            "reference": notice.reference,
            "next": notice.follow_up.reference,
        }
    return _("Notice %(reference)s is closed (%(status)s): it takes no more replies.") % {
        "reference": notice.reference,
        "status": notice.get_status_display(),
    }


# --- helpers ----------------------------------------------------------------------------------------


def _active_contacts(platform: Platform) -> list[str]:
    contacts = PlatformContact.objects.filter(platform=platform, is_active=True).order_by("role", "email")
    # The government liaison channel first: it is the one the platform promised to watch.
    ranked = sorted(contacts, key=lambda contact: contact.role != PlatformContact.Role.GOVERNMENT_LIAISON)
    return list(dict.fromkeys(contact.email.strip().lower() for contact in ranked))


def _recipients(platform: Platform) -> list[str]:
    recipients = _active_contacts(platform)
    if not recipients:
        message = _("%(platform)s has no active contact address: add one in the platform registry first.") % {
            "platform": platform.name
        }
        raise DomainError(message, fields={"recipients": [message]}, code="no_contact")
    return recipients


def _items_to_cover(case: Case, items, *, previous: Notice | None = None) -> list[FlaggedItem]:
    members = FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True).select_related(
        "category"
    )
    if items is None:
        chosen = list(members.filter(status=FlaggedItem.Status.VERIFIED).order_by("id"))
    else:
        wanted = {item.pk for item in items}
        chosen = list(members.filter(pk__in=wanted).order_by("id"))
        missing = wanted - {item.pk for item in chosen}
        if missing:
            message = _("Not in the case: item(s) %(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))}
            raise DomainError(message, fields={"items": [message]})
        unfit = [item.display for item in chosen if item.status not in NOTICEABLE]
        if unfit:
            message = _("Only verified or unresolved items go in a notice: %(items)s") % {
                "items": ", ".join(unfit[:20])
            }
            raise DomainError(message, fields={"items": [message]})
    if not chosen:
        message = _("The case has no verified item to put in a notice.")
        raise DomainError(message, fields={"items": [message]})
    _refuse_items_in_other_notices(chosen, previous=previous)
    return chosen


def _refuse_items_in_other_notices(items: list[FlaggedItem], *, previous: Notice | None) -> None:
    busy = (
        NoticeItem.objects.filter(item__in=items, notice__status__in=[Status.PREPARED, *Notice.AWAITING_REPLY])
        .exclude(notice=previous)
        .values_list("display", "notice__reference")
    )
    busy = list(busy[:20])
    if busy:
        message = _("Already in a notice awaiting reply: %(items)s") % {
            "items": ", ".join(f"{display} ({reference})" for display, reference in busy)
        }
        raise DomainError(message, fields={"items": [message]})


def _snapshot(notice: Notice, item: FlaggedItem) -> NoticeItem:
    return NoticeItem(
        notice=notice,
        item=item,
        canonical=item.canonical,
        display=item.display,
        category=item.category.name,
        legal_basis=item.category.legal_basis,
        urgency=item.urgency,
    )


def _unresolved(notice: Notice):
    return notice.notice_items.exclude(outcome__in=NoticeItem.RESOLVED)


def _legal_basis(items: list[FlaggedItem]) -> str:
    return "; ".join(dict.fromkeys(item.category.legal_basis for item in items))


def _language(platform: Platform) -> str:
    return (platform.language or "en").strip() or "en"


@dataclass(frozen=True)
class TextSources:
    """What a notice's text is made of besides the notice: its step's templates and the case's earlier notices."""

    subject_template: str
    body_template: str
    previous_references: str


def _text_sources(notice: Notice, *, sent_at: datetime) -> TextSources:
    """The step's templates in the notice language (English by default) and the references sent before."""
    step = notice.step
    translation_row = step.translations.filter(language=notice.language).first()
    earlier = Notice.objects.filter(case=notice.case, sent_at__isnull=False, sent_at__lt=sent_at).exclude(pk=notice.pk)
    return TextSources(
        subject_template=translation_row.subject_template if translation_row else step.subject_template,
        body_template=translation_row.body_template if translation_row else step.body_template,
        previous_references=", ".join(earlier.order_by("sent_at").values_list("reference", flat=True)) or "-",
    )


def _rendered(
    notice: Notice,
    *,
    covered_items,
    rule: DeadlineRule,
    deadline: datetime,
    sent_at: datetime,
    sources: TextSources | None = None,
):
    """(subject, body) of the notice from its step's template in the notice language; English by default."""
    step, case = notice.step, notice.case
    sources = sources or _text_sources(notice, sent_at=sent_at)
    zone = ZoneInfo(step.policy.time_zone)
    lines = []
    for number, entry in enumerate(covered_items, start=1):
        lines.append(f"{number}. {entry.display} ({entry.category}; {entry.legal_basis})")
    with translation.override(notice.language):
        values = {
            "reference": notice.reference,
            "platform": case.platform.name,
            "operator": case.platform.operator_legal_name or case.platform.name,
            "case": case.title,
            "step": step.name,
            "items": "\n".join(lines),
            "item_count": str(len(lines)),
            "legal_basis": notice.legal_basis,
            "deadline": f"{formats.date_format(deadline.astimezone(zone), 'j F Y, H:i')} ({step.policy.time_zone})",
            "response_time": rule.describe(),
            "sent_date": formats.date_format(sent_at.astimezone(zone), "j F Y"),
            "previous_references": sources.previous_references,
            "sanction_amount": "" if step.sanction_amount is None else f"{step.sanction_amount:,.2f}",
        }
        subject = render(sources.subject_template, values, field="subject_template").strip()
        body = render(sources.body_template, values, field="body_template")
    if notice.reference not in subject:
        # Replies are threaded by the reference in the subject; never send a notice without it.
        subject = f"[{notice.reference}] {subject or step.name}"
    return subject[:400], body


def _set_next_action(notice: Notice, when: datetime | None) -> None:
    if notice.next_action_at != when:
        notice.next_action_at = when
        notice.save(update_fields=["next_action_at"])


def notify(
    user,
    *,
    kind: str,
    case: Case | None,
    notice: Notice | None,
    title: str,
    body: str = "",
    link: str = "",
    now=None,
) -> Notification:
    """An in-app notification for `user`, emailed after commit if they have an address. Any app may call it."""
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        case=case,
        notice=notice,
        title=title[:300],
        body=body,
        link=link[:300],
        created_at=now or timezone.now(),
    )
    if user.email:
        transaction.on_commit(lambda: _queue_notification_email(notification.pk))
    return notification


def _queue_notification_email(notification_id: int) -> None:
    from .tasks import send_notification_email

    send_notification_email.delay(notification_id)


def _hours(left: timedelta) -> str:
    hours = max(0, round(left.total_seconds() / 3600))
    return _("%(hours)d h") % {"hours": hours} if hours else _("under an hour")
