"""Getting a notice to each recipient, once, with proof: the exact bytes, their hash, the server's reply.

1. When a notice is sent, `create_deliveries` fixes each recipient's message (Message-ID derived from the
   reference, Date, bytes, SHA-256) in the notice's transaction; after commit `enqueue` queues one task each.
2. `send_delivery` claims the row with a conditional UPDATE (queued/unknown -> sending), so a retry, two
   workers or two sweeps never send it twice, and talks to the server outside any transaction.
3. With Django's SMTP backend configured, it speaks SMTP itself (MAIL, RCPT, DATA) to keep the reply to the
   end of DATA and the time of acceptance; with any other backend it hands the message to that backend.
4. A connection lost after the message went out leaves the outcome unknown: the row is flagged for a
   person and retried with the same bytes and Message-ID, which receivers use to drop duplicates.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import socket
import ssl
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.utils import format_datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from tracker.core import queueing
from tracker.core.actors import MAIL_DELIVERY
from tracker.core.states import change_state, claim_state

from .models import Delivery, DeliveryAttempt, Notice
from .sweep import sweep_lease

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The broker refusing or dropping a publish: kombu wraps what it retried in OperationalError; redis-py's own
# errors and socket errors may come through unwrapped.
# Errors after which the message certainly did not go out and a later try may succeed.
TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionRefusedError, socket.timeout)
State = Delivery.State
Result = DeliveryAttempt.Result

logger = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """Not sent; try again later (a named transient error, or a 4xx reply)."""


class PermanentFailure(Exception):
    """Not sent, and retrying will not help (a 5xx reply, a refused login)."""


class OutcomeUnknown(Exception):
    """The message was transmitted but the server's verdict never came back."""


def sender_address() -> str:
    return settings.NOTICES_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def message_id_for(reference: str, number: int) -> str:
    """`<TKD.2017.000123.1@domain>`: the reference, readable, so a reply's In-Reply-To names the notice."""
    domain = settings.NOTICES_MESSAGE_ID_DOMAIN or sender_address().rpartition("@")[2] or "localhost"
    return f"<{reference.replace('/', '.')}.{number}@{domain}>"


REFERENCE_IN_MESSAGE_ID = re.compile(r"TKD\.(\d{4})\.(\d{6})\.\d+@")


def reference_from_message_id(message_id: str) -> str | None:
    match = REFERENCE_IN_MESSAGE_ID.search(message_id or "")
    return f"TKD/{match.group(1)}/{match.group(2)}" if match else None


def build_email(
    notice: Notice,
    *,
    recipient: str,
    sender: str,
    message_id: str,
    sent_at: datetime,
    earlier: list[str] | None = None,
) -> EmailMessage:
    """The notice as mailed to one recipient, threaded under the case's earlier notices to that address.

    `earlier`: those notices' Message-IDs, oldest first; read here when not given.
    """
    headers = {
        "Message-ID": message_id,
        "Date": format_datetime(sent_at),
        "X-Takedown-Reference": notice.reference,
        "Auto-Submitted": "auto-generated" if notice.sent_by_id is None else "no",
    }
    if earlier is None:
        earlier = earlier_message_ids(notice, sent_at=sent_at).get(recipient, [])
    if earlier:
        headers["In-Reply-To"] = earlier[-1]
        headers["References"] = " ".join(earlier[-20:])
    return EmailMessage(subject=notice.subject, body=notice.body, from_email=sender, to=[recipient], headers=headers)


def earlier_message_ids(notice: Notice, *, sent_at: datetime) -> dict[str, list[str]]:
    """Per recipient, the Message-IDs of the case's notices sent to them before this one, oldest first."""
    rows = (
        Delivery.objects.filter(
            notice__case_id=notice.case_id, recipient__in=notice.recipients, notice__sent_at__lt=sent_at
        )
        .exclude(notice=notice)
        .order_by("notice__sent_at", "id")
        .values_list("recipient", "message_id")
    )
    earlier: dict[str, list[str]] = {}
    for recipient, message_id in rows:
        earlier.setdefault(recipient, []).append(message_id)
    return earlier


