"""The figures: what platforms did with the notices, how ISPs kept their deadlines, and the ministry's own work.

Plain functions of a `Period`, each returning rows of plain values: counts, shares (a fraction, None when there
is nothing to divide) and durations in seconds (median and 90th percentile, as PostgreSQL's `percentile_cont`
computes them). Each figure is one aggregate query over indexed columns; nothing is counted row by row in
Python except on SQLite, where percentiles have no SQL function.

Definitions (the page's glossary says the same):
- A notice item is one item in one notice; it is answered when the platform gave an outcome for it, and in time
  when that answer came at or before the notice's deadline (an answer exactly at the deadline is in time).
- An ISP's acknowledgement or implementation is due unless the order ended (lifted or withdrawn) before its
  deadline without it: an order lifted before its ISPs acknowledged is not counted against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, FloatField, Func, Max, Min, Q, Sum, Value
from django.db.models.aggregates import Aggregate
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from blocking.models import ISP, BlockOrder, ComplianceAlert, ComplianceCheck, OrderRecipient, ZoneTransfer
from notices import rechecks
from notices.models import Notice, NoticeItem, Rebuttal, Sanction
from platforms.models import Platform
from tracker.imports.models import ItemImport
from tracker.items.models import Category, FlaggedItem, Urgency

from .periods import Period

RESOLVED = list(NoticeItem.RESOLVED)
ANSWERED = ~Q(outcome=NoticeItem.Outcome.PENDING)


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


class EpochSeconds(Func):
    """Seconds of an interval (or since 1970 of a timestamp), on PostgreSQL."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """`percentile_cont` in Python (linear interpolation between the closest ranks), for SQLite."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _durations(queryset, key: str, start: str, end: str) -> dict[object, tuple[float | None, float | None]]:
    """Median and 90th percentile of `end - start` in seconds, per value of `key`."""
    queryset = queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
    if connection.vendor == "postgresql":
        seconds = EpochSeconds(F(end) - F(start))
        rows = queryset.values(key).annotate(p50=Percentile(seconds, 0.5), p90=Percentile(seconds, 0.9))
        return {row[key]: (row["p50"], row["p90"]) for row in rows.order_by()}
    spans: dict[object, list[float]] = {}
    for group, began, ended in queryset.values_list(key, start, end):
        spans.setdefault(group, []).append((ended - began).total_seconds())
    return {group: (percentile_cont(values, 0.5), percentile_cont(values, 0.9)) for group, values in spans.items()}


@dataclass(frozen=True)
class Grouping:
    """How platform figures are broken down: the NoticeItem path to the key, and the key's label."""

    name: str
    key: str  # on NoticeItem

    def labels(self) -> dict[object, str]:
        if self.name == "platform":
            return dict(Platform.objects.values_list("slug", "name"))
        if self.name == "category":
            return {category.slug: category.name for category in Category.objects.all()}
        return {value: str(label) for value, label in Urgency.choices}


GROUPINGS = {
    "platform": Grouping("platform", "notice__case__platform__slug"),
    "category": Grouping("category", "category"),
    "urgency": Grouping("urgency", "urgency"),
}


