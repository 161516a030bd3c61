"""Notices reach a real SMTP server on loopback, and the delivery row keeps the proof: the exact bytes, their
hash, the server's reply and when it accepted them. Lost connections and refusals are told apart."""

import hashlib
from email import message_from_bytes

import pytest

from notices import delivery, sending
from notices.models import Delivery, DeliveryAttempt
from tests.factories_notices import case_with_items
from tests.smtp_servers import Mailbox, free_port, use_smtp

pytestmark = pytest.mark.django_db


def a_sent_notice(liaison_officer, contacts: int = 1):
    case, _items = case_with_items(count=2, contacts=contacts)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    return notice, list(Delivery.objects.filter(notice=notice).order_by("pk"))


def test_a_real_smtp_server_receives_the_exact_bytes_kept_as_proof(liaison_officer, smtp_server):
    mailbox = smtp_server()
    notice, deliveries = a_sent_notice(liaison_officer, contacts=2)
    for queued in deliveries:
        assert delivery.send_delivery(delivery_id=queued.pk) == "sent"
    assert len(mailbox.envelopes) == 2
    for queued, envelope in zip(deliveries, mailbox.envelopes, strict=True):
        queued.refresh_from_db()
        raw = bytes(queued.raw_message)
        assert envelope.rcpt_tos == [queued.recipient]
        assert envelope.original_content.rstrip(b"\r\n") == raw.rstrip(b"\r\n")
        assert queued.sha256 == hashlib.sha256(raw).hexdigest()
        assert queued.server_reply == "250 2.0.0 Ok: queued as 4F1A2B"
        assert queued.state == Delivery.State.SENT and queued.accepted_at is not None
        received = message_from_bytes(envelope.original_content)
        assert received["Message-ID"] == queued.message_id
        assert notice.reference in received["Subject"]


def test_a_refused_recipient_fails_for_a_person_to_check(liaison_officer, smtp_server):
    smtp_server(Mailbox(refuse="550 5.1.1 no such mailbox"))
    _notice, (queued,) = a_sent_notice(liaison_officer)
    assert delivery.send_delivery(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.state == Delivery.State.FAILED and queued.needs_check
    assert "550 5.1.1" in queued.error


def test_a_busy_server_4xx_is_retried_later(liaison_officer, smtp_server):
    smtp_server(Mailbox(refuse="451 4.3.0 try again later"))
    _notice, (queued,) = a_sent_notice(liaison_officer)
    assert delivery.send_delivery(delivery_id=queued.pk) == "retry"
    queued.refresh_from_db()
    assert queued.state == Delivery.State.QUEUED and not queued.needs_check
    assert queued.next_attempt_at is not None


def test_an_unreachable_server_is_a_transient_error(liaison_officer, settings):
    use_smtp(settings, free_port())  # nothing listens there
    _notice, (queued,) = a_sent_notice(liaison_officer)
    assert delivery.send_delivery(delivery_id=queued.pk) == "retry"
    attempt = DeliveryAttempt.objects.get(delivery=queued)
    assert attempt.result == DeliveryAttempt.Result.TRANSIENT and "ConnectionRefusedError" in attempt.detail


def test_a_connection_lost_after_data_is_unknown_and_resent_with_the_same_message_id(
    liaison_officer, lossy_server, smtp_server
):
    _notice, (queued,) = a_sent_notice(liaison_officer)
    assert delivery.send_delivery(delivery_id=queued.pk) == "unknown"
    queued.refresh_from_db()
    assert queued.state == Delivery.State.UNKNOWN and queued.needs_check
    assert len(lossy_server) == 1
    mailbox = smtp_server()
    assert delivery.send_delivery(delivery_id=queued.pk) == "sent"
    queued.refresh_from_db()
    assert message_from_bytes(mailbox.envelopes[0].original_content)["Message-ID"] == queued.message_id
    assert queued.attempts == 2 and queued.needs_check  # still flagged: the platform may hold two copies
    assert list(queued.attempts_made.values_list("result", flat=True)) == ["unknown", "accepted"]
