"""Administrative sanctions on a case: imposed by a ladder step, then committed to, paid or waived."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state

from .models import Notice, Sanction

State = Sanction.State

_STAMP = {State.COMMITTED: "committed_at", State.PAID: "paid_at", State.WAIVED: "waived_at"}


def impose_sanction(*, notice: Notice, at: datetime, actor) -> Sanction | None:
    """The sanction a notice's step carries, once per notice; None when the step carries none.

    Called inside the transaction that sends (or records) the notice, by the escalation machinery.
    """
    amount = notice.step.sanction_amount
    if amount is None:
        return None
    sanction, created = Sanction.objects.get_or_create(
        notice=notice,
        defaults={
            "case_id": notice.case_id,
            "amount": amount,
            "currency": settings.NOTICES_SANCTION_CURRENCY,
            "imposed_at": at,
        },
    )
    if created:
        audit.record_creation(
            sanction,
            actor=actor,
            reason=_("imposed by %(step)s, %(reference)s") % {"step": notice.step.name, "reference": notice},
        )
    return sanction


def impose_sanctions(*, notices: list[Notice], at: datetime, actor) -> list[Sanction]:
    """`impose_sanction` for notices just inserted (a batch of lapses' next steps): one INSERT of the sanctions
    their steps carry and one of their audit entries; nothing when no step carries one."""
    sanctions = [
        Sanction(
            notice=notice,
            case_id=notice.case_id,
            amount=notice.step.sanction_amount,
            currency=settings.NOTICES_SANCTION_CURRENCY,
            imposed_at=at,
        )
        for notice in notices
        if notice.step.sanction_amount is not None
    ]
    if not sanctions:
        return []
    Sanction.objects.bulk_create(sanctions)
    audit.record_many(
        sanctions,
        action=AuditEntry.Action.CREATE,
        actor=actor,
        changes_of=lambda sanction: audit.diff({}, audit.snapshot(sanction)),
        reason_of=lambda sanction: (
            _("imposed by %(step)s, %(reference)s") % {"step": sanction.notice.step.name, "reference": sanction.notice}
        ),
    )
    return sanctions


def change_sanction_state(
    *, sanction: Sanction, actor, to_state: str, at: datetime | None = None, payment_reference: str = "", note: str = ""
) -> Sanction:
    """Record that the platform committed to pay, paid, or that the sanction was waived (with reasons)."""
    require_permission(actor, "notices.manage_sanction")
    now = timezone.now()
    at = at or now
    problems = {}
    if to_state not in _STAMP:
        problems["to_state"] = [_("Choose: committed, paid or waived.")]
    if at > now + timedelta(minutes=5):
        problems["at"] = [_("The date is in the future.")]
    if to_state == State.WAIVED and not note.strip():
        problems["note"] = [_("Give the reasons for waiving the sanction.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if not Sanction.STATE_MACHINE.allows(sanction.state, to_state):
            message = _("A sanction that is %(from)s cannot become %(to)s.") % {
                "from": sanction.get_state_display(),
                "to": State(to_state).label,
            }
            raise TransitionNotAllowed(message, fields={"to_state": [message]})
        if at < sanction.imposed_at:
            message = _("The date is before the sanction was imposed.")
            raise DomainError(message, fields={"at": [message]})
        stamped = {_STAMP[to_state]: at}
        if payment_reference.strip():
            stamped["payment_reference"] = payment_reference.strip()[:200]
        if note.strip():
            stamped["note"] = (f"{sanction.note}\n" if sanction.note else "") + note.strip()
        change_state(sanction, to=to_state, actor=actor, reason=note.strip()[:500], at=at, also=stamped, locked=True)
    return sanction
