"""Celery tasks of block orders: thin, idempotent, passing ids; the work is in services."""

import smtplib
import socket

from celery import shared_task
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry

from . import compliance, services
from .models import ISP, BlockOrder, OrderRecipient

TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionRefusedError, socket.timeout)


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


@shared_task(
    name="blocking.send_order_email",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=8,
)
def send_order_email(recipient_id: int) -> None:
    """Mail the order to one ISP, once: the pending -> sending claim stops a second worker."""
    claimed = OrderRecipient.objects.filter(
        pk=recipient_id, email_status__in=[OrderRecipient.Email.PENDING, OrderRecipient.Email.FAILED]
    ).update(email_status=OrderRecipient.Email.SENDING)
    if not claimed:
        return
    recipient = OrderRecipient.objects.select_related("order", "isp").get(pk=recipient_id)
    try:
        order_message(recipient).send()
    except TRANSIENT:
        OrderRecipient.objects.filter(pk=recipient_id).update(email_status=OrderRecipient.Email.PENDING)
        raise
    OrderRecipient.objects.filter(pk=recipient_id).update(
        email_status=OrderRecipient.Email.SENT, emailed_at=timezone.now()
    )


def order_message(recipient: OrderRecipient) -> EmailMessage:
    order = recipient.order
    names = [str(name) for name in order.names.all()]
    # The ISP sees which notices went unanswered by their references only, never their text or items.
    notices = list(order.notices.order_by("sent_at", "id").only("reference", "sent_at"))
    context = {"order": order, "recipient": recipient, "isp": recipient.isp, "names": names, "notices": notices}
    message = EmailMessage(
        subject=f"[{order.reference}] {order.get_kind_display()}: {len(names)} DNS names",
        body=render_to_string("blocking/email/order.txt", context),
        to=[recipient.isp.contact_email],
    )
    message.attach(f"{order.reference}.txt", render_to_string("blocking/order_document.txt", context), "text/plain")
    message.attach(f"{order.reference}-names.txt", "\n".join(names) + "\n", "text/plain")
    return message


REMINDER_SUBJECTS = {
    "acknowledge_soon": "Reminder: acknowledge",
    "acknowledge_late": "Overdue: acknowledge",
    "implement_soon": "Reminder: report implemented",
    "escalated": "Escalation",
}


@shared_task(name="blocking.send_reminder_email", ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=30)
def send_reminder_email(recipient_id: int, kind: str) -> None:
    """Remind one ISP of a deadline coming or passed; an escalation is copied to the order's supervisors."""
    recipient = OrderRecipient.objects.select_related("order", "isp").get(pk=recipient_id)
    context = {"order": recipient.order, "recipient": recipient, "kind": kind}
    to = [recipient.isp.contact_email]
    cc = [user.email for user in (recipient.order.approved_by, recipient.order.proposed_by) if user and user.email]
    EmailMessage(
        subject=f"[{recipient.order.reference}] {REMINDER_SUBJECTS[kind]}",
        body=render_to_string("blocking/email/reminder.txt", context),
        to=to,
        cc=cc if kind == "escalated" else [],
    ).send()


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
