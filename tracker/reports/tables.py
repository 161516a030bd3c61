"""The figures as tables (CSV exports), charts, and links to the lists of records behind them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .periods import Period

GROUP_LABELS = {
    "platform": gettext_lazy("platform"),
    "category": gettext_lazy("category"),
    "urgency": gettext_lazy("urgency"),
}
INTERVAL_LABELS = {"week": gettext_lazy("per week"), "month": gettext_lazy("per month")}

PLATFORM_COLUMNS = (
    "key", "label", "notices", "items", "answered", "answered_in_time", "removed", "removed_in_time",
    "removed_share", "in_time_share", "refused", "answer_p50", "answer_p90", "removal_p50", "removal_p90",
    "rebuttals_upheld", "rebuttals_withdrawn", "rebuttals_undecided", "overdue_now", "highest_step",
    "sanctions_imposed", "sanctions_paid",
)  # fmt: skip
ISP_COLUMNS = (
    "key", "label", "orders", "lifts", "acknowledged", "acknowledge_due", "acknowledged_in_time",
    "acknowledged_in_time_share", "implemented", "implement_due", "implemented_in_time",
    "implemented_in_time_share", "acknowledge_p50", "acknowledge_p90", "implement_p50", "implement_p90",
    "reminded", "checks_passed", "checks_failed", "checks_unanswered", "checks_passed_share",
    "still_blocking_after_lift", "zone_transfers", "zone_transfer_lag_p50", "zone_transfer_lag_p90",
)  # fmt: skip
TREND_COLUMNS = ("starts", "notices_sent", "items_logged", "items_removed", "orders_issued")


def _rows(rows: list[dict], columns) -> tuple[list[str], list[list]]:
    return list(columns), [[row[column] for column in columns] for row in rows]


def _work_rows(report: dict) -> tuple[list[str], list[list]]:
    work = report["work"]
    rows = [["logged", "", "", work["logged"]]]
    rows += [["logged_by_source", row["key"], row["label"], row["items"]] for row in work["by_source"]]
    rows += [["logged_by_category", row["key"], row["label"], row["items"]] for row in work["by_category"]]
    rows += [
        ["unverified_backlog", "", "", work["backlog"]],
        ["unverified_backlog_oldest_age_seconds", "", "", work["backlog_oldest_age"]],
        ["unverified_backlog_median_age_seconds", "", "", work["backlog_median_age"]],
    ]
    rows += [[f"imports_{name}", "", "", value] for name, value in work["imports"].items()]
    rows += [[f"rechecks_{name}", "", "", value] for name, value in report.get("rechecks", {}).items()]
    rows += [["open_notices", row["owner"], "", row["open"]] for row in work["open_notices"]]
    rows += [["overdue_notices", row["owner"], "", row["overdue"]] for row in work["open_notices"]]
    return ["figure", "key", "label", "value"], rows


# The figures each CSV table is made of, where that is more than its own.
CSV_NEEDS = {"work": ("work", "rechecks")}
CSV_TABLES = {
    "platforms": lambda report: _rows(report["platforms"], PLATFORM_COLUMNS),
    "isps": lambda report: _rows(report["isps"], ISP_COLUMNS),
    "trends": lambda report: _rows(report["trends"], TREND_COLUMNS),
    "work": _work_rows,
}


def trend_series() -> dict[str, str]:
    return {
        "notices_sent": _("notices sent"),
        "items_removed": _("items removed"),
        "orders_issued": _("block orders issued"),
    }


def platform_series() -> dict[str, str]:
    return {"removed_share": _("removed or restricted"), "in_time_share": _("removed within the deadline")}


def isp_series() -> dict[str, str]:
    return {
        "acknowledged_in_time_share": _("acknowledged in time"),
        "implemented_in_time_share": _("implemented in time"),
    }


def _interval_title(report: dict, what: str) -> str:
    return f"{what} ({INTERVAL_LABELS[report['interval']]})"


# Each chart and the one table of figures it draws.
CHART_TABLES = {"trends": "trends", "logged": "trends", "platforms": "platforms", "isps": "isps"}
CHARTS = {
    "trends": lambda report, charts: charts.trend_lines(
        report["trends"], trend_series(), _interval_title(report, _("Notices, removals and block orders"))
    ),
    "logged": lambda report, charts: charts.trend_lines(
        report["trends"], {"items_logged": _("items logged")}, _interval_title(report, _("Items logged"))
    ),
    "platforms": lambda report, charts: charts.share_bars(
        report["platforms"][:12], platform_series(), _("What platforms did with the items noticed")
    ),
    "isps": lambda report, charts: charts.share_bars(
        report["isps"][:12], isp_series(), _("ISPs keeping their deadlines")
    ),
}


def _list(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode({key: value for key, value in params.items() if value != ''})}"


def links(report: dict, period: Period) -> dict:
    """Where each figure's records are listed, with the same filters."""
    days = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    sent = {"sent_after": days["from"], "sent_before": days["to"]}
    logged = {"logged_after": days["from"], "logged_before": days["to"]}
    by_platform = report["group_by"] == "platform"
    return {
        "platforms": {
            row["key"]: {
                "notices": _list("notices-list", platform=row["key"], **sent) if by_platform else "",
                "overdue": _list("notices-list", platform=row["key"], overdue="true") if by_platform else "",
            }
            for row in report["platforms"]
        },
        "all_notices": _list("notices-list", **sent),
        "overdue": _list("notices-list", overdue="true"),
        "awaiting": _list("notices-list", awaiting_reply="true"),
        "by_source": {
            row["key"]: _list("items-list", source=row["key"], **logged) for row in report["work"]["by_source"]
        },
        "by_category": {
            row["key"]: _list("items-list", category=row["key"], **logged) for row in report["work"]["by_category"]
        },
        "logged": _list("items-list", **logged),
        "backlog": _list("items-list", status="new"),
        "orders": _list("blocking-order-list", kind="block"),
        "isps": {
            row["key"]: _list(
                "blocking-order-list", isp=row["key"], issued_after=days["from"], issued_before=days["to"]
            )
            for row in report["isps"]
        },
    }
