"""Celery tasks of notices: thin, idempotent, passing ids; the work is in services and delivery."""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry

from . import delivery, lapses
from . import sweep as sweep_claims

# Notices per advance task, done set-wise in one transaction (lapses.advance_notices): few enough that a
# retry redoes little and the year's reference row is held briefly, enough that per-statement costs vanish.
ADVANCE_BATCH = 200

logger = logging.getLogger(__name__)


@shared_task(name="notices.sweep", ignore_result=True)
def sweep() -> dict:
    return run_sweep()


def run_sweep(now=None, *, batch: int | None = None, budget_seconds: float | None = None) -> dict:
    """Hand out what is due: notices (owner reminders, lapsed deadlines) and deliveries left unfinished.

    O(due): indexed queries on next_action_at / next_attempt_at with skip-locked claims, whatever the number
    of open notices. Claims go in batches (settings NOTICES_SWEEP_BATCH), each committed and queued on its
    own, until the backlog is drained or the time budget (under the beat interval) is spent; the next beat
    takes the rest. The work itself runs in one task per batch of notices, queued after commit. Run twice at
    the same instant, the second run finds nothing: the first leased what it handed out.
    """
    now = now or timezone.now()
    batch = settings.NOTICES_SWEEP_BATCH if batch is None else batch
    budget = settings.NOTICES_SWEEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    stop_at = time.monotonic() + budget
    notice_ids, delivery_ids = [], []
    with audit_context(AuditEntry.Source.TASK, actor_label=sweep_claims.SWEEP_LABEL):
        for claim, handed_out, queue in (
            (sweep_claims.claim_due_notices, notice_ids, _queue_advance),
            (delivery.claim_stale_deliveries, delivery_ids, delivery.enqueue),
        ):
            while True:
                ids = claim(now=now, limit=batch)  # commits its claim (a savepoint inside a caller's transaction)
                if ids:
                    transaction.on_commit(lambda ids=ids, queue=queue: queue(ids))
                handed_out.extend(ids)
                if len(ids) < batch or time.monotonic() >= stop_at:
                    break
    return {"notices": notice_ids, "deliveries": delivery_ids}


def _queue_advance(notice_ids: list[int]) -> None:
    for start in range(0, len(notice_ids), ADVANCE_BATCH):
        advance_notices.delay(notice_ids[start : start + ADVANCE_BATCH])


@shared_task(name="notices.advance_notices", ignore_result=True)
def advance_notices(notice_ids: list[int]) -> list[str]:
    """Do what is due for each notice: the lapses set-wise in one transaction, the rare rest one at a time."""
    with audit_context(AuditEntry.Source.TASK, actor_label=sweep_claims.SWEEP_LABEL):
        return lapses.advance_notices(notice_ids=notice_ids)


@shared_task(name="notices.send_delivery", bind=True, ignore_result=True, max_retries=8)
def send_delivery(self, delivery_id: int) -> str:
    """Send one notice to one recipient; retried with backoff on transient errors and unknown outcomes."""
    with audit_context(AuditEntry.Source.TASK, actor_label="notice delivery"):
        outcome = delivery.send_delivery(delivery_id=delivery_id)
        if outcome in ("retry", "unknown"):
            if self.request.retries >= self.max_retries:
                delivery.give_up(delivery_id=delivery_id, why=f"given up after {self.max_retries + 1} attempts")
                return "failed"
            countdown = delivery.retry_delay(self.request.retries + 1).total_seconds()
            raise self.retry(countdown=countdown)
    return outcome


@shared_task(name="notices.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    """Send a batch of deliveries over one SMTP session (queued by set-wise work: a batch of lapses); each is
    sent only by the task that claims it, and what is not accepted is retried by `send_delivery`."""
    with audit_context(AuditEntry.Source.TASK, actor_label="notice delivery"):
        return delivery.send_deliveries(delivery_ids=delivery_ids)


@shared_task(name="notices.poll_mailbox", ignore_result=True)
def poll_mailbox() -> dict:
    """Store the notices mailbox's new messages (off without NOTICES_IMAP_HOST); beat runs it every minute.

    Safe twice at once: a message two polls fetch is stored once (unique hash and UID), and the next poll
    finds it stored. An unreachable server is logged and left to the next poll.
    """
    from . import imap

    mailbox = imap.Mailbox.from_settings()
    if mailbox is None:
        return {"disabled": True}
    with audit_context(AuditEntry.Source.TASK, actor_label="mailbox poll"):
        try:
            return imap.poll_mailbox(mailbox).as_dict()
        except imap.MailboxUnavailable as exc:
            logger.warning("notices mailbox not polled: %s", exc)
            return {"error": str(exc)}


@shared_task(name="notices.recheck_sweep", ignore_result=True)
def recheck_sweep() -> list[int]:
    """Hand out the content re-checks that are due (rechecks.py)."""
    from . import rechecks

    return rechecks.hand_out_due_checks()


@shared_task(
    name="notices.make_content_check",
    bind=True,
    ignore_result=True,
    max_retries=None,
    soft_time_limit=settings.RECHECK_TOTAL_SECONDS + 30,
    time_limit=settings.RECHECK_TOTAL_SECONDS + 60,
)
def make_content_check(self, check_id: int) -> str:
    """Make one re-check; when its host's turn or a slot is not free, come back later instead of waiting."""
    from . import rechecks

    outcome = rechecks.make_check(check_id)
    if outcome == rechecks.WAIT:
        raise self.retry(countdown=max(settings.RECHECK_HOST_INTERVAL_SECONDS, 1), queue=settings.RECHECK_QUEUE)
    return outcome
