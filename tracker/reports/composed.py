"""All the figures of one period in one dictionary: what the page shows, the JSON export and the API return."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError

from . import figures
from .periods import Period

INTERVALS = ("week", "month")


def choice(params, name: str, allowed, default: str) -> str:
    value = params.get(name) or default
    if value not in allowed:
        message = _("%(name)s must be one of: %(allowed)s") % {"name": name, "allowed": ", ".join(allowed)}
        raise DomainError(message, fields={name: [message]})
    return value


TABLES = ("platforms", "isps", "work", "trends", "rechecks")


def compose(
    period: Period, *, group_by: str = "platform", interval: str | None = None, tables: tuple[str, ...] = TABLES
) -> dict:
    """The figures of `period`; `tables` names the ones to compute (a chart needs one, the page all four)."""
    now = timezone.now()
    interval = interval or ("week" if period.days <= 120 else "month")
    computing = {
        "platforms": lambda: figures.platform_figures(period, group_by, now=now),
        "isps": lambda: figures.isp_figures(period, now=now),
        "work": lambda: figures.work_figures(period, now=now),
        "trends": lambda: figures.trends(period, interval),
        "rechecks": lambda: figures.recheck_figures(period),
    }
    return {
        "period": {"from": period.first_day, "to": period.last_day, "time_zone": period.zone.key},
        "computed_at": now,
        "group_by": group_by,
        "interval": interval,
        **{table: computing[table]() for table in tables},
    }
