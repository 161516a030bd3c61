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

import contextlib
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

from tracker.core import audit, queueing
from tracker.core.actors import MAIL_DELIVERY
from tracker.core.models import AuditEntry
from tracker.core.states import change_state, claim_state, machine_of

from .models import Delivery, DeliveryAttempt, Notice
from .sweep import sweep_lease

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
OUTBOX_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
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
    return create_deliveries_of([notice], now=now)


def create_deliveries_of(notices: list[Notice], *, now: datetime) -> list[Delivery]:
    """`create_deliveries` for many notices sent at `now` (a batch of lapses): the earlier Message-IDs of all
    their cases in one query and every delivery row in one INSERT, so the cost does not grow per notice."""
    if not notices:
        return []
    sender = sender_address()
    if len(notices) == 1:
        earlier_of = {notices[0].case_id: earlier_message_ids(notices[0], sent_at=now)}
    else:
        earlier_of = _earlier_message_ids_of_cases(notices, sent_at=now)
    deliveries = []
    for notice in notices:
        earlier = earlier_of.get(notice.case_id, {})
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


def _earlier_message_ids_of_cases(notices: list[Notice], *, sent_at: datetime) -> dict[int, dict[str, list[str]]]:
    """`earlier_message_ids` of each notice's case, for notices not yet stored: {case id: {recipient: ids}}."""
    recipients = {recipient for notice in notices for recipient in notice.recipients}
    rows = (
        Delivery.objects.filter(
            notice__case_id__in={notice.case_id for notice in notices},
            recipient__in=recipients,
            notice__sent_at__lt=sent_at,
        )
        .order_by("notice__sent_at", "id")
        .values_list("notice__case_id", "recipient", "message_id")
    )
    earlier: dict[int, dict[str, list[str]]] = {}
    for case_id, recipient, message_id in rows:
        earlier.setdefault(case_id, {}).setdefault(recipient, []).append(message_id)
    return earlier


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
    attachments: list[tuple[str, str | bytes, str]] | tuple = (),
    now: datetime,
) -> list[int]:
    """One delivery per address (To and Cc alike) of one message about `about`; called in its transaction.

    The message is fixed now (Message-ID from the reference and purpose, Date, bytes, SHA-256), exactly as a
    notice's is. The unique constraint refuses the same message to the same address twice (the caller's
    transaction then fails whole). Returns the deliveries' ids, for `enqueue` after commit.
    """
    deliveries = message_deliveries(
        about=about,
        kind=kind,
        purpose=purpose,
        reference=reference,
        subject=subject,
        body=body,
        to=to,
        cc=cc,
        attachments=attachments,
        now=now,
    )
    return [delivery.pk for delivery in Delivery.objects.bulk_create(deliveries)]


def message_deliveries(
    *,
    about: models.Model,
    kind: str,
    purpose: str,
    reference: str,
    subject: str,
    body: str,
    to: list[str],
    cc: list[str] | tuple = (),
    attachments: list[tuple[str, str | bytes, str]] | tuple = (),
    now: datetime,
) -> list[Delivery]:
    """The unsaved delivery rows of `create_message_deliveries`, for a caller that inserts many at once."""
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
    return deliveries


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


# Deliveries per notices.send_deliveries task: one SMTP session for them all.
SEND_BATCH = 200


def enqueue_batches(delivery_ids: list[int]) -> bool:
    """`enqueue` for work done set-wise (a batch of lapses): one `notices.send_deliveries` task per SEND_BATCH
    deliveries, each sending its batch over one SMTP session. Returns whether every batch was queued; the
    queue being down is logged and left to the sweep, as in `enqueue`."""
    from .tasks import send_deliveries as task

    for start in range(0, len(delivery_ids), SEND_BATCH):
        try:
            task.delay(delivery_ids[start : start + SEND_BATCH])
        except queueing.QUEUE_DOWN as exc:
            waiting = delivery_ids[start:]
            logger.warning(
                "mail queue unreachable (%s: %s): %d deliveries wait for the sweep (ids %s)",
                type(exc).__name__,
                exc,
                len(waiting),
                ", ".join(map(str, waiting[:20])),
            )
            return False
    return True


