"""Preparing, sending and recording notices: the items they cover, their text, their recipients.

Mail goes out after commit, from `notices.delivery` in a Celery task."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from platforms.models import Platform, PlatformContact
from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.actors import is_system
from tracker.core.deadlines import DeadlineRule, compute_deadline
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state
from tracker.core.templatetags.human_time import format_human_time
from tracker.items.models import FlaggedItem, Urgency
from tracker.items.services import change_item_status

from . import delivery as delivery_module
from .ladder import deadline_rule, next_action_at, next_step_for, owner_reminders, step_for_past_notice
from .models import EscalationStep, Notice, NoticeItem, StepTranslation
from .placeholders import render
from .references import allocate_reference, allocate_references
from .sanctions import impose_sanction, impose_sanctions

Status = Notice.Status


# Items a new notice may cover: verified, or still open after an earlier notice.
NOTICEABLE = (FlaggedItem.Status.VERIFIED, FlaggedItem.Status.IN_NOTICE, FlaggedItem.Status.REFUSED)


def noticeable_now(case: Case):
    """The case's items the next notice would cover: verified or unresolved, and not already in a notice that is
    prepared or awaiting a reply (those wait for that notice's answer)."""
    busy = NoticeItem.objects.filter(item=OuterRef("pk"), notice__status__in=[Status.PREPARED, *Notice.AWAITING_REPLY])
    return (
        FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True, status__in=NOTICEABLE)
        .exclude(Exists(busy))
        .select_related("category")
        .order_by("id")
    )


def send_blockers(case: Case) -> list[str]:
    """Why the next notice of `case` cannot be sent now, in words (empty: it can). Pages ask before offering the
    button; the service refuses on the same conditions (`_recipients`, `_items_to_cover`), so what a page offers
    is what the service does."""
    blockers = []
    if case.status == Case.Status.CLOSED:
        blockers.append(_("The case %(case)s is closed.") % {"case": case})
    if not _active_contacts(case.platform):
        blockers.append(_no_contact_message(case.platform))
    if not noticeable_now(case).exists():
        members = FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True)
        waiting = members.filter(status=FlaggedItem.Status.NEW).count()
        if waiting:
            blockers.append(
                ngettext(
                    "%(count)d item waits for a second analyst to verify it; a notice covers verified items only.",
                    "%(count)d items wait for a second analyst to verify them; a notice covers verified items only.",
                    waiting,
                )
                % {"count": waiting}
            )
        else:
            blockers.append(_("The case has no verified item that is not already in a notice awaiting reply."))
    return blockers


def send_notice(
    *,
    case: Case,
    actor,
    items: Iterable[FlaggedItem] | None = None,
    step: EscalationStep | None = None,
    now: datetime | None = None,
) -> Notice:
    """Send a notice of the case now: items default to the case's verified items, step to the next one.

    Its mail is queued after commit; the returned notice's `mail_queued` says whether the queue took it
    (False: the queue was down and the sweep sends it later; None: the caller's transaction has not ended).
    """
    require_permission(actor, "notices.send_notice")
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        notice, entries = new_notice(case=case, items=items, step=step, now=now)
        issue(notice, actor=actor, now=now, new_entries=entries)
    return notice


@dataclass(frozen=True)
class NoticePreview:
    """What `send_notice` would send now, without sending it: the text, the recipients and the deadline."""

    step: EscalationStep
    reference: str
    subject: str
    body: str
    recipients: list[str]
    deadline_at: datetime
    items: list[FlaggedItem]


class _Discard(Exception):
    pass


