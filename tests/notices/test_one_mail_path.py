"""Every message that leaves the tracker takes the notices' delivery path: orders to ISPs, reminders and
escalations to ISPs, notification emails. Each has its delivery row, the exact bytes and their hash, every
attempt and the receiving server's reply, shown on its page; a real SMTP server on loopback receives them."""

import hashlib
from datetime import timedelta
from email import message_from_bytes

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from blocking import services as blocking_services
from blocking.models import OrderRecipient
from notices import delivery, inbound
from notices.models import Delivery, InboundMail, Notification
from notices.notifications import notify
from tests.factories_blocking import ISPFactory, approved_order
from tests.factories_inbound import reply
from tests.smtp_servers import Mailbox
from tracker.core import pdf
from tracker.core.actors import INBOUND_MAIL

pytestmark = pytest.mark.django_db

ACCEPTED = "250 2.0.0 Ok: queued as 4F1A2B"


def issued_order(supervisor, make_user, **kw):
    isp = ISPFactory(contact_email="noc@telkom.example")
    order = approved_order(proposer=supervisor, approver=make_user("supervisor"), isps=[isp], **kw)
    blocking_services.issue_order(order_id=order.pk, now=order.effective_at)
    return order, OrderRecipient.objects.get(order=order)


def about(record, **filters) -> list[Delivery]:
    return list(delivery.deliveries_about(type(record), [record.pk]).filter(**filters))


def assert_proof(row: Delivery, envelope) -> None:
    """The bytes the server received are the bytes kept, with their hash, its reply and when it accepted."""
    row.refresh_from_db()
    assert row.state == Delivery.State.SENT and row.server_reply == ACCEPTED and row.accepted_at is not None
    assert hashlib.sha256(bytes(row.raw_message)).hexdigest() == row.sha256
    assert message_from_bytes(envelope.original_content)["Message-ID"] == row.message_id
    assert list(row.attempts_made.values_list("result", flat=True)) == ["accepted"]


def test_an_order_reaches_the_isps_mail_server_once_with_proof(supervisor, make_user, smtp_server):
    mailbox = smtp_server()
    order, recipient = issued_order(supervisor, make_user)
    (order_mail,) = about(recipient)
    assert (order_mail.kind, order_mail.purpose, order_mail.recipient) == ("isp_order", "order", "noc@telkom.example")
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "sent"
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "skipped"  # a retry or a second worker
    (envelope,) = mailbox.envelopes
    assert envelope.rcpt_tos == ["noc@telkom.example"]
    assert_proof(order_mail, envelope)
    received = message_from_bytes(envelope.original_content)
    assert received["Subject"].startswith(f"[{order.reference}]")
    assert {part.get_filename() for part in received.walk() if part.get_filename()} == {
        pdf.letter_filename(order.reference),
        f"{order.reference}.txt",
        f"{order.reference}-names.txt",
    }


def test_a_reminder_and_an_escalation_reach_the_isp_and_the_escalation_its_supervisors(
    supervisor, make_user, smtp_server
):
    mailbox = smtp_server()
    supervisor.email = "lead@ministry.example"
    supervisor.save()
    order, recipient = issued_order(supervisor, make_user)
    with time_machine.travel(recipient.acknowledge_due_at - timedelta(minutes=30), tick=False):
        assert blocking_services.chase_recipient(recipient_id=recipient.pk) == "reminded"
    (reminder,) = about(recipient, kind=Delivery.Kind.ISP_REMINDER)
    assert delivery.send_delivery(delivery_id=reminder.pk) == "sent"
    assert_proof(reminder, mailbox.envelopes[-1])
    with time_machine.travel(recipient.implement_due_at + timedelta(minutes=1), tick=False):
        assert blocking_services.chase_recipient(recipient_id=recipient.pk) == "escalated"
    escalation = about(recipient, purpose="escalated-0")
    assert sorted(row.recipient for row in escalation) == sorted(
        ["noc@telkom.example", "lead@ministry.example", order.approved_by.email]
    )
    assert {delivery.send_delivery(delivery_id=row.pk) for row in escalation} == {"sent"}
    assert len({row.message_id for row in escalation}) == 3  # one message each, one Message-ID each


