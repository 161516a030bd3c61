"""The supervisors' panel on the home page: block proposals to decide and orders waiting for a second pair of eyes."""

from django.template.loader import render_to_string

from .models import BlockOrder, BlockProposal

ROWS = 10


def panel(request) -> str:
    user = request.user
    if not user.has_perm("blocking.add_blockorder"):
        return ""
    proposals = BlockProposal.objects.filter(status=BlockProposal.Status.OPEN).select_related("case__platform")
    # Orders another supervisor proposed: the ones this user may approve (never their own).
    awaiting = (
        BlockOrder.objects.filter(status=BlockOrder.Status.AWAITING_APPROVAL)
        .exclude(proposed_by=user)
        .select_related("proposed_by")
        .order_by("effective_at", "id")
    )
    return render_to_string(
        "blocking/_home_panel.html",
        {
            "proposals": list(proposals.order_by("proposed_at", "id")[:ROWS]),
            "awaiting": list(awaiting[:ROWS]) if user.has_perm("blocking.approve_blockorder") else None,
        },
        request=request,
    )
