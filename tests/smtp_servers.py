"""Real SMTP servers on loopback for mail tests (a pytest plugin, loaded by tests/conftest.py): aiosmtpd
accepting or refusing, and a server that takes a whole message after DATA and hangs up without a verdict."""

import socket
import threading

import pytest
from aiosmtpd.controller import Controller

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