def create_deliveries(notice: Notice, *, now: datetime) -> list[Delivery]:
    """One delivery row per recipient with its exact message; called inside the notice's transaction."""
    sender = sender_address()
    earlier = earlier_message_ids(notice, sent_at=now)  # one query for every recipient
    deliveries = []
    for number, recipient in enumerate(notice.recipients, start=1):
        message_id = message_id_for(notice.reference, number)
        email = build_email(
            notice,
            recipient=recipient,
            sender=sender,
            message_id=message_id,
            sent_at=now,
            earlier=earlier.get(recipient, []),
        )
        deliveries.append(_delivery_of(email, recipient=recipient, now=now, notice=notice))
    return Delivery.objects.bulk_create(deliveries)


def create_message_deliveries(
    *,
    about: models.Model,
    kind: str,
    purpose: str,
    reference: str,
    subject: str,
    body: str,
    to: list[str],
    cc: list[str] | tuple = (),
    attachments: list[tuple[str, str, str]] | tuple = (),
    now: datetime,
) -> list[int]:
    """One delivery per address (To and Cc alike) of one message about `about`; called in its transaction.

    The message is fixed now (Message-ID from the reference and purpose, Date, bytes, SHA-256), exactly as a
    notice's is. The unique constraint refuses the same message to the same address twice (the caller's
    transaction then fails whole). Returns the deliveries' ids, for `enqueue` after commit.
    """
    sender = sender_address()
    about_type = ContentType.objects.get_for_model(about)
    addresses = list(dict.fromkeys(address for address in [*to, *cc] if address))
    headers = {"Date": format_datetime(now), "X-Takedown-Reference": reference, "Auto-Submitted": "auto-generated"}
    deliveries = []
    for number, recipient in enumerate(addresses, start=1):
        message_id = message_id_for(f"{reference}/{about.pk}/{purpose}", number)
        email = EmailMessage(
            subject=subject,
            body=body,
            from_email=sender,
            to=list(to),
            cc=list(cc),
            headers={**headers, "Message-ID": message_id},
        )
        for name, content, mimetype in attachments:
            email.attach(name, content, mimetype)
        deliveries.append(
            _delivery_of(
                email,
                recipient=recipient,
                now=now,
                kind=kind,
                about_type=about_type,
                about_id=about.pk,
                purpose=purpose,
            )
        )
    return [delivery.pk for delivery in Delivery.objects.bulk_create(deliveries)]


def _delivery_of(email: EmailMessage, *, recipient: str, now: datetime, **about) -> Delivery:
    """The unsaved delivery row of `email` to one recipient: its exact bytes (CRLF, as SMTP carries them),
    their SHA-256, and when the sweep looks again should no worker send it."""
    raw = email.message().as_bytes(linesep="\r\n")
    return Delivery(
        **about,
        recipient=recipient,
        sender=email.from_email,
        message_id=email.extra_headers["Message-ID"],
        raw_message=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        created_at=now,
        next_attempt_at=now + sweep_lease(),
    )


def deliveries_about(model: type[models.Model], ids) -> models.QuerySet[Delivery]:
    """The deliveries of messages about these records (e.g. an order's ISP copies), oldest first."""
    about_type = ContentType.objects.get_for_model(model)
    return Delivery.objects.filter(about_type=about_type, about_id__in=list(ids)).order_by("created_at", "id")


def enqueue(delivery_ids: list[int]) -> bool:
    """Queue one sending task per delivery, after commit. Returns whether every one was queued.

    The queue being down (Redis unreachable) is logged, not raised: the rows are committed as queued with a
    `next_attempt_at`, and the sweep hands them out again then, so nothing is lost, and the person who sent the
    notice is told the mail waits for the queue instead of being shown an error for a notice that was saved.
    """
    from .tasks import send_delivery as task

    for number, delivery_id in enumerate(delivery_ids):
        try:
            task.delay(delivery_id)
        except queueing.QUEUE_DOWN as exc:
            # The rest would fail the same way, each after its own retries: leave them all to the sweep.
            waiting = delivery_ids[number:]
            logger.warning(
                "mail queue unreachable (%s: %s): %d deliveries wait for the sweep (ids %s)",
                type(exc).__name__,
                exc,
                len(waiting),
                ", ".join(map(str, waiting[:20])),
            )
            return False
    return True


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the n-th failed attempt: 30 s, 1 min, 2 min, ... at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


