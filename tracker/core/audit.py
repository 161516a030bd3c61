"""Writing the audit trail: who did what to which record, when, and from where.

Services call `record` (or `record_transition`) inside the same transaction as
the change, so a change and its audit entry are saved together or not at all.
Every entry names who acted: a user, or a SystemActor (tracker/core/actors.py);
`None` is refused.
Where the change came from (UI, API, task, command) is taken from a context set
by middleware, by tasks and by management commands.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from tracker.core import audit_chain
from tracker.core.actors import is_system, require_actor
from tracker.core.models import AuditEntry


@dataclass(frozen=True)
class AuditContext:
    source: str = AuditEntry.Source.SYSTEM
    remote_addr: str | None = None
    actor_label: str = ""


_current = contextvars.ContextVar("audit_context", default=AuditContext())  # noqa: B039 - frozen


@contextmanager
def audit_context(source: str, remote_addr: str | None = None, actor_label: str = ""):
    token = _current.set(AuditContext(source=source, remote_addr=remote_addr, actor_label=actor_label))
    try:
        yield
    finally:
        _current.reset(token)


# Never copied into the audit trail, whatever the record.
SECRET_FIELDS = frozenset({"password"})


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The values of a record's concrete fields, as they would be stored (FKs as ids); secrets left out."""
    values = {}
    # A field kept in several languages (django-modeltranslation) is recorded by its language columns
    # (name_en, name_ind), which `fields` names by the field itself: the plain attribute reads whichever
    # language is active.
    concrete = instance._meta.concrete_fields
    translated = {field.translated_field.name for field in concrete if hasattr(field, "translated_field")}
    for field in concrete:
        named_as = getattr(field, "translated_field", field).name
        if field.name in SECRET_FIELDS or field.name in translated or (fields is not None and named_as not in fields):
            continue
        values[field.name] = field.value_from_object(instance)
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        name: [before.get(name), value] for name, value in after.items() if name not in before or before[name] != value
    }


def record(
    *,
    obj: models.Model,
    action: str,
    actor,
    changes: dict | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    at=None,
) -> AuditEntry:
    require_actor(actor)
    context = _current.get()
    entry = AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_actor_label(actor, context),
        source=context.source,
        remote_addr=context.remote_addr,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        from_state=from_state,
        to_state=to_state,
        changes=changes or {},
        reason=reason,
    )
    if at is not None:
        entry.at = at
    entry.save()
    audit_chain.seal_after_commit()
    return entry


def record_many(
    objects: Iterable[models.Model],
    *,
    action: str,
    actor,
    changes_of=None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    at=None,
    reason_of=None,
) -> int:
    """One entry per record, as `record` writes them, in a single INSERT: for work done set-wise (a bulk
    verify, a batch of lapses). `changes_of(obj)` gives each record's changes, `reason_of(obj)` its own reason
    (instead of the common `reason`). Returns how many were written."""
    require_actor(actor)
    context = _current.get()
    label = _actor_label(actor, context)
    user = actor if actor is not None and actor.is_authenticated else None
    entries = []
    for obj in objects:
        entry = AuditEntry(
            actor=user,
            actor_label=label,
            source=context.source,
            remote_addr=context.remote_addr,
            action=action,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            from_state=from_state,
            to_state=to_state,
            changes=(changes_of(obj) if changes_of else None) or {},
            reason=reason_of(obj) if reason_of else reason,
        )
        if at is not None:
            entry.at = at
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    if entries:
        audit_chain.seal_after_commit()
    return len(entries)


def save_changes(locked: models.Model, fields: dict[str, Any], *, actor, reason: str = "") -> dict:
    """Set `fields` on a record the caller holds locked, save them, and audit what really changed (nothing
    is written to the trail when nothing did). Returns the changes, {field: [before, after]}."""
    before = snapshot(locked, list(fields))
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(fields))
    changes = diff(before, snapshot(locked, list(fields)))
    if changes:
        record(obj=locked, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes, reason=reason)
    return changes


def record_creation(obj: models.Model, *, actor, reason: str = "") -> AuditEntry:
    return record(obj=obj, action=AuditEntry.Action.CREATE, actor=actor, changes=diff({}, snapshot(obj)), reason=reason)


def record_transition(obj: models.Model, *, actor, from_state: str, to_state: str, reason: str = "", at=None):
    return record(
        obj=obj,
        action=AuditEntry.Action.TRANSITION,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=at,
    )


def history(obj: models.Model, *, related: Iterable[models.Model] = ()) -> models.QuerySet[AuditEntry]:
    """The entries of obj and of the records that belong to it (evidence of an item, …).

    Entries of a related record carry is_related=True, so the page can name what they are about.
    """
    own = models.Q(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
    wanted = own
    for record in related:
        wanted |= models.Q(content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk))
    is_related = models.Case(models.When(own, then=False), default=True, output_field=models.BooleanField())
    return AuditEntry.objects.filter(wanted).annotate(is_related=is_related).select_related("actor")


def _actor_label(actor, context: AuditContext) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.get_username()
    if is_system(actor):
        # The task or command the context names, else what the system was doing.
        return context.actor_label or actor.name
    return context.actor_label or context.source


def begin_task_context(task_name: str) -> contextvars.Token:
    """Mark what a Celery task writes as coming from that task (see tracker/conf/celery.py)."""
    return _current.set(AuditContext(source=AuditEntry.Source.TASK, actor_label=task_name))


def end_task_context(token: contextvars.Token) -> None:
    _current.reset(token)
