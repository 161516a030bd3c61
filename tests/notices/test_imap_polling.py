"""The notices mailbox is polled on a real IMAP server (Debian's dovecot on loopback): replies are threaded
to their notices, every stored message is marked seen only after it is kept, a second poll changes nothing,
and a message over the limit is not downloaded but kept in triage from its headers."""

import imaplib
import importlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django_celery_beat.models import PeriodicTask

from notices import imap, tasks
from notices.models import DeliveryReport, InboundMail, Notification
from tests.factories_inbound import auto_reply_to, delivery_status, reply, reply_to, sent_notice
from tests.services import require_postgresql, require_program, require_redis
from tracker.core.models import User

pytestmark = pytest.mark.django_db

State, MatchedBy = InboundMail.State, InboundMail.MatchedBy
USER, PASSWORD = "notices", "mailbox-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """An IMAP server of the test's own: a passwd-file user and a maildir in a temporary directory."""

    def __init__(self, binary: str):
        self.directory = Path(tempfile.mkdtemp(prefix="tracker-dovecot-"))
        self.port = free_port()
        self.binary = binary
        self.process = None

    def config(self) -> str:
        if os.getuid() == 0:
            # Dovecot never opens mail as root: the mail belongs to nobody, its own processes to its users.
            internal, login, mail_user = "dovecot", "dovenull", pwd.getpwnam("nobody")
            self.directory.chmod(0o755)
        else:
            internal = login = pwd.getpwuid(os.getuid()).pw_name
            mail_user = pwd.getpwuid(os.getuid())
        mail = self.directory / "mail"
        mail.mkdir()
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        (self.directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        root = self.directory
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def start(self) -> None:
        config = self.directory / "dovecot.conf"
        config.write_text(self.config())
        self.process = subprocess.Popen(
            [self.binary, "-c", str(config), "-F"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"dovecot stopped: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client

    def deliver(self, *messages: bytes) -> None:
        client = self.client()
        for raw in messages:
            status, detail = client.append("INBOX", None, None, raw)
            assert status == "OK", detail
        client.logout()

    def uids(self, criterion: str) -> list[int]:
        client = self.client()
        _status, data = client.uid("SEARCH", None, criterion)
        client.logout()
        return [int(uid) for uid in data[0].split()]

    def mailbox(self) -> imap.Mailbox:
        return imap.Mailbox(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, use_ssl=False, timeout=10)


@pytest.fixture
def dovecot():
    server = Dovecot(require_program("dovecot", "dovecot-imapd"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


def counts() -> tuple[int, int, int]:
    return InboundMail.objects.count(), DeliveryReport.objects.count(), Notification.objects.count()


def test_poll_threads_replies_to_their_notices_and_a_second_poll_changes_nothing(dovecot):
    first, second = sent_notice(), sent_notice(contacts=2)
    to_first, to_second = first.deliveries.get(), second.deliveries.order_by("id").first()
    dovecot.deliver(
        reply_to(to_first),
        reply(Subject=f"Re: {second.reference}", Message_ID="<by-subject@platform.example>"),
        auto_reply_to(to_first),
        delivery_status(to_second),
        reply(Subject="Partnership offer", Message_ID="<spam@elsewhere.example>"),
    )

    result = imap.poll_mailbox(dovecot.mailbox(), batch=2)

    assert len(result.stored) == 5 and result.already_stored == 0
    mails = {mail.message_id: mail for mail in InboundMail.objects.all()}
    assert mails["answer-1@platform.example"].notice == first
    assert mails["answer-1@platform.example"].matched_by == MatchedBy.IN_REPLY_TO
    assert (mails["by-subject@platform.example"].notice, mails["by-subject@platform.example"].state) == (
        second,
        State.ATTACHED,
    )
    assert mails["ooo-1@platform.example"].notice == first
    assert not mails["ooo-1@platform.example"].counts_as_answer
    assert DeliveryReport.objects.get().delivery == to_second
    assert mails["spam@elsewhere.example"].state == State.TRIAGE
    assert all(mail.source == InboundMail.Source.IMAP and mail.imap_uid for mail in mails.values())
    assert all(";UIDVALIDITY=" in mail.mailbox for mail in mails.values())
    assert dovecot.uids("UNSEEN") == []
    before = counts()

    again = imap.poll_mailbox(dovecot.mailbox())

    assert again.stored == [] and counts() == before


def test_a_message_stored_but_not_yet_marked_seen_is_not_stored_again(dovecot):
    notice = sent_notice()
    dovecot.deliver(reply_to(notice.deliveries.get()))
    imap.poll_mailbox(dovecot.mailbox())
    # As if the poller had died between the commit and the flag.
    client = dovecot.client()
    client.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
    client.logout()
    before = counts()

    result = imap.poll_mailbox(dovecot.mailbox())

    assert (result.stored, result.already_stored) == ([], 1)
    assert counts() == before and dovecot.uids("UNSEEN") == []


def test_a_message_over_the_limit_is_not_downloaded_and_waits_in_triage(dovecot, settings):
    settings.NOTICES_INBOUND_MAX_BYTES = 4000
    notice = sent_notice()
    raw = reply_to(notice.deliveries.get(), body="attachment " * 2000)
    dovecot.deliver(raw)

    result = imap.poll_mailbox(dovecot.mailbox())

    assert result.too_large == 1
    mail = InboundMail.objects.get()
    assert (mail.kind, mail.state, mail.notice) == (InboundMail.Kind.UNREADABLE, State.TRIAGE, notice)
    assert mail.size >= len(raw) and mail.raw_file.size < 4000  # only the headers were fetched
    assert "stays in the mailbox" in mail.triage_reason
    assert dovecot.uids("FLAGGED") == [mail.imap_uid]  # left there, flagged, for a person


def test_the_task_polls_the_configured_mailbox(dovecot, settings):
    settings.NOTICES_IMAP_HOST, settings.NOTICES_IMAP_PORT = "127.0.0.1", dovecot.port
    settings.NOTICES_IMAP_USER, settings.NOTICES_IMAP_PASSWORD = USER, PASSWORD
    settings.NOTICES_IMAP_USE_SSL = False
    notice = sent_notice()
    dovecot.deliver(reply_to(notice.deliveries.get()))

    assert len(tasks.poll_mailbox()["stored"]) == 1
    assert InboundMail.objects.get().notice == notice


def test_the_task_does_nothing_without_a_host(settings):
    settings.NOTICES_IMAP_HOST = ""
    assert tasks.poll_mailbox() == {"disabled": True}


def test_an_unreachable_server_is_reported_not_raised(settings):
    settings.NOTICES_IMAP_HOST, settings.NOTICES_IMAP_PORT = "127.0.0.1", free_port()
    settings.NOTICES_IMAP_USE_SSL, settings.NOTICES_IMAP_TIMEOUT = False, 2
    assert "127.0.0.1" in tasks.poll_mailbox()["error"]


def test_a_wrong_password_is_reported_not_raised(dovecot, settings):
    settings.NOTICES_IMAP_HOST, settings.NOTICES_IMAP_PORT = "127.0.0.1", dovecot.port
    settings.NOTICES_IMAP_USER, settings.NOTICES_IMAP_PASSWORD = USER, "wrong"
    settings.NOTICES_IMAP_USE_SSL = False
    assert "login as notices refused" in tasks.poll_mailbox()["error"]


def test_beat_polls_the_mailbox_and_the_schedule_migration_reverses():
    migration = importlib.import_module("notices.migrations.0004_mailbox_poll_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    assert PeriodicTask.objects.filter(task="notices.poll_mailbox").count() == 1
    migration.remove_schedule(apps, None)
    assert not PeriodicTask.objects.filter(task="notices.poll_mailbox").exists()


@pytest.mark.django_db(transaction=True)
def test_two_polls_at_once_store_each_message_once(dovecot):
    """Two beat processes firing together: both fetch the same messages, the database keeps each once."""
    require_postgresql()
    require_redis()  # the notice's deliveries are queued when it commits
    notice = sent_notice()
    User.objects.update(email="")  # notifications stay in the app, no email queued
    dovecot.deliver(*[reply_to(notice.deliveries.get(), Message_ID=f"<r{n}@platform.example>") for n in range(6)])
    start = threading.Barrier(2)
    results, errors = [], []

    def poll():
        try:
            start.wait()
            results.append(imap.poll_mailbox(dovecot.mailbox(), batch=2))
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join(60)

    assert errors == []
    assert InboundMail.objects.count() == 6
    assert sorted(pk for result in results for pk in result.stored) == sorted(
        InboundMail.objects.values_list("pk", flat=True)
    )
    assert Notification.objects.filter(kind=Notification.Kind.REPLY_RECEIVED).count() == 6
    assert dovecot.uids("UNSEEN") == []
