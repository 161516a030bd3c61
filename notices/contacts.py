"""The contact log of a case: meetings, calls, letters, public statements and emails outside the tracker.

Entries are append-only: nothing changes or deletes one, and a correction is a new entry naming the entry it
corrects. Attachments go to the evidence store (by SHA-256, size and type checked) before the entry's
transaction, as a reply's do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.errors import DomainError, require_permission
from tracker.evidence.services import store_uploads

from .models import ContactAttachment, ContactEntry

MAX_PARTICIPANTS = 50
MAX_NAME = 200


def record_contact(
    *,
    case: Case,
    actor,
    kind: str,
    occurred_at: datetime,
    summary: str,
    ministry_participants: Iterable[str] = (),
    platform_participants: Iterable[str] = (),
    attachments: Iterable = (),
    corrects: ContactEntry | None = None,
) -> ContactEntry:
    """Log one contact with the platform of `case`, at `occurred_at` (aware; may lie in the past, not ahead).

    Who may: liaison officers and supervisors (`notices.add_contactentry`). `corrects`: an earlier entry of
    the same case that this one corrects; the earlier one stays as it was. Raises DomainError naming the field.
    """
    require_permission(actor, "notices.add_contactentry")
    problems: dict[str, list[str]] = {}
    if kind not in ContactEntry.Kind.values:
        problems["kind"] = [_("Choose a kind: %(choices)s") % {"choices": ", ".join(ContactEntry.Kind.values)}]
    if occurred_at is None or timezone.is_naive(occurred_at):
        problems["occurred_at"] = [_("Give when it happened, with its time zone.")]
    elif occurred_at > timezone.now() + timedelta(minutes=5):
        problems["occurred_at"] = [_("A contact cannot be logged before it happens.")]
    if not (summary or "").strip():
        problems["summary"] = [_("Summarise what was said.")]
    people = {}
    for field, names in (
        ("ministry_participants", ministry_participants),
        ("platform_participants", platform_participants),
    ):
        people[field] = [name.strip() for name in names or () if name and name.strip()]
        if len(people[field]) > MAX_PARTICIPANTS or any(len(name) > MAX_NAME for name in people[field]):
            problems[field] = [
                _("At most %(count)d people, each named in at most %(length)d characters.")
                % {"count": MAX_PARTICIPANTS, "length": MAX_NAME}
            ]
    if corrects is not None and corrects.case_id != case.pk:
        problems["corrects"] = [_("A correction must correct an entry of the same case.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    files = store_uploads(attachments)
    with transaction.atomic():
        entry = ContactEntry.objects.create(
            case=case,
            kind=kind,
            occurred_at=occurred_at,
            summary=summary.strip(),
            corrects=corrects,
            recorded_by=actor,
            **people,
        )
        reason = _("corrects #%(number)d") % {"number": corrects.pk} if corrects else ""
        audit.record_creation(entry, actor=actor, reason=reason)
        for file, name in files:
            attachment = ContactAttachment.objects.create(entry=entry, file=file, original_name=name)
            audit.record_creation(
                attachment, actor=actor, reason=_("attached to contact #%(number)d") % {"number": entry.pk}
            )
    return entry


def contact_log(case: Case | None = None) -> QuerySet[ContactEntry]:
    """Contact log entries with what every list shows (attachments and corrections: one query each)."""
    entries = ContactEntry.objects.select_related("recorded_by").prefetch_related(
        Prefetch("attachments", queryset=ContactAttachment.objects.select_related("file")),
        Prefetch("corrections", queryset=ContactEntry.objects.only("id", "corrects_id").order_by("id")),
    )
    return entries.filter(case=case) if case is not None else entries
