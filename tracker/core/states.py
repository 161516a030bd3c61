"""The one way a record changes state: lock the row, check the declared transition, set it, audit it.

A model declares its state machine beside its states:

    class Case(models.Model):
        class Status(models.TextChoices): ...
        status = models.CharField(...)
        STATE_MACHINE = StateMachine("status", {Status.OPEN: {Status.ESCALATED, ...}, ...})

`change_state` moves one record and writes its audit entry in the same transaction. `claim_state` is the
conditional form for work that is claimed rather than decided (an import starting, a delivery being
sent): one UPDATE limited to the rows whose current state may move to the new one, whose row count
tells the caller whether it won the race (see ../shared/STYLE.md on claims). No other code writes a
state field; tests/architecture/test_state_changes.py checks that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import require_actor
from tracker.core.errors import DomainError, TransitionNotAllowed
from tracker.core.models import AuditEntry


@dataclass(frozen=True)
class StateMachine:
    """A state field and, for each state, the states it may move to."""

    field: str
    transitions: Mapping[str, frozenset[str] | set[str]]
    sources: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        sources: dict[str, set[str]] = {}
        for source, targets in self.transitions.items():
            for target in targets:
                sources.setdefault(str(target), set()).add(str(source))
        object.__setattr__(self, "sources", {target: frozenset(found) for target, found in sources.items()})

    def allows(self, from_state: str, to_state: str) -> bool:
        return to_state in self.transitions.get(from_state, ())

    def next_states(self, from_state: str) -> list[str]:
        return sorted(self.transitions.get(from_state, ()))

    def states_leading_to(self, to_state: str) -> frozenset[str]:
        return self.sources.get(to_state, frozenset())


def machine_of(model: type[models.Model]) -> StateMachine:
    return model.STATE_MACHINE


def change_state(
    obj: models.Model,
    *,
    to: str,
    actor,
    reason: str = "",
    at: datetime | None = None,
    also: Mapping[str, Any] | None = None,
    refusal: str | None = None,
    locked: bool = False,
    changes: Mapping[str, list] | None = None,
) -> models.Model:
    """Move `obj` to state `to` if its model's state machine allows it, with `also` (columns that move
    with the state, e.g. `closed_at`), and write one audit entry (with `changes` worth recording
    besides the state); all in one transaction.

    The row is locked and read again first, unless the caller says it holds the lock already (`locked`,
    after its own `select_for_update`) or `obj` is new: a new record is inserted in its new state, its
    transition from the state it was built in audited like any other.
    Raises TransitionNotAllowed and saves nothing otherwise; `refusal` is its message, with %(from)s and
    %(to)s standing for the states' labels (a default names the model).
    `actor` is a user or a SystemActor, never None. Returns `obj`, updated.
    """
    require_actor(actor)
    model = type(obj)
    machine = machine_of(model)
    state_field = model._meta.get_field(machine.field)
    if to not in {value for value, _label in state_field.choices}:
        raise DomainError(
            _("Unknown %(field)s: %(value)s") % {"field": state_field.verbose_name, "value": to},
            fields={machine.field: [_("unknown")]},
        )
    also = dict(also or {})
    new = obj._state.adding
    if new or locked:
        # The caller holds the row (or it is not stored yet): check first, then write in the caller's
        # transaction without a savepoint (a query each way), so a refusal leaves that transaction usable.
        _check(machine, model, state_field, getattr(obj, machine.field), to, refusal)
    with transaction.atomic(savepoint=not (new or locked)):
        row = obj if new or locked else model._base_manager.select_for_update().get(pk=obj.pk)
        current = getattr(row, machine.field)
        _check(machine, model, state_field, current, to, refusal)
        setattr(row, machine.field, to)
        for name, value in also.items():
            setattr(row, name, value)
        if new:
            row.save()
        else:
            row.save(update_fields=[machine.field, *also])
        audit.record(
            obj=row,
            action=AuditEntry.Action.TRANSITION,
            actor=actor,
            from_state=current,
            to_state=to,
            changes=dict(changes or {}),
            reason=reason,
            at=at,
        )
    if row is not obj:
        for name in (machine.field, *also):
            setattr(obj, name, getattr(row, name))
    return obj


def claim_state(queryset: models.QuerySet, *, to: str, also: Mapping[str, Any] | None = None) -> int:
    """Move every row of `queryset` whose state may become `to` (by the model's table) in one UPDATE.

    Returns how many rows moved: 0 means another worker got there first or the rows had moved on. The
    caller audits what it must (a claim that is only a lease, like a delivery being sent, is not).
    """
    machine = machine_of(queryset.model)
    eligible = queryset.filter(**{f"{machine.field}__in": machine.states_leading_to(to)})
    return eligible.update(**{machine.field: to, **(also or {})})


def _check(machine: StateMachine, model, state_field, current: str, to: str, refusal: str | None) -> None:
    if not machine.allows(current, to):
        raise TransitionNotAllowed(
            _refusal(refusal, model, state_field, current, to),
            fields={machine.field: [f"not allowed from {current}"]},
        )


def _refusal(template: str | None, model, state_field, current: str, to: str) -> str:
    labels = dict(state_field.choices)
    template = template or _("A %(record)s that is %(from)s cannot become %(to)s.")
    return template % {
        "record": model._meta.verbose_name,
        "from": labels.get(current, current),
        "to": labels.get(to, to),
    }