def preview_notice(
    *, case: Case, actor, items: Iterable[FlaggedItem] | None = None, step: EscalationStep | None = None, now=None
) -> NoticePreview:
    """Render the notice `send_notice` would send with the same arguments, through the same function, and keep
    nothing: the work (the reference included) is rolled back, so the reference shown is the one the notice gets
    if nobody else sends first. Raises what `send_notice` would raise. Who may: as `send_notice`."""
    require_permission(actor, "notices.send_notice")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            case = Case.objects.select_related("platform").get(pk=case.pk)
            notice, entries = new_notice(case=case, items=items, step=step, now=now)
            covered = [entry.item for entry in entries]
            rule = deadline_rule(notice.step, notice.urgency)
            preview = NoticePreview(
                step=notice.step,
                reference=notice.reference,
                subject=notice.subject,
                body=notice.body,
                recipients=list(notice.recipients),
                deadline_at=compute_deadline(now, rule),
                items=covered,
            )
            raise _Discard
    except _Discard:
        return preview


def prepare_notice(
    *,
    case: Case,
    actor,
    items: Iterable[FlaggedItem] | None = None,
    step: EscalationStep | None = None,
    previous: Notice | None = None,
    now: datetime | None = None,
) -> Notice:
    """A notice rendered and numbered but not sent, for a liaison officer to confirm.

    Who may: a person who may send notices, or the system (the sweep prepares a step that waits for one).
    """
    require_permission(actor, "notices.send_notice", system_may=True)
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        notice, entries = new_notice(case=case, items=items, step=step, previous=previous, now=now)
        store_notice(notice, entries)
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
        issue(notice, actor=actor, now=now)
    return notice