def send_delivery(*, delivery_id: int) -> str:
    """Send one delivery if it is still to be sent. Returns sent, retry, unknown, failed or skipped."""
    started = timezone.now()
    claim = {"attempts": F("attempts") + 1, "next_attempt_at": started + sweep_lease()}
    claimed = claim_state(Delivery.objects.filter(pk=delivery_id), to=State.SENDING, also=claim)
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("notice").get(pk=delivery_id)
    try:
        accepted_at, reply = transmit(delivery)
    except TemporaryFailure as exc:
        retry_at = timezone.now() + retry_delay(delivery.attempts)
        _finish(delivery, started, State.QUEUED, Result.TRANSIENT, str(exc), next_attempt_at=retry_at + sweep_lease())
        return "retry"
    except OutcomeUnknown as exc:
        retry_at = timezone.now() + retry_delay(delivery.attempts)
        _finish(delivery, started, State.UNKNOWN, Result.UNKNOWN, str(exc), needs_check=True, next_attempt_at=retry_at)
        return "unknown"
    except PermanentFailure as exc:
        _finish(delivery, started, State.FAILED, Result.FAILED, str(exc), needs_check=True)
        return "failed"
    _finish(delivery, started, State.SENT, Result.ACCEPTED, reply, accepted_at=accepted_at, server_reply=reply)
    return "sent"