def platform_figures(period: Period, group_by: str = "platform", now: dt.datetime | None = None) -> list[dict]:
    """Per platform (or category, or urgency): notices sent in the period and what came of their items."""
    now = now or timezone.now()
    grouping = GROUPINGS[group_by]
    key = grouping.key
    entries = NoticeItem.objects.filter(notice__sent_at__gte=period.start, notice__sent_at__lt=period.end)
    in_time = Q(outcome_at__lte=F("notice__deadline_at"))
    counted = entries.values(key).annotate(
        notices=Count("notice", distinct=True),
        items=Count("id"),
        answered=Count("id", filter=ANSWERED),
        answered_in_time=Count("id", filter=ANSWERED & in_time),
        removed=Count("id", filter=Q(outcome__in=RESOLVED)),
        removed_in_time=Count("id", filter=Q(outcome__in=RESOLVED) & in_time),
        refused=Count("id", filter=Q(outcome=NoticeItem.Outcome.REFUSED)),
        highest_step=Max("notice__step__position"),
    )
    answer_times = _durations(entries.filter(ANSWERED), key, "notice__sent_at", "outcome_at")
    removal_times = _durations(entries.filter(outcome__in=RESOLVED), key, "notice__sent_at", "outcome_at")
    rebuttals = {
        row[f"notice_item__{key}"]: row
        for row in Rebuttal.objects.filter(
            notice_item__notice__sent_at__gte=period.start, notice_item__notice__sent_at__lt=period.end
        )
        .values(f"notice_item__{key}")
        .annotate(
            upheld=Count("id", filter=Q(decision=Rebuttal.Decision.UPHELD)),
            withdrawn=Count("id", filter=Q(decision=Rebuttal.Decision.WITHDRAWN)),
            undecided=Count("id", filter=Q(decision=Rebuttal.Decision.PENDING)),
        )
        .order_by()
    }
    overdue = dict(
        NoticeItem.objects.filter(notice__status__in=Notice.AWAITING_REPLY, notice__deadline_at__lte=now)
        .values(key)
        .annotate(n=Count("notice", distinct=True))
        .order_by()
        .values_list(key, "n")
    )
    sanctions = _sanctions(period, group_by)
    labels = grouping.labels()
    rows = []
    for row in counted.order_by():
        group = row[key]
        answer_p50, answer_p90 = answer_times.get(group, (None, None))
        removal_p50, removal_p90 = removal_times.get(group, (None, None))
        rebutted = rebuttals.get(group, {})
        imposed, paid = sanctions.get(group, (0, 0))
        rows.append(
            {
                "key": group,
                "label": labels.get(group, group),
                "notices": row["notices"],
                "items": row["items"],
                "answered": row["answered"],
                "answered_in_time": row["answered_in_time"],
                "removed": row["removed"],
                "removed_in_time": row["removed_in_time"],
                "removed_share": share(row["removed"], row["items"]),
                "in_time_share": share(row["removed_in_time"], row["items"]),
                "refused": row["refused"],
                "answer_p50": answer_p50,
                "answer_p90": answer_p90,
                "removal_p50": removal_p50,
                "removal_p90": removal_p90,
                "rebuttals_upheld": rebutted.get("upheld", 0),
                "rebuttals_withdrawn": rebutted.get("withdrawn", 0),
                "rebuttals_undecided": rebutted.get("undecided", 0),
                "overdue_now": overdue.get(group, 0),
                "highest_step": row["highest_step"],
                "sanctions_imposed": imposed,
                "sanctions_paid": paid,
            }
        )
    return sorted(rows, key=lambda row: (-row["notices"], str(row["label"])))


def _sanctions(period: Period, group_by: str) -> dict[object, tuple[int, int]]:
    """Sanctions imposed in the period, and of those the ones paid; by platform or by the notice's urgency."""
    key = {"platform": "case__platform__slug", "urgency": "notice__urgency"}.get(group_by)
    if key is None:  # a sanction answers for a notice, not for a category of its items
        return {}
    rows = (
        Sanction.objects.filter(imposed_at__gte=period.start, imposed_at__lt=period.end)
        .values(key)
        .annotate(imposed=Count("id"), paid=Count("id", filter=Q(state=Sanction.State.PAID)))
        .order_by()
    )
    return {row[key]: (row["imposed"], row["paid"]) for row in rows}