def test_a_notification_email_is_a_delivery_sent_after_commit(liaison_officer, smtp_server):
    mailbox = smtp_server()
    with transaction.atomic():
        notification = notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Due soon")
    (email,) = about(notification)
    assert (email.kind, email.recipient) == (Delivery.Kind.NOTIFICATION, liaison_officer.email)
    assert delivery.send_delivery(delivery_id=email.pk) == "sent"
    assert_proof(email, mailbox.envelopes[-1])
    assert message_from_bytes(mailbox.envelopes[-1].original_content)["Subject"] == "Due soon"


def test_an_order_whose_connection_is_lost_after_data_is_unknown_and_resent_with_the_same_bytes(
    supervisor, make_user, lossy_server, smtp_server
):
    _order, recipient = issued_order(supervisor, make_user)
    (order_mail,) = about(recipient)
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "unknown"
    order_mail.refresh_from_db()
    assert order_mail.state == Delivery.State.UNKNOWN and order_mail.needs_check
    (lost,) = lossy_server
    mailbox = smtp_server()
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "sent"
    again = mailbox.envelopes[0].original_content
    assert message_from_bytes(again)["Message-ID"] == order_mail.message_id
    assert hashlib.sha256(bytes(order_mail.raw_message)).hexdigest() == order_mail.sha256
    assert message_from_bytes(lost)["Message-ID"] == order_mail.message_id  # the same message both times
    order_mail.refresh_from_db()
    assert list(order_mail.attempts_made.values_list("result", flat=True)) == ["unknown", "accepted"]


def test_a_refused_isp_address_fails_for_a_person_to_check(supervisor, make_user, smtp_server):
    smtp_server(Mailbox(refuse="550 5.1.1 no such mailbox"))
    _order, recipient = issued_order(supervisor, make_user)
    (order_mail,) = about(recipient)
    assert delivery.send_delivery(delivery_id=order_mail.pk) == "failed"
    order_mail.refresh_from_db()
    assert order_mail.state == Delivery.State.FAILED and order_mail.needs_check and "550" in order_mail.error


def test_the_order_page_shows_each_isp_messages_proof_and_its_exact_bytes(client, supervisor, make_user, smtp_server):
    smtp_server()
    order, recipient = issued_order(supervisor, make_user)
    (order_mail,) = about(recipient)
    delivery.send_delivery(delivery_id=order_mail.pk)
    order_mail.refresh_from_db()
    client.force_login(supervisor)
    page = client.get(reverse("blocking-order-detail", args=[order.pk])).content.decode()
    assert 'id="order-deliveries"' in page and order_mail.sha256 in page and ACCEPTED in page
    assert reverse("notices-delivery-message", args=[order_mail.pk]) in page
    eml = client.get(reverse("notices-delivery-message", args=[order_mail.pk]))
    assert eml.status_code == 200 and eml.content == bytes(order_mail.raw_message)


def test_the_notification_list_shows_whether_each_email_went_out(client, liaison_officer, smtp_server):
    smtp_server()
    with transaction.atomic():
        sent = notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Sent one")
        notify(liaison_officer, kind="deadline_reminder", case=None, notice=None, title="Queued one")
    (email,) = about(sent)
    delivery.send_delivery(delivery_id=email.pk)
    client.force_login(liaison_officer)
    page = client.get(reverse("notifications-list")).content.decode()
    assert page.count('class="email-delivery"') == 2
    assert str(Delivery.State.SENT.label) in page and str(Delivery.State.QUEUED.label) in page
    assert Notification.objects.filter(user=liaison_officer).count() == 2


def test_a_reply_to_an_isp_order_mail_waits_in_triage_and_never_attaches_to_a_notice(supervisor, make_user):
    _order, recipient = issued_order(supervisor, make_user)
    (order_mail,) = about(recipient)
    raw = reply(**{"In-Reply-To": order_mail.message_id, "Subject": "Re: your order"})
    mail = inbound.ingest_message(raw, source=InboundMail.Source.COMMAND, actor=INBOUND_MAIL)
    assert mail.state == InboundMail.State.TRIAGE and mail.notice is None
