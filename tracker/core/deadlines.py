"""Response deadlines for notices: calendar time or office hours with national public holidays.

The only place that does deadline arithmetic. Pure Python: no models, no database. Business-hour rules
count wall-clock minutes in the rule's time zone, so a DST change moves opening time with the clock on the
office wall; calendar rules are absolute durations. Datetimes go in aware and come out aware in UTC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, ngettext

# A run of closed days this long means the rule can never be met (every day closed), not a long holiday.
MAX_CLOSED_DAYS = 731


class InvalidDeadlineRule(ValueError):
    """A rule that cannot produce a deadline; `field` names the attribute at fault (None: the rule as a whole)."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class DeadlineRule:
    minutes: int
    business_hours: bool = False
    time_zone: str = "Asia/Jakarta"
    holiday_country: str = "ID"
    holiday_subdivision: str | None = None
    workday_start: time = time(8, 0)
    workday_end: time = time(16, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    extra_closed_days: frozenset[date] = frozenset()

    def __post_init__(self):
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int) or self.minutes <= 0:
            raise InvalidDeadlineRule("minutes", f"must be a whole number above zero, not {self.minutes!r}")
        if not isinstance(self.business_hours, bool):
            raise InvalidDeadlineRule("business_hours", f"must be true or false, not {self.business_hours!r}")
        for name in ("time_zone", "holiday_country", "holiday_subdivision"):
            value = getattr(self, name)
            if not (isinstance(value, str) or (value is None and name == "holiday_subdivision")):
                raise InvalidDeadlineRule(name, f"must be text, not {value!r}")
        _zone(self.time_zone)
        _check_holiday_calendar(self.holiday_country, self.holiday_subdivision)
        for name in ("workday_start", "workday_end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidDeadlineRule(name, f"must be a wall-clock time without a time zone, not {value!r}")
        if self.workday_start >= self.workday_end:
            raise InvalidDeadlineRule(
                "workday_end",
                f"must be after workday_start ({self.workday_start:%H:%M}), not {self.workday_end:%H:%M}",
            )
        # Accept any iterable so from_dict and callers may pass lists; frozen sets keep the rule hashable.
        workdays = frozenset(self.workdays)
        if not workdays:
            raise InvalidDeadlineRule("workdays", "at least one day of the week must be a workday")
        if any(isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6 for day in workdays):
            raise InvalidDeadlineRule("workdays", f"days are 0 (Monday) to 6 (Sunday), not {sorted(workdays)!r}")
        closed = frozenset(self.extra_closed_days)
        # A datetime is a date too, but it never equals one, so it would silently close nothing.
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in closed):
            raise InvalidDeadlineRule("extra_closed_days", "must contain dates only")
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "extra_closed_days", closed)

    def describe(self) -> str:
        if self.minutes % 60 == 0:
            hours = self.minutes // 60
            if not self.business_hours:
                return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
            amount = ngettext("%(count)d business hour", "%(count)d business hours", hours) % {"count": hours}
        else:
            if not self.business_hours:
                return ngettext("%(count)d minute", "%(count)d minutes", self.minutes) % {"count": self.minutes}
            amount = ngettext("%(count)d business minute", "%(count)d business minutes", self.minutes) % {
                "count": self.minutes
            }
        calendar = self.holiday_country
        if self.holiday_subdivision:
            calendar = f"{calendar}-{self.holiday_subdivision}"
        schedule = gettext("%(days)s %(start)s–%(end)s %(zone)s, %(calendar)s public holidays") % {
            "days": _describe_workdays(self.workdays),
            "start": f"{self.workday_start:%H:%M}",
            "end": f"{self.workday_end:%H:%M}",
            "zone": self.time_zone,
            "calendar": calendar,
        }
        if self.extra_closed_days:
            count = len(self.extra_closed_days)
            schedule += ngettext(", %(count)d extra closed day", ", %(count)d extra closed days", count) % {
                "count": count
            }
        return f"{amount} ({schedule})"

    def as_dict(self) -> dict:
        return {
            "minutes": self.minutes,
            "business_hours": self.business_hours,
            "time_zone": self.time_zone,
            "holiday_country": self.holiday_country,
            "holiday_subdivision": self.holiday_subdivision,
            "workday_start": self.workday_start.isoformat(),
            "workday_end": self.workday_end.isoformat(),
            "workdays": sorted(self.workdays),
            "extra_closed_days": sorted(day.isoformat() for day in self.extra_closed_days),
        }

    @classmethod
    def from_dict(cls, data: dict) -> DeadlineRule:
        """Rebuild a rule from as_dict(); missing keys take today's defaults, unknown keys are refused."""
        if not isinstance(data, dict):
            raise InvalidDeadlineRule(None, f"a deadline rule is a mapping of fields, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidDeadlineRule(unknown[0], "is not a deadline rule field")
        values = dict(data)
        for name in ("workday_start", "workday_end"):
            if isinstance(values.get(name), str):
                try:
                    values[name] = time.fromisoformat(values[name])
                except ValueError:
                    raise InvalidDeadlineRule(name, f"not a time of day: {values[name]!r}") from None
        if "workdays" in values:
            values["workdays"] = _as_iterable("workdays", values["workdays"])
        if "extra_closed_days" in values:
            try:
                values["extra_closed_days"] = [
                    date.fromisoformat(day) if isinstance(day, str) else day
                    for day in _as_iterable("extra_closed_days", values["extra_closed_days"])
                ]
            except ValueError:
                raise InvalidDeadlineRule("extra_closed_days", "dates must be written YYYY-MM-DD") from None
        if "minutes" not in values:
            raise InvalidDeadlineRule("minutes", "is required")
        return cls(**values)


def compute_deadline(start: datetime, rule: DeadlineRule) -> datetime:
    """When a notice sent at `start` must be answered, in UTC."""
    _require_aware(start, "start")
    allowed = timedelta(minutes=rule.minutes)
    if not rule.business_hours:
        # Add in UTC: adding to a zoned datetime would add wall-clock time and stretch across DST.
        return start.astimezone(UTC) + allowed

    zone = _zone(rule.time_zone)
    cursor = _wall_clock(start, zone)
    day = cursor.date()
    remaining = allowed
    closed_run = 0
    while closed_run < MAX_CLOSED_DAYS:
        hours = _office_hours(day, rule)
        if hours is not None and max(cursor, hours[0]) < hours[1]:
            begin = max(cursor, hours[0])
            available = hours[1] - begin
            # `<=` keeps a deadline that uses up the day exactly at closing time, not next morning.
            if remaining <= available:
                return _to_utc(begin + remaining, zone)
            remaining -= available
            closed_run = 0
        else:
            closed_run += 1
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min)
    raise InvalidDeadlineRule(
        None, f"no office hours in {MAX_CLOSED_DAYS} days from {start.isoformat()}; check workdays and closed days"
    )


