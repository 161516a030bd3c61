"""Writes and transitions of block proposals and block orders."""

from django.db import IntegrityError, transaction

from tracker import audit
from tracker.models import AuditEntry, Case

from .models import BlockProposal


def propose_block(*, case: Case, reason: str, actor=None) -> BlockProposal:
    """Open a block proposal for the case, or return the one already open (safe to call twice)."""
    existing = BlockProposal.objects.filter(case=case, status=BlockProposal.Status.OPEN).first()
    if existing:
        return existing
    label = actor.get_username() if actor is not None else "escalation sweep"
    try:
        with transaction.atomic():
            proposal = BlockProposal.objects.create(
                case=case, reason=reason, proposed_by=actor, proposed_by_label=label
            )
            audit.record(obj=proposal, action=AuditEntry.Action.CREATE, actor=actor, reason=reason)
    except IntegrityError:
        # Another worker opened it between our check and our insert.
        return BlockProposal.objects.get(case=case, status=BlockProposal.Status.OPEN)
    return proposal