def new_notice(
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


def store_notice(notice: Notice, entries: list[NoticeItem]) -> None:
    """Save a new notice and the snapshots of its items."""
    notice.save()
    for entry in entries:
        entry.notice = notice
    NoticeItem.objects.bulk_create(entries)


def issue(notice: Notice, *, actor, now: datetime | None, new_entries: list[NoticeItem] | None = None) -> None:
    """Send a notice: deadline, final text, one delivery per recipient, items into the notice.

    A new notice (`new_entries`: its unsaved snapshots) was rendered by `new_notice` at this instant, to the
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
    sending = {
        "deadline_at": notice.deadline_at,
        "deadline_rule": notice.deadline_rule,
        "recipients": notice.recipients,
        "subject": notice.subject,
        "body": notice.body,
        "sent_at": now,
        "sent_by": None if is_system(actor) else actor,
        "sent_by_label": actor.get_username(),
        "owner_reminders_done": sum(1 for before in owner_reminders() if notice.deadline_at - before <= now),
    }
    notice.owner_reminders_done = sending["owner_reminders_done"]
    sending["next_action_at"] = next_action_at(notice, as_status=Status.SENT)
    reason = _("to %(recipients)s, reply due %(deadline)s") % {
        "recipients": ", ".join(notice.recipients),
        "deadline": format_human_time(notice.deadline_at),
    }
    # A prepared notice is locked by its caller; a new one is inserted as sent, its snapshots after it.
    change_state(notice, to=Status.SENT, actor=actor, reason=reason, at=now, also=sending, locked=True)
    if new_entries is not None:
        for entry in new_entries:
            entry.notice = notice
        NoticeItem.objects.bulk_create(new_entries)
    for entry in entries:
        if entry.item.status != FlaggedItem.Status.IN_NOTICE:
            change_item_status(entry.item, to_status=FlaggedItem.Status.IN_NOTICE, actor=actor, reason=notice.reference)
    deliveries = delivery_module.create_deliveries(notice, now=now)
    impose_sanction(notice=notice, at=now, actor=actor)
    ids = [delivery.pk for delivery in deliveries]
    notice.mail_queued = None  # known after commit: True, or False when the queue was down (the sweep sends)
    transaction.on_commit(lambda: _queue_mail(notice, ids))


@dataclass(frozen=True)
class FollowUp:
    """A notice to send after `previous` lapsed: its case's open items and the ladder's next (automatic) step."""

    previous: Notice
    step: EscalationStep
    items: list[FlaggedItem]


def send_follow_ups(follow_ups: list[FollowUp], *, actor, now: datetime) -> list[Notice]:
    """`new_notice` + `issue` for a batch of lapsed notices' next steps, set-wise: the same notices, texts,
    audit entries, item changes, deliveries and sanctions as one call each, in a fixed number of statements.

    Called inside the caller's transaction with the previous notices locked and their cases read with their
    platforms. The references are reserved in one block once everything that does not need them is read,
    so the year's counter row is locked once for the batch, from the rendering to the commit. Raises
    DomainError as `new_notice` would (no contact, an item in another notice); the caller then rolls back and
    takes the notices one at a time.
    """
    if not follow_ups:
        return []
    cases = [plan.previous.case for plan in follow_ups]
    recipients_of = _active_contacts_of({case.platform_id for case in cases})
    for case in cases:
        if not recipients_of.get(case.platform_id):
            _recipients(case.platform)  # raises the single path's refusal
    _refuse_items_in_other_notices_of(follow_ups)
    steps = {plan.step.pk: plan.step for plan in follow_ups}
    translations = {}
    for row in StepTranslation.objects.filter(step_id__in=steps).order_by("-pk"):
        translations[(row.step_id, row.language)] = row  # the first by pk wins, as `.first()` would pick
    earlier_references: dict[int, list[str]] = {}
    earlier = Notice.objects.filter(case__in=cases, sent_at__isnull=False, sent_at__lt=now).order_by("sent_at")
    for case_id, reference in earlier.values_list("case_id", "reference"):
        earlier_references.setdefault(case_id, []).append(reference)
    label = actor.get_username()
    reminders = owner_reminders()
    notices, rendering = [], []
    for plan in follow_ups:
        case, step, covered = plan.previous.case, plan.step, plan.items
        urgency = Urgency.URGENT if any(item.urgency == Urgency.URGENT for item in covered) else Urgency.NORMAL
        rule = deadline_rule(step, urgency)
        deadline = compute_deadline(now, rule)
        language = _language(case.platform)
        notice = Notice(
            case=case,
            step=step,
            previous=plan.previous,
            status=Status.SENT,
            urgency=urgency,
            language=language,
            recipients=recipients_of[case.platform_id],
            legal_basis=_legal_basis(covered),
            prepared_at=now,
            deadline_at=deadline,
            deadline_rule=rule.as_dict(),
            sent_at=now,
            sent_by=None if is_system(actor) else actor,
            sent_by_label=label,
            owner_reminders_done=sum(1 for before in reminders if deadline - before <= now),
        )
        notice.next_action_at = next_action_at(notice, as_status=Status.SENT)
        translated = translations.get((step.pk, language))
        sources = TextSources(
            subject_template=translated.subject_template if translated else step.subject_template,
            body_template=translated.body_template if translated else step.body_template,
            previous_references=", ".join(earlier_references.get(case.pk, [])) or "-",
        )
        entries = [_snapshot(notice, item) for item in covered]
        notices.append(notice)
        rendering.append((notice, entries, rule, sources))
    # Numbered last: the year's counter row stays locked from here until the transaction ends.
    for notice, reference in zip(notices, allocate_references(now, len(notices)), strict=True):
        notice.reference = reference
    all_entries = []
    for notice, entries, rule, sources in rendering:
        notice.subject, notice.body = _rendered(
            notice, covered_items=entries, rule=rule, deadline=notice.deadline_at, sent_at=now, sources=sources
        )
        all_entries.extend(entries)
    Notice.objects.bulk_create(notices)
    audit.record_many(
        notices,
        action=AuditEntry.Action.TRANSITION,
        actor=actor,
        from_state=Status.PREPARED,
        to_state=Status.SENT,
        reason_of=lambda notice: (
            _("to %(recipients)s, reply due %(deadline)s")
            % {"recipients": ", ".join(notice.recipients), "deadline": format_human_time(notice.deadline_at)}
        ),
        at=now,
    )
    for notice, entries, _rule, _sources in rendering:
        for entry in entries:
            entry.notice = notice
    NoticeItem.objects.bulk_create(all_entries)
    for notice, entries, _rule, _sources in rendering:
        for entry in entries:
            if entry.item.status != FlaggedItem.Status.IN_NOTICE:
                change_item_status(
                    entry.item, to_status=FlaggedItem.Status.IN_NOTICE, actor=actor, reason=notice.reference
                )
    deliveries = delivery_module.create_deliveries_of(notices, now=now)
    impose_sanctions(notices=notices, at=now, actor=actor)
    ids = [row.pk for row in deliveries]
    transaction.on_commit(lambda: delivery_module.enqueue_batches(ids))  # one SMTP session per batch of mail
    return notices


def _active_contacts_of(platform_ids) -> dict[int, list[str]]:
    """`_active_contacts` of several platforms in one query: {platform id: addresses, liaison first}."""
    contacts = PlatformContact.objects.filter(platform_id__in=platform_ids, is_active=True).order_by("role", "email")
    by_platform: dict[int, list[PlatformContact]] = {}
    for contact in contacts:
        by_platform.setdefault(contact.platform_id, []).append(contact)
    return {platform_id: _ranked(found) for platform_id, found in by_platform.items()}


def _refuse_items_in_other_notices_of(follow_ups: list[FollowUp]) -> None:
    """`_refuse_items_in_other_notices` for each follow-up, in one query."""
    previous_of = {item.pk: plan.previous.pk for plan in follow_ups for item in plan.items}
    rows = NoticeItem.objects.filter(
        item_id__in=previous_of, notice__status__in=[Status.PREPARED, *Notice.AWAITING_REPLY]
    ).values_list("item_id", "notice_id", "display", "notice__reference")
    busy = [
        (display, reference) for item_id, notice_id, display, reference in rows if notice_id != previous_of[item_id]
    ]
    if busy:
        message = _("Already in a notice awaiting reply: %(items)s") % {
            "items": ", ".join(f"{display} ({reference})" for display, reference in busy[:20])
        }
        raise DomainError(message, fields={"items": [message]})


def _queue_mail(notice: Notice, delivery_ids: list[int]) -> None:
    notice.mail_queued = delivery_module.enqueue(delivery_ids)


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
    it like any other notice; if it lies behind, the notice is recorded as lapsed. Once the ladder's notice
    steps have run out, it is recorded beyond the ladder (`ladder.step_for_past_notice`): it repeats a rung,
    lapses at its deadline and escalates nothing, and imposes no sanction its rung already imposed.
    """
    require_permission(actor, "notices.send_notice")
    now = timezone.now()
    if sent_at > now:
        raise DomainError(_("A past notice cannot be dated in the future."), fields={"sent_at": [_("in the future")]})
    with transaction.atomic():
        case = Case.objects.select_related("platform").get(pk=case.pk)
        step, beyond_ladder = step_for_past_notice(case, step)
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
            beyond_ladder=beyond_ladder,
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
        reason = _("recorded afterwards: sent %(date)s outside the tracker") % {"date": format_human_time(sent_at)}
        if beyond_ladder:
            reason += "; " + _("extra, beyond the ladder: it repeats %(step)s") % {"step": step.name}
        else:
            impose_sanction(notice=notice, at=sent_at, actor=actor)
        audit.record(obj=notice, action=AuditEntry.Action.CREATE, actor=actor, reason=reason)
    return notice


def _active_contacts(platform: Platform) -> list[str]:
    contacts = PlatformContact.objects.filter(platform=platform, is_active=True).order_by("role", "email")
    return _ranked(contacts)


def _ranked(contacts) -> list[str]:
    # The government liaison channel first: it is the one the platform promised to watch.
    ranked = sorted(contacts, key=lambda contact: contact.role != PlatformContact.Role.GOVERNMENT_LIAISON)
    return list(dict.fromkeys(contact.email.strip().lower() for contact in ranked))


def _recipients(platform: Platform) -> list[str]:
    recipients = _active_contacts(platform)
    if not recipients:
        message = _no_contact_message(platform)
        raise DomainError(message, fields={"recipients": [message]}, code="no_contact")
    return recipients


def _no_contact_message(platform: Platform) -> str:
    return _("%(platform)s has no active contact address: add one in the platform registry first.") % {
        "platform": platform.name
    }


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