def send_deliveries(*, delivery_ids: list[int]) -> dict[int, str]:
    """`send_delivery` for many, set-wise: claimed in one conditional UPDATE, sent over one SMTP session, the
    accepted ones recorded in a few statements. Returns {delivery id: outcome} of those this call claimed
    (sent, retry, unknown, failed); the others were claimed elsewhere or are done ("skipped" by omission).

    Each row is sent only by the call that moved it to sending, as `send_delivery` does, so a duplicate task or
    a second worker never sends it twice. What is not accepted is finished one at a time as `send_delivery`
    finishes it; its retry is left to `send_delivery` (queued with the backoff) and the sweep.
    """
    started = timezone.now()
    claim = {"attempts": F("attempts") + 1, "next_attempt_at": started + sweep_lease()}
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=delivery_ids, state__in=machine_of(Delivery).states_leading_to(State.SENDING))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            claim_state(Delivery.objects.filter(pk__in=ids), to=State.SENDING, also=claim)
    if not ids:
        return {}
    deliveries = list(Delivery.objects.filter(pk__in=ids).select_related("notice").order_by("pk"))
    if settings.EMAIL_BACKEND != SMTP_BACKEND:
        return {delivery.pk: _transmit_and_finish(delivery, started) for delivery in deliveries}
    results = _smtp_many([(bytes(d.raw_message), d.sender, d.recipient) for d in deliveries])
    accepted, outcomes = [], {}
    for delivery, result in zip(deliveries, results, strict=True):
        if isinstance(result, tuple):
            delivery.accepted_at, delivery.server_reply = result
            accepted.append(delivery)
        else:
            outcomes[delivery.pk] = _finish_failure(delivery, started, result)
    outcomes.update(_finish_accepted(accepted, started))
    return outcomes


def _transmit_and_finish(delivery: Delivery, started: datetime) -> str:
    """`send_delivery` after its claim, for one claimed delivery."""
    try:
        accepted_at, reply = transmit(delivery)
    except (TemporaryFailure, OutcomeUnknown, PermanentFailure) as exc:
        return _finish_failure(delivery, started, exc)
    _finish(delivery, started, State.SENT, Result.ACCEPTED, reply, accepted_at=accepted_at, server_reply=reply)
    return "sent"


def _finish_failure(delivery: Delivery, started: datetime, exc: Exception) -> str:
    """A claimed delivery not accepted: recorded as `send_delivery` records it; a retry queued with the backoff."""
    retry_at = timezone.now() + retry_delay(delivery.attempts)
    if isinstance(exc, TemporaryFailure):
        _finish(delivery, started, State.QUEUED, Result.TRANSIENT, str(exc), next_attempt_at=retry_at + sweep_lease())
        outcome = "retry"
    elif isinstance(exc, OutcomeUnknown):
        _finish(delivery, started, State.UNKNOWN, Result.UNKNOWN, str(exc), needs_check=True, next_attempt_at=retry_at)
        outcome = "unknown"
    else:
        _finish(delivery, started, State.FAILED, Result.FAILED, str(exc), needs_check=True)
        return "failed"
    from .tasks import send_delivery as task

    with contextlib.suppress(*queueing.QUEUE_DOWN):  # if down, its next_attempt_at brings it back by the sweep
        task.apply_async((delivery.pk,), countdown=retry_delay(delivery.attempts).total_seconds())
    return outcome


def _finish_accepted(accepted: list[Delivery], started: datetime) -> dict[int, str]:
    """`_finish` for the accepted deliveries of a batch: attempts, the move to sent (with each one's time and
    reply) and its audit entries, in one statement each."""
    if not accepted:
        return {}
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery=delivery,
                started_at=started,
                finished_at=finished,
                result=Result.ACCEPTED,
                detail=delivery.server_reply[:4000],
            )
            for delivery in accepted
        )
        # Still sending (the sweep judges a slow send unknown only after its lease): those move to sent.
        moved = set(
            Delivery.objects.select_for_update(of=("self",))
            .filter(pk__in=[delivery.pk for delivery in accepted], state=State.SENDING)
            .order_by("pk")  # the model's ordering would join (and lock) the notices
            .values_list("pk", flat=True)
        )
        claim_state(Delivery.objects.filter(pk__in=moved), to=State.SENT, also={"next_attempt_at": None})
        Delivery.objects.bulk_update(accepted, ["accepted_at", "server_reply"])
        audit.record_many(
            [delivery for delivery in accepted if delivery.pk in moved],
            action=AuditEntry.Action.TRANSITION,
            actor=MAIL_DELIVERY,
            from_state=State.SENDING,
            to_state=State.SENT,
            reason_of=lambda delivery: delivery.server_reply[:500],
        )
        for delivery in accepted:
            if delivery.pk not in moved:  # judged unknown meanwhile: the single path's rule
                locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
                updates = {"next_attempt_at": None, "accepted_at": delivery.accepted_at}
                updates["server_reply"] = delivery.server_reply
                change_state(
                    locked,
                    to=State.SENT,
                    actor=MAIL_DELIVERY,
                    reason=delivery.server_reply[:500],
                    also=updates,
                    locked=True,
                )
    return {delivery.pk: "sent" for delivery in accepted}


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
    return timezone.now(), _accepted_by(settings.EMAIL_BACKEND)


