"""Celery tasks of block orders: thin, idempotent, passing ids; the work is in services."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry

from . import compliance, services, zone_transfer
from .models import ISP, BlockOrder, OrderRecipient

logger = logging.getLogger(__name__)


@shared_task(name="blocking.issue_order", ignore_result=True)
def issue_order_task(order_id: int) -> None:
    """Queued by approval with eta=effective time; the sweep catches any that were lost."""
    with audit_context(AuditEntry.Source.TASK, actor_label="issue task"):
        services.issue_order(order_id=order_id)


@shared_task(name="blocking.sweep", ignore_result=True)
def sweep() -> dict:
    """Everything due: orders to issue or end, ISPs to remind or escalate. O(due) by indexed next_action_at."""
    return run_sweep()


def run_sweep(now=None) -> dict:
    now = now or timezone.now()
    done = {"issued": 0, "ended": 0, "reminded": 0, "escalated": 0}
    with audit_context(AuditEntry.Source.TASK, actor_label="blocking sweep"):
        due = BlockOrder.objects.filter(next_action_at__lte=now).order_by("next_action_at").values_list("pk", "status")
        for order_id, status in list(due[:500]):
            if status == BlockOrder.Status.APPROVED and services.issue_order(order_id=order_id, now=now):
                done["issued"] += 1
            elif status == BlockOrder.Status.IN_FORCE and services.end_order(order_id=order_id, now=now):
                done["ended"] += 1
        late = (
            OrderRecipient.objects.filter(next_action_at__lte=now)
            .order_by("next_action_at")
            .values_list("pk", flat=True)
        )
        for recipient_id in list(late[:500]):
            outcome = services.chase_recipient(recipient_id=recipient_id, now=now)
            if outcome:
                done[outcome] += 1
    return done


@shared_task(name="blocking.check_compliance", ignore_result=True)
def check_compliance(isp_id: int | None = None) -> int:
    """Query each ISP's own resolvers (only those) for names in force and names lifted."""
    isps = ISP.objects.filter(is_active=True).exclude(resolver_addresses="")
    if isp_id is not None:
        isps = isps.filter(pk=isp_id)
    total = 0
    for isp in isps:
        with transaction.atomic():
            total += len(compliance.check_isp(isp=isp))
    return total


# Compliance "check now" for one order, and the reminders of ISPs found defying an order (noncompliance.py).
from . import noncompliance  # noqa: E402


@shared_task(name="blocking.check_order_compliance", ignore_result=True)
def check_order_compliance(order_id: int) -> int:
    """Check one order now: its names, at the resolvers of each ISP it was issued to."""
    order = BlockOrder.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    names = compliance.names_of_order(order)
    total = 0
    for isp in compliance.checkable_isps().filter(orders_received__order=order):
        with transaction.atomic():
            total += len(compliance.check_isp(isp=isp, names=names))
    return total


@shared_task(name="blocking.remind_non_compliant_isps", ignore_result=True)
def remind_non_compliant_isps() -> int:
    """Remind each ISP a compliance check found defying an order whose next reminder is due (noncompliance.py)."""
    return noncompliance.remind_due()


@shared_task(name="blocking.push_zones", ignore_result=True)
def push_zones_task() -> int:
    """Bring each ISP's RPZ zone on the DNS server to the current version, then record the transfers logged.

    Queued after each new version; beat runs it every minute too, so a version made while the server was down
    reaches it when it is back. Safe to run twice: a zone at the current serial is left alone.
    """
    if not zone_transfer.enabled():
        return 0
    try:
        zone_transfer.push_zones()
    except zone_transfer.ZoneTransferError as exc:
        logger.warning("RPZ zones not pushed: %s", exc)
    return zone_transfer.record_transfers()
