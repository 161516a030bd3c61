"""Deciding a block proposal: the order it suggests, and that order drafted from it (which closes it).

The writes are blocking.services' own (`create_block_order` with the proposal, `dismiss_proposal`); this module
only fills in what the order form prefills, so the API and the page suggest the same order.
"""

from __future__ import annotations

from datetime import datetime

from tracker.cases.models import Case

from . import services
from .models import ISP, BlockOrder, BlockProposal

# As many items as the order form reads for the legal basis it prefills.
LEGAL_BASIS_ITEMS = 200


def suggested_legal_basis(case: Case) -> str:
    """The legal bases of the case's items' categories, one a line."""
    bases = {item.category.legal_basis for item in case.items.select_related("category")[:LEGAL_BASIS_ITEMS]}
    return "\n".join(sorted(bases))


def suggested_order(proposal: BlockProposal) -> dict:
    """What the order form prefills from a proposal: the platform's owned names, the proposal's reason as the
    justification, the legal bases of the case's items, and the case's sent notices."""
    return {
        "names": services.prefill_names(proposal=proposal),
        "justification": proposal.reason,
        "legal_basis": suggested_legal_basis(proposal.case),
        "notices": list(services.notices_behind(proposal.case)),
    }


def order_from_proposal(
    *,
    proposal: BlockProposal,
    actor,
    effective_at: datetime,
    ends_at: datetime | None = None,
    names: list[str] | None = None,
    justification: str | None = None,
    legal_basis: str | None = None,
    notices=None,
    notice_references: str = "",
    isps: list[ISP] | None = None,
) -> BlockOrder:
    """A draft block order from `proposal`, which becomes "turned into an order" in the same transaction.

    What is not given is the suggestion (`suggested_order`); `isps=None` binds every active ISP. Who may: a
    supervisor (`create_block_order` checks); a proposal no longer open is refused (TransitionNotAllowed).
    """
    suggestion = suggested_order(proposal)
    return services.create_block_order(
        actor=actor,
        proposal=proposal,
        names=suggestion["names"] if names is None else names,
        justification=suggestion["justification"] if justification is None else justification,
        legal_basis=suggestion["legal_basis"] if legal_basis is None else legal_basis,
        notices=notices,  # None: every notice sent in the proposal's case, as the service decides
        notice_references=notice_references,
        effective_at=effective_at,
        ends_at=ends_at,
        isps=isps,
    )