def isp_figures(period: Period, now: dt.datetime | None = None) -> list[dict]:
    """Per ISP: the orders issued to it in the period and how it kept their deadlines."""
    now = now or timezone.now()
    received = OrderRecipient.objects.filter(order__issued_at__gte=period.start, order__issued_at__lt=period.end)
    # Due: done, or its deadline passed while the order was still live (not lifted or withdrawn before it).
    live_at = {
        deadline: Q(order__ended_at__isnull=True) | Q(order__ended_at__gt=F(deadline))
        for deadline in ("acknowledge_due_at", "implement_due_at")
    }
    counted = received.values("isp").annotate(
        orders=Count("id"),
        lifts=Count("id", filter=Q(order__kind=BlockOrder.Kind.LIFT)),
        acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
        acknowledge_due=Count(
            "id",
            filter=Q(acknowledged_at__isnull=False) | (Q(acknowledge_due_at__lte=now) & live_at["acknowledge_due_at"]),
        ),
        acknowledged_in_time=Count("id", filter=Q(acknowledged_at__lte=F("acknowledge_due_at"))),
        implemented=Count("id", filter=Q(implemented_at__isnull=False)),
        implement_due=Count(
            "id",
            filter=Q(implemented_at__isnull=False) | (Q(implement_due_at__lte=now) & live_at["implement_due_at"]),
        ),
        implemented_in_time=Count("id", filter=Q(implemented_at__lte=F("implement_due_at"))),
        reminded=Count("id", filter=Q(reminders_sent__gt=0)),
    )
    acknowledge_times = _durations(received, "isp", "order__issued_at", "acknowledged_at")
    implement_times = _durations(received, "isp", "order__issued_at", "implemented_at")
    checks = {
        row["isp"]: row
        for row in ComplianceCheck.objects.filter(checked_at__gte=period.start, checked_at__lt=period.end)
        .values("isp")
        .annotate(
            passed=Count("id", filter=Q(result=ComplianceCheck.Result.COMPLIANT)),
            failed=Count("id", filter=Q(result=ComplianceCheck.Result.NON_COMPLIANT)),
            unanswered=Count("id", filter=Q(result=ComplianceCheck.Result.ERROR)),
        )
        .order_by()
    }
    still_blocking = dict(
        ComplianceAlert.objects.filter(
            problem=ComplianceAlert.Problem.STILL_BLOCKING,
            first_seen_at__gte=period.start,
            first_seen_at__lt=period.end,
        )
        .values("recipient__isp")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("recipient__isp", "n")
    )
    transfer_lags = _transfer_lags(period)
    names = dict(ISP.objects.values_list("id", "name"))
    counted_rows = {row["isp"]: row for row in counted.order_by()}
    rows = []
    for isp in counted_rows.keys() | checks.keys() | transfer_lags.keys():
        row = counted_rows.get(isp, {})
        checked = checks.get(isp, {})
        acknowledge_p50, acknowledge_p90 = acknowledge_times.get(isp, (None, None))
        implement_p50, implement_p90 = implement_times.get(isp, (None, None))
        passed, failed = checked.get("passed", 0), checked.get("failed", 0)
        rows.append(
            {
                "key": isp,
                "label": names.get(isp, isp),
                "orders": row.get("orders", 0),
                "lifts": row.get("lifts", 0),
                "acknowledged": row.get("acknowledged", 0),
                "acknowledge_due": row.get("acknowledge_due", 0),
                "acknowledged_in_time": row.get("acknowledged_in_time", 0),
                "acknowledged_in_time_share": share(row.get("acknowledged_in_time", 0), row.get("acknowledge_due", 0)),
                "implemented": row.get("implemented", 0),
                "implement_due": row.get("implement_due", 0),
                "implemented_in_time": row.get("implemented_in_time", 0),
                "implemented_in_time_share": share(row.get("implemented_in_time", 0), row.get("implement_due", 0)),
                "acknowledge_p50": acknowledge_p50,
                "acknowledge_p90": acknowledge_p90,
                "implement_p50": implement_p50,
                "implement_p90": implement_p90,
                "reminded": row.get("reminded", 0),
                "checks_passed": passed,
                "checks_failed": failed,
                "checks_unanswered": checked.get("unanswered", 0),
                "checks_passed_share": share(passed, passed + failed),
                "still_blocking_after_lift": still_blocking.get(isp, 0),
                "zone_transfers": len(transfer_lags.get(isp, [])),
                "zone_transfer_lag_p50": percentile_cont(transfer_lags.get(isp, []), 0.5),
                "zone_transfer_lag_p90": percentile_cont(transfer_lags.get(isp, []), 0.9),
            }
        )
    return sorted(rows, key=lambda row: (-row["orders"], str(row["label"])))


def _transfer_lags(period: Period) -> dict[int, list[float]]:
    """Per ISP, the seconds from each blocklist version's making to its resolvers' transfer of it, for the
    transfers in the period (the zone-transfer compliance signal, read from the DNS server's log)."""
    lags: dict[int, list[float]] = {}
    transfers = ZoneTransfer.objects.filter(
        transferred_at__gte=period.start, transferred_at__lt=period.end, lag__isnull=False
    ).values_list("isp_id", "lag")
    for isp, lag in transfers.iterator(chunk_size=5000):
        lags.setdefault(isp, []).append(max(lag.total_seconds(), 0.0))
    return lags


