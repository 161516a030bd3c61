"""Notices reach a real SMTP server on loopback, and the delivery row keeps the proof: the exact bytes, their
hash, the server's reply and when it accepted them. Lost connections and refusals are told apart."""

import hashlib
import socket
import threading
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from notices import delivery, sending
from notices.models import Delivery, DeliveryAttempt
from tests.factories_notices import case_with_items

pytestmark = pytest.mark.django_db

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    def __init__(self, refuse: str = ""):
        self.envelopes = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued as 4F1A2B"


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings):
    def start(mailbox: Mailbox | None = None) -> Mailbox:
        mailbox = mailbox or Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        running.append(controller)
        use_smtp(settings, controller.port)
        return mailbox

    running = []
    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def lossy_server(settings):
    """A server that takes the whole message after DATA, then hangs up without a verdict."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received = []

    def serve():
        conn, _addr = listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 lossy ESMTP\r\n")
            for line in lines:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO", b"MAIL", b"RCPT")):
                    conn.sendall(b"250 OK\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = b""
                    for part in lines:
                        data += part
                        if data.endswith(b"\r\n.\r\n"):
                            break
                    received.append(data)
                    return  # hang up before the 250

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    use_smtp(settings, listener.getsockname()[1])
    yield received
    thread.join(timeout=5)
    listener.close()


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
