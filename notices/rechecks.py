"""Re-checks of content a platform said it removed or restricted: "the platform said removed: is it?"

After a "removed" or "restricted" answer, checks are scheduled (settings.RECHECK_AFTER_HOURS: at once, after a
day, after a week); anyone who works on items may ask for one more (`request_recheck`, the item page's button
and the API's action). A worker makes each check (tasks.make_content_check) by fetching the item's address
through the ministry's egress proxy (egress.py) and classifying the answer with the platform kind's rules
(PlatformPageRule, data kept by administrators). Content found still there reopens the item, marks the
platform's answer as not borne out and tells the case owners.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.cases.models import CaseItem
from tracker.core import audit, queueing
from tracker.core.actors import SystemActor
from tracker.core.errors import DomainError, require_permission
from tracker.evidence.services import store_bytes
from tracker.items.models import FlaggedItem
from tracker.items.services import change_item_status

from . import egress
from .models import ContentCheck, NoticeItem, Notification, PlatformPageRule
from .notifications import notify

logger = logging.getLogger(__name__)

RECHECK = SystemActor("content re-check")
Outcome = ContentCheck.Outcome
CHECKED_STATUSES = (FlaggedItem.Status.REMOVED, FlaggedItem.Status.RESTRICTED)
# How much of a page the rules' patterns read: enough for any platform's page head, bounded for the regexes.
PATTERN_READ_CHARS = 512 * 1024
WAIT = "wait"


# --- scheduling ------------------------------------------------------------------------------------------


def schedule_rechecks(entry: NoticeItem, *, now=None) -> list[ContentCheck]:
    """The scheduled checks of a "removed" or "restricted" answer; those due at once are queued after commit."""
    now = now or timezone.now()
    checks = ContentCheck.objects.bulk_create(
        [
            ContentCheck(
                item_id=entry.item_id,
                notice_item=entry,
                occasion=ContentCheck.Occasion.SCHEDULED,
                due_at=now + timedelta(hours=hours),
            )
            for hours in settings.RECHECK_AFTER_HOURS
        ]
    )
    due = [check.pk for check in checks if check.due_at <= now]
    if due:
        transaction.on_commit(lambda: hand_out_due_checks(now=now))
    return checks


def request_recheck(*, item: FlaggedItem, actor) -> ContentCheck:
    """Check an item's content now, on demand. Who may: analysts, liaison officers and supervisors
    (notices.request_contentcheck); not auditors, ISPs or administrators, who act on no item."""
    require_permission(actor, "notices.request_contentcheck")
    if not item.canonical:
        raise DomainError(_("This item has no address to check."))
    now = timezone.now()
    entry = NoticeItem.objects.filter(item=item, outcome__in=NoticeItem.RESOLVED).order_by("-outcome_at", "-id").first()
    with transaction.atomic():
        check = ContentCheck.objects.create(
            item=item, notice_item=entry, occasion=ContentCheck.Occasion.ON_DEMAND, requested_by=actor, due_at=now
        )
        audit.record_creation(check, actor=actor, reason=_("re-check of the content asked for"))
        transaction.on_commit(lambda: hand_out_due_checks(now=now))
    return check


def claim_due_checks(*, now=None, limit: int = 100) -> list[int]:
    """Claim checks due by `now` and return their ids: unclaimed ones (an indexed query on due_at), and ones
    claimed more than RECHECK_LEASE_SECONDS ago and still without an outcome (their task was lost)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RECHECK_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            ContentCheck.objects.select_for_update(skip_locked=True)
            .filter(claimed_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        ids += list(
            ContentCheck.objects.select_for_update(skip_locked=True)
            .filter(outcome="", claimed_at__lt=stale)
            .order_by("claimed_at", "id")
            .values_list("pk", flat=True)[: max(limit - len(ids), 0)]
        )
        ContentCheck.objects.filter(pk__in=ids).update(claimed_at=now)
    return ids


def hand_out_due_checks(*, now=None, limit: int = 100) -> list[int]:
    """Claim what is due and queue one task per check; a queue that is down leaves them for the next sweep."""
    from .tasks import make_content_check

    ids = claim_due_checks(now=now, limit=limit)
    for check_id in ids:
        queued = queueing.queue(
            make_content_check.apply_async, args=[check_id], queue=settings.RECHECK_QUEUE, what="content check"
        )
        if not queued:
            ContentCheck.objects.filter(pk=check_id, outcome="").update(claimed_at=None)
    return ids


# --- the limits: per host and overall ------------------------------------------------------------------------


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def take_host_turn(host: str, *, client=None) -> bool:
    """One fetch per host per RECHECK_HOST_INTERVAL_SECONDS, across all workers (a Redis key that expires)."""
    client = client or _redis()
    interval_ms = max(int(settings.RECHECK_HOST_INTERVAL_SECONDS * 1000), 1)
    return bool(client.set(f"recheck:host:{host.lower()}", "1", nx=True, px=interval_ms))


@contextmanager
def concurrency_slot(*, client=None, token: str | None = None):
    """Yields whether one of RECHECK_CONCURRENCY slots (all workers together) was free; frees it on leaving.

    A Redis sorted set of holders scored by when they took the slot; a holder older than a whole fetch's
    deadline (a worker killed mid-check) no longer counts.
    """
    client = client or _redis()
    key = "recheck:slots"
    token = token or f"{time.time_ns()}-{id(object())}"
    now = time.time()
    client.zremrangebyscore(key, "-inf", now - 2 * settings.RECHECK_TOTAL_SECONDS)
    client.zadd(key, {token: now})
    rank = client.zrank(key, token)
    won = rank is not None and rank < settings.RECHECK_CONCURRENCY
    try:
        yield won
    finally:
        client.zrem(key, token)


# --- making a check ----------------------------------------------------------------------------------------


def address_of(item: FlaggedItem) -> str:
    url = item.canonical
    return url if "://" in url else f"https://{url}"


def make_check(check_id: int) -> str:
    """Make one check: its outcome, or WAIT when the host's turn or a slot is not free (the task retries later).

    Safe to run twice: a check that has an outcome is not made again.
    """
    check = ContentCheck.objects.select_related("item").get(pk=check_id)
    if check.outcome:
        return check.outcome
    if not settings.RECHECK_PROXY_URL:
        return record_check(check, outcome=Outcome.NOT_CONFIGURED, detail=_("no egress proxy configured"))
    url = address_of(check.item)
    try:
        client = _redis()
        if not take_host_turn(urlsplit(url).hostname or "", client=client):
            return WAIT
        with concurrency_slot(client=client) as won:
            if not won:
                return WAIT
            fetched = egress.fetch(url)
    except redis.RedisError:
        return WAIT
    rule = (
        PlatformPageRule.objects.filter(url_rules=check.item.platform.url_rules).first()
        if check.item.platform_id
        else None
    )
    outcome, detail = classify(fetched, rule=rule, address=url)
    return record_check(check, outcome=outcome, detail=detail, fetched=fetched)


def classify(fetched: egress.Fetched, *, rule: PlatformPageRule | None, address: str) -> tuple[str, str]:
    """Gone (404, 410), restricted (451, or the platform's geo-block page), still there (200 and, where the
    rule reads one, the item's identifier on the page), or unreachable (no answer, too large, redirect loop,
    any other status)."""
    if fetched.problem or fetched.status_code is None:
        return Outcome.UNREACHABLE, fetched.problem
    status = fetched.status_code
    if status in (404, 410):
        return Outcome.GONE, f"HTTP {status}"
    if status == 451:
        return Outcome.RESTRICTED, "HTTP 451"
    if status != 200:
        return Outcome.UNREACHABLE, f"HTTP {status}"
    if rule is None:
        return Outcome.PRESENT, "HTTP 200"
    text = fetched.body[: PATTERN_READ_CHARS * 4].decode("utf-8", errors="replace")[:PATTERN_READ_CHARS]
    if rule.geo_block_pattern and re.search(rule.geo_block_pattern, text):
        return Outcome.RESTRICTED, _("the platform's page for content withheld in the country")
    if rule.identifier_pattern:
        shown = {found.lower() for found in re.findall(rule.identifier_pattern, text)}
        wanted = {part.lower() for part in urlsplit(address).path.split("/") if part}
        if not shown:
            return Outcome.GONE, _("the page shows no channel or post")
        if not shown & wanted:
            return Outcome.GONE, _("the page shows another channel or post: %(shown)s") % {
                "shown": ", ".join(sorted(shown))[:200]
            }
        return Outcome.PRESENT, _("the page shows %(shown)s") % {"shown": ", ".join(sorted(shown & wanted))}
    return Outcome.PRESENT, "HTTP 200"


def record_check(check: ContentCheck, *, outcome: str, detail: str = "", fetched: egress.Fetched | None = None) -> str:
    """Keep what a check found and act on it: content still there reopens the item, marks the answer not borne
    out and tells the case owners; content gone or restricted bears the answer out."""
    saved_copy = None
    if fetched is not None and fetched.body and fetched.body_sha256:
        content_type = fetched.headers.get("content-type", "").split(";")[0].strip() or "application/octet-stream"
        saved_copy = store_bytes(fetched.body, content_type=content_type[:100])
    now = timezone.now()
    with transaction.atomic():
        check = (
            ContentCheck.objects.select_for_update(of=("self",))
            .select_related("item", "notice_item__notice")
            .get(pk=check.pk)
        )
        if check.outcome:
            return check.outcome  # another worker got there first
        check.outcome, check.detail, check.checked_at, check.saved_copy = outcome, detail[:500], now, saved_copy
        if fetched is not None:
            check.status_code = fetched.status_code
            check.final_url = fetched.final_url[:2048]
            check.body_sha256 = fetched.body_sha256
            check.elapsed_ms = fetched.elapsed_ms
            check.response_headers = fetched.headers
        check.save()
        entries = _answers_tested(check)
        if outcome in ContentCheck.CONFIRMING:
            NoticeItem.objects.filter(pk__in=[entry.pk for entry in entries], borne_out__isnull=True).update(
                borne_out=True
            )
        elif outcome == Outcome.PRESENT:
            _content_still_there(check, entries)
    return outcome


def _answers_tested(check: ContentCheck) -> list[NoticeItem]:
    if check.notice_item_id:
        return [check.notice_item]
    return list(NoticeItem.objects.filter(item_id=check.item_id, outcome__in=NoticeItem.RESOLVED))


def _content_still_there(check: ContentCheck, entries: list[NoticeItem]) -> None:
    item = FlaggedItem.objects.select_for_update().get(pk=check.item_id)
    reason = _("re-check %(id)s found the content still there (%(url)s, SHA-256 %(hash)s)") % {
        "id": check.pk,
        "url": check.final_url or address_of(item),
        "hash": check.body_sha256[:16],
    }
    if item.status in CHECKED_STATUSES:
        change_item_status(item, to_status=FlaggedItem.Status.IN_NOTICE, actor=RECHECK, reason=reason)
    NoticeItem.objects.filter(pk__in=[entry.pk for entry in entries]).update(borne_out=False)
    title = _("Still there after the platform's answer: %(item)s") % {"item": item.display[:200]}
    link = reverse("items-detail", args=[item.pk])
    notice = entries[0].notice if entries else None
    for membership in CaseItem.objects.filter(item=item, removed_at__isnull=True).select_related("case__owner"):
        notify(
            membership.case.owner,
            kind=Notification.Kind.CONTENT_BACK,
            case=membership.case,
            notice=notice,
            title=title,
            body=reason,
            link=link,
        )


# --- reading -----------------------------------------------------------------------------------------------


def checks_of(item: FlaggedItem):
    return (
        ContentCheck.objects.filter(item=item).select_related("requested_by", "saved_copy").order_by("-due_at", "-id")
    )


def recheck_figures(*, since=None, until=None) -> dict:
    """How far platforms' answers hold: the share of "removed"/"restricted" answers that checks confirmed, the
    median time from the notice to the first confirming check, and re-uploads (items found still there after a
    check had found them gone)."""
    answers = NoticeItem.objects.filter(outcome__in=NoticeItem.RESOLVED)
    if since is not None:
        answers = answers.filter(outcome_at__gte=since)
    if until is not None:
        answers = answers.filter(outcome_at__lt=until)
    total = answers.count()
    confirmed = answers.filter(borne_out=True).count()
    firsts = (
        answers.annotate(
            first_confirmed=Min(
                "content_checks__checked_at", filter=Q(content_checks__outcome__in=ContentCheck.CONFIRMING)
            )
        )
        .filter(first_confirmed__isnull=False)
        .values_list("notice__sent_at", "outcome_at", "first_confirmed")
    )
    durations = [
        (confirmed_at - (sent_at or answered_at)).total_seconds() for sent_at, answered_at, confirmed_at in firsts
    ]
    earlier_confirmation = ContentCheck.objects.filter(
        item_id=OuterRef("item_id"), outcome__in=ContentCheck.CONFIRMING, checked_at__lt=OuterRef("checked_at")
    )
    back = ContentCheck.objects.filter(outcome=Outcome.PRESENT).filter(Exists(earlier_confirmation))
    if since is not None:
        back = back.filter(checked_at__gte=since)
    if until is not None:
        back = back.filter(checked_at__lt=until)
    return {
        "answers": total,
        "confirmed": confirmed,
        "not_borne_out": answers.filter(borne_out=False).count(),
        "confirmed_share": confirmed / total if total else None,
        "median_seconds_to_confirmed_removal": statistics.median(durations) if durations else None,
        "reuploads": back.values("item_id").distinct().count(),
    }
