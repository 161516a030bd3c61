"""The period a set of figures covers: whole days in the reader's time zone, turned into UTC bounds once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError

MAX_DAYS = 3 * 366
PRESETS = ("last-30-days", "this-quarter", "last-quarter", "this-year", "last-year")


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    last_day: dt.date  # inclusive
    zone: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def as_params(self) -> dict[str, str]:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    first = day.replace(month=first_month, day=1)
    following = (
        first.replace(year=first.year + 1, month=1) if first_month == 10 else first.replace(month=first_month + 3)
    )
    return first, following - dt.timedelta(days=1)


def presets(today: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    this_quarter = quarter_of(today)
    last_quarter = quarter_of(this_quarter[0] - dt.timedelta(days=1))
    return {
        "last-30-days": (today - dt.timedelta(days=29), today),
        "this-quarter": (this_quarter[0], today),
        "last-quarter": last_quarter,
        "this-year": (today.replace(month=1, day=1), today),
        "last-year": (
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(year=today.year - 1, month=12, day=31),
        ),
    }


def _day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        message = _("Not a date (YYYY-MM-DD): %(value)s") % {"value": value[:40]}
        raise DomainError(message, fields={name: [message]}) from None


def period_from(params, zone: ZoneInfo | None = None) -> Period:
    """The period named by `from`/`to` (dates) or `preset`; this quarter so far when none is given."""
    zone = zone or ZoneInfo(timezone.get_current_timezone_name())
    today = timezone.localdate(timezone=zone)
    preset = params.get("preset", "")
    if preset:
        chosen = presets(today).get(preset)
        if chosen is None:
            message = _("Unknown period: %(preset)s") % {"preset": preset[:40]}
            raise DomainError(message, fields={"preset": [message]})
        return Period(*chosen, zone)
    default_first, default_last = presets(today)["this-quarter"]
    first = _day(params["from"], "from") if params.get("from") else default_first
    last = _day(params["to"], "to") if params.get("to") else max(default_last, first)
    if last < first:
        message = _("The period ends before it begins.")
        raise DomainError(message, fields={"to": [message]})
    if (last - first).days + 1 > MAX_DAYS:
        message = _("A period is at most three years.")
        raise DomainError(message, fields={"to": [message]})
    return Period(first, last, zone)
