"""Polling the notices mailbox over IMAP: every new message stored once, and only then marked seen.

1. SELECT the mailbox and read its UIDVALIDITY: (mailbox, UIDVALIDITY, UID) names one message for good, so
   an inbound mail's `mailbox` is "<user>@<host>/<mailbox>;UIDVALIDITY=<n>" and its `imap_uid` the UID.
2. UID SEARCH UNSEEN. A UID already stored under that key (a crash after the commit, before the flag) is
   only marked seen, without downloading it again.
3. In batches: UID FETCH (RFC822.SIZE) first. A message over NOTICES_INBOUND_MAX_BYTES is not downloaded:
   its headers alone are stored (matched to its notice, unread, in triage) and it stays in the mailbox,
   flagged for a person. The others are fetched with BODY.PEEK[], which does not mark them seen.
4. Each message is ingested in its own transaction, and marked \\Seen only after that commits: a crash
   anywhere leaves it unseen, and the next poll stores it or finds it stored.

The mailbox should be the tracker's own: a person who reads it in a mail program marks messages seen
before the poller has them (mark them unread again, and the next poll takes them).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field

from django.conf import settings

from tracker.core.actors import INBOUND_MAIL

from .inbound import ingest_message, max_bytes
from .models import InboundMail

log = logging.getLogger(__name__)

# The network and the server failing: the next poll tries again.
TRANSIENT = (imaplib.IMAP4.abort, ConnectionError, socket.timeout, TimeoutError, ssl.SSLError)
UID = re.compile(rb"\bUID (\d+)")
SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class MailboxUnavailable(Exception):
    """The mailbox could not be reached or read this time."""


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str = field(repr=False)  # never in a log line or a traceback
    name: str = "INBOX"
    use_ssl: bool = True
    timeout: int = 60

    @classmethod
    def from_settings(cls) -> Mailbox | None:
        """The configured mailbox, or None when polling is off (no host)."""
        if not settings.NOTICES_IMAP_HOST:
            return None
        return cls(
            host=settings.NOTICES_IMAP_HOST,
            port=settings.NOTICES_IMAP_PORT,
            user=settings.NOTICES_IMAP_USER,
            password=settings.NOTICES_IMAP_PASSWORD,
            name=settings.NOTICES_IMAP_MAILBOX or "INBOX",
            use_ssl=settings.NOTICES_IMAP_USE_SSL,
            timeout=settings.NOTICES_IMAP_TIMEOUT,
        )


@dataclass
class PollResult:
    stored: list[int] = field(default_factory=list)  # inbound mail ids, new
    already_stored: int = 0
    too_large: int = 0
    empty: int = 0

    def as_dict(self) -> dict:
        return {
            "stored": self.stored,
            "already_stored": self.already_stored,
            "too_large": self.too_large,
            "empty": self.empty,
        }


def poll_mailbox(mailbox: Mailbox, *, batch: int | None = None, limit: int = 1000) -> PollResult:
    """Store the mailbox's unseen messages (at most `limit` a poll). Raises MailboxUnavailable."""
    batch = batch or settings.NOTICES_IMAP_BATCH
    result = PollResult()
    try:
        connection = _connect(mailbox)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxUnavailable(f"{mailbox.host}:{mailbox.port}: {type(exc).__name__}: {exc}") from exc
    try:
        try:
            _check(connection.login(mailbox.user, mailbox.password), "LOGIN")
        except imaplib.IMAP4.error as exc:
            raise MailboxUnavailable(f"{mailbox.host}: login as {mailbox.user} refused: {_text(exc)}") from exc
        _check(connection.select(_quoted(mailbox.name)), f"SELECT {mailbox.name}")
        validity = _uidvalidity(connection)
        key = f"{mailbox.user}@{mailbox.host}/{mailbox.name};UIDVALIDITY={validity}"[:200]
        unseen = _uids(connection.uid("SEARCH", None, "UNSEEN"))[:limit]
        known = set(InboundMail.objects.filter(mailbox=key, imap_uid__in=unseen).values_list("imap_uid", flat=True))
        for uid in sorted(known):
            _mark(connection, uid, r"(\Seen)")
            result.already_stored += 1
        todo = [uid for uid in unseen if uid not in known]
        for start in range(0, len(todo), batch):
            _take_batch(connection, key, todo[start : start + batch], result)
        connection.close()
    except (imaplib.IMAP4.error, *TRANSIENT) as exc:
        raise MailboxUnavailable(f"{mailbox.host}: {type(exc).__name__}: {_text(exc)}") from exc
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()
    return result


