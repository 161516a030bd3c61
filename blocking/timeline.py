"""The case timeline's entries from blocking: proposals and the life of each order (two queries)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from tracker.core.timeline import TimelineEvent

from .models import BlockOrder, BlockProposal


def case_events(case) -> list[TimelineEvent]:
    events = [
        TimelineEvent(
            at=proposal.proposed_at,
            kind="block_proposal",
            title=_("Block proposed"),
            actor=proposal.proposed_by_label,
            detail=proposal.reason,
        )
        for proposal in BlockProposal.objects.filter(case=case)
    ]
    for order in BlockOrder.objects.filter(case=case).select_related("proposed_by", "approved_by", "recorded_by"):
        url = reverse("blocking-order-detail", args=[order.pk])
        label = f"{order.get_kind_display()} {order.reference}"
        # An order of the past: its real times, marked as recorded afterwards (and by whom, when drafted).
        past = order.recorded_afterwards
        events.append(
            TimelineEvent(
                order.created_at,
                "block_order",
                (_("%s recorded afterwards") if past else _("%s drafted")) % label,
                order.proposed_by.username,
                url=url,
            )
        )
        if order.approved_at:
            events.append(
                TimelineEvent(
                    order.approved_at, "block_order", _("%s approved") % label, order.approved_by.username, url=url
                )
            )
        if order.in_force_at:
            events.append(
                TimelineEvent(
                    order.in_force_at,
                    "block_order",
                    _("%s issued and in force") % label,
                    url=url,
                    recorded_afterwards=past,
                )
            )
        if order.ended_at:
            events.append(
                TimelineEvent(
                    order.ended_at,
                    "block_order",
                    _("%s ended: %s") % (label, order.get_status_display()),
                    url=url,
                    recorded_afterwards=past and order.status == BlockOrder.Status.LIFTED,
                )
            )
    return events