def is_business_time(at: datetime, rule: DeadlineRule) -> bool:
    """Whether time at this instant counts toward the rule's deadline (always, for a calendar rule)."""
    _require_aware(at, "at")
    if not rule.business_hours:
        return True
    local = _wall_clock(at, _zone(rule.time_zone))
    hours = _office_hours(local.date(), rule)
    return hours is not None and hours[0] <= local < hours[1]


def business_time_between(start: datetime, end: datetime, rule: DeadlineRule) -> timedelta:
    """Time that counts under the rule from `start` to `end`; negative when `end` is earlier (overdue)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if not rule.business_hours:
        return end - start
    if end < start:
        return -business_time_between(end, start, rule)
    zone = _zone(rule.time_zone)
    first, last = _wall_clock(start, zone), _wall_clock(end, zone)
    total = timedelta()
    day = first.date()
    while day <= last.date():
        hours = _office_hours(day, rule)
        if hours is not None:
            overlap = min(last, hours[1]) - max(first, hours[0])
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """A country's public holidays in one year; a frozen copy, since HolidayBase grows on every lookup."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _office_hours(day: date, rule: DeadlineRule) -> tuple[datetime, datetime] | None:
    if (
        day.weekday() not in rule.workdays
        or day in rule.extra_closed_days
        or day in public_holidays(rule.holiday_country, rule.holiday_subdivision, day.year)
    ):
        return None
    return datetime.combine(day, rule.workday_start), datetime.combine(day, rule.workday_end)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidDeadlineRule("time_zone", f"unknown time zone {name!r}") from None


@functools.lru_cache(maxsize=64)
def _check_holiday_calendar(country: str, subdivision: str | None) -> None:
    try:
        holidays.country_holidays(country)
    except (NotImplementedError, TypeError, AttributeError):
        raise InvalidDeadlineRule("holiday_country", f"no public holiday calendar for {country!r}") from None
    if subdivision is not None:
        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except (NotImplementedError, TypeError, AttributeError):
            raise InvalidDeadlineRule("holiday_subdivision", f"{country} has no subdivision {subdivision!r}") from None


def _wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _to_utc(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    # A wall-clock time skipped by a DST jump resolves with the offset before the jump (fold=0).
    return wall_clock.replace(tzinfo=zone).astimezone(UTC)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


def _as_iterable(name: str, value) -> list:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise InvalidDeadlineRule(name, f"must be a list, not {value!r}")
    return list(value)


def _describe_workdays(workdays: frozenset[int]) -> str:
    days = sorted(workdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAYS_ABBR[days[0]]}–{WEEKDAYS_ABBR[days[-1]]}"
    return ", ".join(str(WEEKDAYS_ABBR[day]) for day in days)