def work_figures(period: Period, now: dt.datetime | None = None) -> dict:
    """The ministry's own work: items logged, the unverified backlog and its age, imports, open notices."""
    now = now or timezone.now()
    logged = FlaggedItem.objects.filter(logged_at__gte=period.start, logged_at__lt=period.end)
    by_source = dict(logged.values("source").annotate(n=Count("id")).order_by().values_list("source", "n"))
    by_category = dict(
        logged.values("category__slug").annotate(n=Count("id")).order_by().values_list("category__slug", "n")
    )
    backlog = FlaggedItem.objects.filter(status=FlaggedItem.Status.NEW)
    oldest = backlog.aggregate(oldest=Min("logged_at"))["oldest"]
    if connection.vendor == "postgresql":
        middle = backlog.aggregate(middle=Percentile(EpochSeconds("logged_at"), 0.5))["middle"]
        median_age = now.timestamp() - middle if middle is not None else None
    else:
        ages = [(now - logged_at).total_seconds() for logged_at in backlog.values_list("logged_at", flat=True)]
        median_age = percentile_cont(ages, 0.5)
    imports = ItemImport.objects.filter(created_at__gte=period.start, created_at__lt=period.end).aggregate(
        count=Count("id"),
        rows=_total("total_rows"),
        imported=_total("imported_count"),
        merged=_total("merged_count"),
        rejected=_total("rejected_count"),
    )
    open_notices = (
        Notice.objects.filter(status__in=Notice.AWAITING_REPLY)
        .values("case__owner__username")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline_at__lte=now)))
        .order_by("-open", "case__owner__username")
    )
    source_labels = dict(FlaggedItem.Source.choices)
    category_labels = {category.slug: category.name for category in Category.objects.all()}
    return {
        "logged": sum(by_source.values()),
        "by_source": [
            {"key": key, "label": str(source_labels.get(key, key)), "items": count}
            for key, count in sorted(by_source.items(), key=lambda pair: -pair[1])
        ],
        "by_category": [
            {"key": key, "label": category_labels.get(key, key), "items": count}
            for key, count in sorted(by_category.items(), key=lambda pair: -pair[1])
        ],
        "backlog": backlog.count(),
        "backlog_oldest_age": (now - oldest).total_seconds() if oldest else None,
        "backlog_median_age": median_age,
        "imports": imports,
        "open_notices": [
            {"owner": row["case__owner__username"], "open": row["open"], "overdue": row["overdue"]}
            for row in open_notices
        ],
    }


def _total(field: str):
    return Coalesce(Sum(field), Value(0))


TRUNCATE = {"week": TruncWeek, "month": TruncMonth}


def buckets(period: Period, interval: str) -> list[dt.date]:
    """The first day of each week (Monday) or month that the period touches."""
    day = period.first_day
    if interval == "week":
        day -= dt.timedelta(days=day.weekday())
    else:
        day = day.replace(day=1)
    found = []
    while day <= period.last_day:
        found.append(day)
        if interval == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return found


SERIES = ("notices_sent", "items_logged", "items_removed", "orders_issued")


def trends(period: Period, interval: str = "week") -> list[dict]:
    """Per week or month of the period: notices sent, items logged, items removed, block orders issued."""
    truncate = TRUNCATE[interval]
    bounds = {"gte": period.start, "lt": period.end}

    def per_bucket(queryset, field: str) -> dict[dt.date, int]:
        rows = (
            queryset.filter(**{f"{field}__{op}": value for op, value in bounds.items()})
            .annotate(bucket=truncate(field, tzinfo=period.zone))
            .values("bucket")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {_as_date(row["bucket"], period): row["n"] for row in rows}

    series = {
        "notices_sent": per_bucket(Notice.objects.all(), "sent_at"),
        "items_logged": per_bucket(FlaggedItem.objects.all(), "logged_at"),
        "items_removed": per_bucket(NoticeItem.objects.filter(outcome__in=RESOLVED), "outcome_at"),
        "orders_issued": per_bucket(BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK), "issued_at"),
    }
    return [{"starts": day, **{name: series[name].get(day, 0) for name in SERIES}} for day in buckets(period, interval)]


def _as_date(value, period: Period) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, period.zone).date() if timezone.is_aware(value) else value.date()
    return value


def recheck_figures(period: Period) -> dict:
    """How far the platforms' "removed" answers of the period held when the tracker looked again."""
    return rechecks.recheck_figures(since=period.start, until=period.end)
