"""What blocking mails to ISPs — each order as issued, reminders and escalations — through notices' one
delivery path, so every message has its delivery row, its exact bytes and the server's reply as proof."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string

from notices import delivery
from notices.models import Delivery
from tracker.core import pdf

from . import letters
from .models import BlockOrder, OrderRecipient

REMINDER_SUBJECTS = {
    "acknowledge_soon": "Reminder: acknowledge",
    "acknowledge_late": "Overdue: acknowledge",
    "implement_soon": "Reminder: report implemented",
    "escalated": "Escalation",
}


def create_order_deliveries(order: BlockOrder, recipients: list[OrderRecipient], *, now: datetime) -> list[int]:
    """The order, its letter (PDF, its SHA-256 kept on the recipient row), its document and its names, to each
    ISP it binds; in the issue's transaction."""
    names = [str(name) for name in order.names.all()]
    # The ISP sees which notices went unanswered by their references only, never their text or items.
    notices = list(order.notices.order_by("sent_at", "id").only("reference", "sent_at"))
    ids = []
    for recipient in recipients:
        context = {"order": order, "recipient": recipient, "isp": recipient.isp, "names": names, "notices": notices}
        letter = letters.order_letter_pdf(order, recipient)
        recipient.letter_sha256 = pdf.sha256(letter)  # the proof of which document each ISP was sent
        ids += delivery.create_message_deliveries(
            about=recipient,
            kind=Delivery.Kind.ISP_ORDER,
            purpose="order",
            reference=order.reference,
            subject=f"[{order.reference}] {order.get_kind_display()}: {len(names)} DNS names",
            body=render_to_string("blocking/email/order.txt", context),
            to=[recipient.isp.contact_email],
            attachments=[
                (pdf.letter_filename(order.reference), letter, "application/pdf"),
                (f"{order.reference}.txt", render_to_string("blocking/order_document.txt", context), "text/plain"),
                (f"{order.reference}-names.txt", "\n".join(names) + "\n", "text/plain"),
            ],
            now=now,
        )
    OrderRecipient.objects.bulk_update(recipients, ["letter_sha256"])
    return ids


def create_resumption_deliveries(
    lift: BlockOrder, block: BlockOrder, recipients: list[OrderRecipient], regained: dict, *, now: datetime
) -> list[int]:
    """A lift for some days has ended: each ISP it was issued to is told, like an order, which names it must
    block again under `block`, with its letter (PDF); in the transaction that ends the lift. `regained`: ISP id ->
    names."""
    ids = []
    for recipient in recipients:
        names = sorted(str(name) for name in regained.get(recipient.isp_id, ()))
        context = {"lift": lift, "block": block, "recipient": recipient, "isp": recipient.isp, "names": names}
        ids += delivery.create_message_deliveries(
            about=recipient,
            kind=Delivery.Kind.ISP_ORDER,
            purpose="resumption",
            reference=lift.reference,
            subject=f"[{lift.reference}] Block resumes under {block.reference}: {len(names)} DNS names",
            body=render_to_string("blocking/email/resumption.txt", context),
            to=[recipient.isp.contact_email],
            attachments=[
                (
                    pdf.letter_filename(f"{lift.reference}-resumes-{block.reference}"),
                    letters.resumption_letter_pdf(lift, block, recipient, names),
                    "application/pdf",
                ),
                (f"{block.reference}-resumed-names.txt", "\n".join(names) + "\n", "text/plain"),
            ],
            now=now,
        )
    return ids


def create_reminder_deliveries(recipient: OrderRecipient, *, kind: str, step_key: str, now: datetime) -> list[int]:
    """Remind one ISP of a deadline coming or passed; an escalation is copied to the order's supervisors."""
    order = recipient.order
    context = {"order": order, "recipient": recipient, "kind": kind}
    supervisors = [user.email for user in (order.approved_by, order.proposed_by) if user and user.email]
    return delivery.create_message_deliveries(
        about=recipient,
        kind=Delivery.Kind.ISP_REMINDER,
        purpose=step_key,
        reference=order.reference,
        subject=f"[{order.reference}] {REMINDER_SUBJECTS[kind]}",
        body=render_to_string("blocking/email/reminder.txt", context),
        to=[recipient.isp.contact_email],
        cc=supervisors if kind == "escalated" else [],
        now=now,
    )


def deliveries_of(recipients: list[OrderRecipient]) -> list[Delivery]:
    """Every message to these ISPs about their orders, oldest first, in two queries; each recipient gets
    `emailed_at`, when the receiving server accepted its copy of the order (None until then)."""
    deliveries = list(
        delivery.deliveries_about(OrderRecipient, [recipient.pk for recipient in recipients]).prefetch_related(
            "attempts_made", "reports"
        )
    )
    accepted = {d.about_id: d.accepted_at for d in deliveries if d.purpose == "order" and d.accepted_at}
    for recipient in recipients:
        recipient.emailed_at = accepted.get(recipient.pk)
    return deliveries


def with_emailed_at(recipients: QuerySet[OrderRecipient]) -> QuerySet[OrderRecipient]:
    """Annotate `emailed_at`: when the ISP's mail server accepted its copy of the order (None until then)."""
    accepted = Delivery.objects.filter(
        about_type=ContentType.objects.get_for_model(OrderRecipient),
        about_id=OuterRef("pk"),
        purpose="order",
        accepted_at__isnull=False,
    )
    return recipients.annotate(emailed_at=Subquery(accepted.order_by("accepted_at").values("accepted_at")[:1]))