def give_up(*, delivery_id: int, why: str) -> None:
    """After the last retry: failed, for a person to look at; never silently dropped."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.state in (State.QUEUED, State.UNKNOWN):
            failed = {"needs_check": True, "next_attempt_at": None, "error": f"{delivery.error}\n{why}".strip()}
            change_state(delivery, to=State.FAILED, actor=MAIL_DELIVERY, reason=why, also=failed, locked=True)


def claim_stale_deliveries(*, now: datetime, limit: int = 500) -> list[int]:
    """The sweep's safety net: deliveries whose task was lost, or whose worker died mid-send.

    One still "sending" after its lease may or may not have gone out: it becomes unknown and is flagged.
    """
    with transaction.atomic():
        rows = list(
            # of=self and an explicit order: the model's ordering would join (and lock) the notices table.
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", "state")[:limit]
        )
        if not rows:
            return []
        stuck = [pk for pk, state in rows if state == State.SENDING]
        if stuck:
            claim_state(
                Delivery.objects.filter(pk__in=stuck),
                to=State.UNKNOWN,
                also={"needs_check": True, "error": "the worker sending it stopped before it finished"},
            )
        ids = [pk for pk, state in rows if state in (State.QUEUED, State.UNKNOWN, State.SENDING)]
        done = [pk for pk, _state in rows if pk not in ids]
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + sweep_lease())
        if done:
            Delivery.objects.filter(pk__in=done).update(next_attempt_at=None)
    return ids


def _finish(delivery, started, state, result, detail, *, needs_check=False, next_attempt_at=None, **fields) -> None:
    finished = timezone.now()
    with transaction.atomic():
        updates = {"next_attempt_at": next_attempt_at, **fields}
        if result != Result.ACCEPTED:
            updates["error"] = detail
        if needs_check:
            updates["needs_check"] = True
        DeliveryAttempt.objects.create(
            delivery=delivery, started_at=started, finished_at=finished, result=result, detail=detail[:4000]
        )
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.state == state:
            # The sweep judged a slow send unknown meanwhile, and unknown it stays: only the details change.
            Delivery.objects.filter(pk=delivery.pk).update(**updates)
        else:
            change_state(locked, to=state, actor=MAIL_DELIVERY, reason=detail[:500], also=updates, locked=True)


# --- the wire ---------------------------------------------------------------------------------------


def transmit(delivery: Delivery) -> tuple[datetime, str]:
    """Hand the delivery's message to the mail system; (time accepted, the server's reply)."""
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return _smtp(bytes(delivery.raw_message), sender=delivery.sender, recipient=delivery.recipient)
    email = _as_email(delivery)
    try:
        sent = get_connection(fail_silently=False).send_messages([email])
    except TRANSIENT as exc:
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
    if not sent:
        raise PermanentFailure(f"{settings.EMAIL_BACKEND} sent nothing")
    return timezone.now(), f"handed to {settings.EMAIL_BACKEND}"


def _as_email(delivery: Delivery) -> EmailMessage:
    """The delivery's message for a Django mail backend other than SMTP (the file outbox, tests' locmem)."""
    if delivery.kind == Delivery.Kind.NOTICE:
        return build_email(
            delivery.notice,
            recipient=delivery.recipient,
            sender=delivery.sender,
            message_id=delivery.message_id,
            sent_at=delivery.notice.sent_at,
        )
    return _StoredEmail(bytes(delivery.raw_message), sender=delivery.sender, recipient=delivery.recipient)


class _StoredEmail(EmailMessage):
    """An EmailMessage that is the stored bytes, so the backend writes exactly what the delivery keeps."""

    def __init__(self, raw: bytes, *, sender: str, recipient: str):
        parsed = message_from_bytes(raw, policy=email_policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        super().__init__(
            subject=str(parsed["Subject"] or ""),
            body=_text(body.get_content()) if body is not None else "",
            from_email=sender,
            to=[recipient],
        )
        for part in parsed.iter_attachments():
            self.attachments.append((part.get_filename(), _text(part.get_content()), part.get_content_type()))
        self._raw = raw

    def message(self, *, policy=None):
        return message_from_bytes(self._raw, policy=email_policy.SMTP)


def _text(content):
    # The stored bytes end their lines with CRLF, as SMTP wants; Python's text has LF.
    return content.replace("\r\n", "\n") if isinstance(content, str) else content


def _smtp(raw: bytes, *, sender: str, recipient: str) -> tuple[datetime, str]:
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    timeout = settings.EMAIL_TIMEOUT or 30
    use_ssl = settings.EMAIL_USE_SSL
    data_sent = False
    try:
        if use_ssl:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
    except TRANSIENT as exc:
        raise TemporaryFailure(f"connecting to {host}:{port}: {type(exc).__name__}: {exc}") from exc
    except OSError as exc:
        raise PermanentFailure(f"connecting to {host}:{port}: {type(exc).__name__}: {exc}") from exc
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.EMAIL_USE_TLS and not use_ssl:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.EMAIL_HOST_USER:
            smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        _expect(*smtp.mail(sender), "MAIL FROM", ok=(250,))
        _expect(*smtp.rcpt(recipient), "RCPT TO", ok=(250, 251))
        _expect(*smtp.docmd("DATA"), "DATA", ok=(354,))
        data_sent = True
        smtp.send(_dot_stuffed(raw))
        code, reply = smtp.getreply()
        accepted_at = timezone.now()
        _expect(code, reply, "end of DATA", ok=(250,))
        return accepted_at, f"{code} {reply.decode('utf-8', 'replace')}"
    except (TemporaryFailure, PermanentFailure):
        raise
    except smtplib.SMTPResponseException as exc:  # login refused, STARTTLS refused, ...
        failure = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
        raise failure(f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}") from exc
    except OSError as exc:  # smtplib's own errors are OSErrors too
        if data_sent:
            raise OutcomeUnknown(f"connection lost after the message was sent: {type(exc).__name__}: {exc}") from exc
        if isinstance(exc, TRANSIENT):
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        raise PermanentFailure(f"{type(exc).__name__}: {exc}") from exc
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _expect(code: int, reply: bytes, stage: str, *, ok: tuple[int, ...]) -> None:
    if code in ok:
        return
    text = f"{stage}: {code} {reply.decode('utf-8', 'replace')}"
    if 400 <= code < 500:
        raise TemporaryFailure(text)
    raise PermanentFailure(text)


def _dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2): leading dots doubled, ended by CRLF.CRLF."""
    body = re.sub(rb"(?m)^\.", b"..", raw)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"