def _take_batch(connection, key: str, uids: list[int], result: PollResult) -> None:
    sizes = {}
    for header, _payload in _fetched(connection.uid("FETCH", _set(uids), "(UID RFC822.SIZE)")):
        uid, size = UID.search(header), SIZE.search(header)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    limit = max_bytes()
    whole = [uid for uid in uids if sizes.get(uid, 0) <= limit]
    for uid in uids:
        if sizes.get(uid, 0) > limit:
            _take(connection, key, uid, _fetch_one(connection, uid, "BODY.PEEK[HEADER]"), result, size=sizes[uid])
    if not whole:
        return
    bodies = {}
    for header, payload in _fetched(connection.uid("FETCH", _set(whole), "(UID BODY.PEEK[])")):
        uid = UID.search(header)
        if uid and payload is not None:
            bodies[int(uid.group(1))] = payload
    for uid in whole:
        raw = bodies.get(uid)
        if raw is None:  # the server put the UID after the literal, or skipped it: ask for it alone
            raw = _fetch_one(connection, uid, "BODY.PEEK[]")
        _take(connection, key, uid, raw, result)


def _take(connection, key: str, uid: int, raw: bytes | None, result: PollResult, *, size: int | None = None):
    if not raw:
        log.warning("IMAP %s UID %s: empty message, marked seen", key, uid)
        _mark(connection, uid, r"(\Seen \Flagged)")
        result.empty += 1
        return
    mail = ingest_message(raw, source=InboundMail.Source.IMAP, mailbox=key, imap_uid=uid, size=size, actor=INBOUND_MAIL)
    # Committed: only now may the server forget that the tracker still has to take it.
    if size is not None:
        _mark(connection, uid, r"(\Seen \Flagged)")  # left in the mailbox for a person to fetch whole
        result.too_large += 1
    else:
        _mark(connection, uid, r"(\Seen)")
    if mail.duplicate:
        result.already_stored += 1
    else:
        result.stored.append(mail.pk)


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.use_ssl:
        return imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=mailbox.timeout
        )
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=mailbox.timeout)


def _check(response, what: str) -> list:
    status, data = response
    if status != "OK":
        detail = b" ".join(item for item in data if isinstance(item, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{what}: {status} {detail}")
    return data


def _uidvalidity(connection) -> int:
    _status, data = connection.response("UIDVALIDITY")
    values = [item for item in data or [] if item]
    if not values:
        raise imaplib.IMAP4.error("the server gave no UIDVALIDITY")
    return int(values[-1])


def _uids(response) -> list[int]:
    data = _check(response, "UID SEARCH")
    return sorted({int(uid) for line in data if line for uid in line.split()})


def _fetched(response):
    """(the FETCH line, its literal or None) for each message of a UID FETCH answer."""
    data = _check(response, "UID FETCH")
    for item in data:
        if isinstance(item, tuple):
            yield item[0], item[1]
        elif isinstance(item, bytes) and item not in (b")",) and UID.search(item):
            yield item, None


def _fetch_one(connection, uid: int, part: str) -> bytes | None:
    for _header, payload in _fetched(connection.uid("FETCH", str(uid), f"({part})")):
        if payload is not None:
            return payload
    return None


def _mark(connection, uid: int, flags: str) -> None:
    _check(connection.uid("STORE", str(uid), "+FLAGS.SILENT", flags), "UID STORE")


def _set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