def _accepted_by(backend: str) -> str:
    """What the delivery page says took the message, in words rather than a class path."""
    if backend == OUTBOX_BACKEND:
        return "saved to the outbox folder (no mail server is set up: see Outbox)"
    if backend.endswith("locmem.EmailBackend"):
        return "kept in memory by the test mail system"
    return "accepted by the mail system"


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
    """Send one message over its own SMTP session: (time accepted, the server's reply), or raise
    TemporaryFailure, PermanentFailure or OutcomeUnknown (the connection lost after DATA)."""
    (result,) = _smtp_many([(raw, sender, recipient)])
    if isinstance(result, Exception):
        raise result
    return result


def _smtp_many(messages: list[tuple[bytes, str, str]]) -> list:
    """`_smtp` for many (raw, sender, recipient) over one session: per message (time accepted, the server's
    reply), or the TemporaryFailure / PermanentFailure / OutcomeUnknown `_smtp` would have raised for it.
    A session lost midway leaves the one in flight as `_smtp` would, and the rest not sent (temporary)."""
    try:
        smtp = _smtp_session()
    except (TemporaryFailure, PermanentFailure) as exc:
        return [exc] * len(messages)
    results: list = []
    try:
        for raw, sender, recipient in messages:
            data_sent = False
            try:
                _expect(*smtp.mail(sender), "MAIL FROM", ok=(250,))
                _expect(*smtp.rcpt(recipient), "RCPT TO", ok=(250, 251))
                _expect(*smtp.docmd("DATA"), "DATA", ok=(354,))
                data_sent = True
                smtp.send(_dot_stuffed(raw))
                code, reply = smtp.getreply()
                accepted_at = timezone.now()
                _expect(code, reply, "end of DATA", ok=(250,))
                results.append((accepted_at, f"{code} {reply.decode('utf-8', 'replace')}"))
            except (TemporaryFailure, PermanentFailure) as exc:
                results.append(exc)
                smtp.rset()  # the next message starts a fresh mail transaction
            except smtplib.SMTPResponseException as exc:
                failure = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
                results.append(failure(f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"))
                smtp.rset()
            except OSError as exc:  # smtplib's own errors are OSErrors too: the session is gone
                if data_sent:
                    lost = f"connection lost after the message was sent: {type(exc).__name__}: {exc}"
                    results.append(OutcomeUnknown(lost))
                else:  # retried only after a named transient error, as `_smtp`
                    failure = TemporaryFailure if isinstance(exc, TRANSIENT) else PermanentFailure
                    results.append(failure(f"{type(exc).__name__}: {exc}"))
                break
    except OSError:  # RSET failed: the session is gone
        pass
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    # What was never attempted was not sent: left to its retry.
    rest = len(messages) - len(results)
    return results + [TemporaryFailure("not sent: the SMTP session ended before it")] * rest


def _smtp_session() -> smtplib.SMTP:
    """A connected, greeted (and, as configured, encrypted and logged-in) SMTP session."""
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    timeout = settings.EMAIL_TIMEOUT or 30
    use_ssl = settings.EMAIL_USE_SSL
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
    except smtplib.SMTPResponseException as exc:
        smtp.close()
        failure = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
        raise failure(f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}") from exc
    except OSError as exc:
        smtp.close()
        failure = TemporaryFailure if isinstance(exc, TRANSIENT) else PermanentFailure
        raise failure(f"{type(exc).__name__}: {exc}") from exc
    return smtp


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
