import json
import time as wall_time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.utils import translation

from tracker.core.deadlines import (
    DeadlineRule,
    InvalidDeadlineRule,
    business_time_between,
    compute_deadline,
    is_business_time,
)

WIB = ZoneInfo("Asia/Jakarta")  # UTC+7 all year
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SECOND = timedelta(seconds=1)


def business(hours: float, **options) -> DeadlineRule:
    return DeadlineRule(minutes=int(hours * 60), business_hours=True, **options)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


# Calendar rules


def test_calendar_rule_adds_the_minutes_and_answers_in_utc():
    deadline = compute_deadline(wib(2017, 7, 14, 11, 30), DeadlineRule(minutes=4 * 60))
    assert deadline == datetime(2017, 7, 14, 8, 30, tzinfo=UTC)
    assert deadline.tzinfo is UTC


def test_calendar_rule_across_dst_is_an_absolute_duration():
    # New York springs forward at 02:00 on Sunday 9 March 2025: 24 real hours later the wall clock says 13:00.
    start = datetime(2025, 3, 8, 12, 0, tzinfo=NEW_YORK)
    deadline = compute_deadline(start, DeadlineRule(minutes=24 * 60, time_zone="America/New_York"))
    assert deadline - start == timedelta(hours=24)
    assert deadline.astimezone(NEW_YORK) == datetime(2025, 3, 9, 13, 0, tzinfo=NEW_YORK)


def test_calendar_rule_counts_every_instant_as_running_time():
    rule = DeadlineRule(minutes=60)
    saturday_night = wib(2017, 7, 8, 22, 0)
    assert is_business_time(saturday_night, rule)
    assert business_time_between(saturday_night, saturday_night + timedelta(hours=3), rule) == timedelta(hours=3)


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        compute_deadline(datetime(2017, 7, 14, 11, 30), DeadlineRule(minutes=60))
    with pytest.raises(ValueError, match="aware"):
        is_business_time(datetime(2017, 7, 14, 11, 30), business(1))


# Business-hour rules


def test_24_business_hours_from_friday_afternoon_land_on_wednesday():
    # Friday 15:00 leaves 1 hour, Monday and Tuesday give 8 each, the last 7 run to Wednesday 15:00.
    deadline = compute_deadline(wib(2017, 7, 7, 15, 0), business(24))
    assert deadline == wib(2017, 7, 12, 15, 0)
    assert deadline.tzinfo is UTC


def test_notice_sent_saturday_night_starts_counting_monday_at_opening():
    saturday_night = wib(2017, 7, 8, 22, 0)
    assert business_time_between(saturday_night, wib(2017, 7, 10, 8, 0), business(1)) == timedelta(0)
    assert compute_deadline(saturday_night, business(1)) == wib(2017, 7, 10, 9, 0)


def test_notice_sent_before_opening_starts_counting_at_opening():
    assert compute_deadline(wib(2017, 7, 10, 6, 45), business(2)) == wib(2017, 7, 10, 10, 0)


def test_deadline_that_uses_up_the_day_stays_at_closing_time():
    assert compute_deadline(wib(2017, 7, 10, 8, 0), business(8)) == wib(2017, 7, 10, 16, 0)
    assert compute_deadline(wib(2017, 7, 10, 12, 0), business(4)) == wib(2017, 7, 10, 16, 0)


def test_one_minute_more_than_the_day_holds_moves_to_next_morning():
    rule = DeadlineRule(minutes=8 * 60 + 1, business_hours=True)
    assert compute_deadline(wib(2017, 7, 10, 8, 0), rule) == wib(2017, 7, 11, 8, 1)


def test_notice_sent_at_closing_time_starts_next_morning():
    assert compute_deadline(wib(2017, 7, 10, 16, 0), business(1)) == wib(2017, 7, 11, 9, 0)


def test_seconds_of_the_start_carry_into_the_deadline():
    assert compute_deadline(wib(2017, 7, 10, 9, 0, 30), business(1)) == wib(2017, 7, 10, 10, 0, 30)


def test_idul_fitri_2017_is_skipped():
    # The holidays package gives Eid al-Fitr 2017 in Indonesia as Sunday 25 and Monday 26 June.
    eid = {day for day, name in holidays.country_holidays("ID", years=2017).items() if "Fitr" in name}
    assert eid == {date(2017, 6, 25), date(2017, 6, 26)}
    # Friday 12:00 gives 4 hours; the weekend and Monday 26 are closed; Tuesday gives 8; 4 more on Wednesday.
    assert compute_deadline(wib(2017, 6, 23, 12, 0), business(16)) == wib(2017, 6, 28, 12, 0)


def test_independence_day_is_skipped():
    assert date(2017, 8, 17) in holidays.country_holidays("ID", years=2017)
    # Wednesday 16 August 15:00 gives 1 hour; Thursday 17 August is closed; the second hour is Friday morning.
    assert compute_deadline(wib(2017, 8, 16, 15, 0), business(2)) == wib(2017, 8, 18, 9, 0)


def test_extra_closed_days_are_skipped_like_holidays():
    # Collective leave a ministry might add after Idul Fitri; the dates are this rule's input, not a calendar.
    leave = frozenset({date(2017, 6, 27), date(2017, 6, 28)})
    rule = business(16, extra_closed_days=leave)
    assert compute_deadline(wib(2017, 6, 23, 12, 0), rule) == wib(2017, 6, 30, 12, 0)
    assert not is_business_time(wib(2017, 6, 27, 10, 0), rule)


def test_thirty_business_days_are_computed_quickly_and_end_at_closing():
    # Six full weeks of July and August 2017 with no Indonesian public holiday among them.
    rule = business(30 * 8)
    started = wall_time.perf_counter()
    deadline = compute_deadline(wib(2017, 7, 3, 8, 0), rule)
    assert wall_time.perf_counter() - started < 0.5
    assert deadline == wib(2017, 8, 11, 16, 0)


def test_business_rule_in_london_follows_the_wall_clock_across_dst():
    # Clocks go forward on Sunday 30 March 2025: Friday 15:00 GMT gives 1 hour, Monday 08:00-09:00 BST the other.
    rule = business(2, time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    deadline = compute_deadline(datetime(2025, 3, 28, 15, 0, tzinfo=LONDON), rule)
    assert deadline.astimezone(LONDON) == datetime(2025, 3, 31, 9, 0, tzinfo=LONDON)
    assert deadline == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)


def test_london_opening_after_dst_is_0800_bst_not_0800_utc():
    rule = business(1, time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    assert not is_business_time(datetime(2025, 3, 31, 6, 59, 59, tzinfo=UTC), rule)
    assert is_business_time(datetime(2025, 3, 31, 7, 0, tzinfo=UTC), rule)


def test_subdivision_holidays_count():
    # Easter Monday is a bank holiday in England but not in Scotland.
    easter_monday = datetime(2025, 4, 21, 10, 0, tzinfo=LONDON)
    england = business(1, time_zone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    scotland = business(1, time_zone="Europe/London", holiday_country="GB", holiday_subdivision="SCT")
    assert not is_business_time(easter_monday, england)
    assert is_business_time(easter_monday, scotland)


def test_rule_with_no_office_day_in_two_years_gives_up():
    sundays = frozenset(date(2017, 1, 1) + timedelta(weeks=n) for n in range(53 * 4))
    rule = business(1, workdays=frozenset({6}), extra_closed_days=sundays)
    with pytest.raises(InvalidDeadlineRule, match="no office hours"):
        compute_deadline(wib(2017, 1, 1, 9, 0), rule)


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (wib(2017, 7, 10, 7, 59, 59), False),
        (wib(2017, 7, 10, 8, 0), True),
        (wib(2017, 7, 10, 8, 0, 1), True),
        (wib(2017, 7, 10, 15, 59, 59), True),
        (wib(2017, 7, 10, 16, 0), False),
        (wib(2017, 7, 10, 16, 0, 1), False),
        (wib(2017, 7, 8, 10, 0), False),  # Saturday
        (wib(2017, 8, 17, 10, 0), False),  # Independence Day
    ],
)
def test_office_is_open_from_opening_up_to_but_not_including_closing(at, open_):
    assert is_business_time(at, business(1)) is open_


def test_is_business_time_accepts_any_time_zone_for_the_instant():
    # 01:00 UTC on a Monday is 08:00 in Jakarta.
    assert is_business_time(datetime(2017, 7, 10, 1, 0, tzinfo=UTC), business(1))


# Time elapsed and time left


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        (wib(2017, 7, 7, 15, 0), business(24)),
        (wib(2017, 6, 23, 12, 0), business(16)),
        (wib(2017, 7, 8, 22, 0), business(1)),
        (wib(2017, 7, 3, 8, 0), business(30 * 8)),
        (datetime(2025, 3, 28, 15, 0, tzinfo=LONDON), business(2, time_zone="Europe/London", holiday_country="GB")),
        (datetime(2025, 3, 8, 12, 0, tzinfo=NEW_YORK), DeadlineRule(minutes=24 * 60)),
    ],
)
def test_business_time_between_start_and_deadline_is_the_time_allowed(start, rule):
    deadline = compute_deadline(start, rule)
    assert business_time_between(start, deadline, rule) == timedelta(minutes=rule.minutes)


def test_time_left_one_second_before_at_and_after_the_deadline():
    start = wib(2017, 7, 7, 15, 0)
    rule = business(24)
    deadline = compute_deadline(start, rule)
    assert business_time_between(deadline - SECOND, deadline, rule) == SECOND
    assert business_time_between(deadline, deadline, rule) == timedelta(0)
    assert business_time_between(deadline + SECOND, deadline, rule) == -SECOND


def test_time_left_after_closing_does_not_shrink_overnight():
    rule = business(8)
    deadline = wib(2017, 7, 11, 12, 0)
    assert business_time_between(wib(2017, 7, 10, 16, 0), deadline, rule) == timedelta(hours=4)
    assert business_time_between(wib(2017, 7, 11, 7, 0), deadline, rule) == timedelta(hours=4)


# Validation


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"minutes": 1.5}, "minutes"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"workday_start": time(16, 0), "workday_end": time(8, 0)}, "workday_end"),
        ({"workday_start": time(9, 0), "workday_end": time(9, 0)}, "workday_end"),
        ({"workdays": frozenset()}, "workdays"),
        ({"workdays": frozenset({7})}, "workdays"),
        ({"extra_closed_days": frozenset({datetime(2017, 6, 27, tzinfo=UTC)})}, "extra_closed_days"),
    ],
)
def test_invalid_rule_is_refused_naming_the_field(options, field):
    values = {"minutes": 60, "business_hours": True, **options}
    with pytest.raises(InvalidDeadlineRule, match=f"^{field}:") as error:
        DeadlineRule(**values)
    assert error.value.field == field


def test_invalid_rule_is_a_value_error():
    with pytest.raises(ValueError, match="minutes"):
        DeadlineRule(minutes=0)


# Storage and display


def test_rule_survives_a_json_round_trip():
    rule = DeadlineRule(
        minutes=90,
        business_hours=True,
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        workday_start=time(9, 30),
        workday_end=time(17, 30),
        workdays=frozenset({0, 1, 2, 3}),
        extra_closed_days=frozenset({date(2025, 12, 24), date(2025, 12, 31)}),
    )
    stored = json.loads(json.dumps(rule.as_dict()))
    assert DeadlineRule.from_dict(stored) == rule
    assert stored["extra_closed_days"] == ["2025-12-24", "2025-12-31"]


def test_default_rule_round_trips():
    rule = DeadlineRule(minutes=240)
    assert DeadlineRule.from_dict(json.loads(json.dumps(rule.as_dict()))) == rule


def test_from_dict_refuses_unknown_fields_and_bad_times():
    with pytest.raises(InvalidDeadlineRule, match=r"^hours:"):
        DeadlineRule.from_dict({"minutes": 60, "hours": 1})
    with pytest.raises(InvalidDeadlineRule, match=r"^workday_start:"):
        DeadlineRule.from_dict({"minutes": 60, "workday_start": "eight"})
    with pytest.raises(InvalidDeadlineRule, match=r"^minutes:"):
        DeadlineRule.from_dict({"business_hours": True})


def test_describe_a_business_rule():
    with translation.override("en"):
        assert business(24).describe() == "24 business hours (Mon–Fri 08:00–16:00 Asia/Jakarta, ID public holidays)"


def test_describe_a_calendar_rule():
    with translation.override("en"):
        assert DeadlineRule(minutes=240).describe() == "4 hours"
        assert DeadlineRule(minutes=60).describe() == "1 hour"
        assert DeadlineRule(minutes=90).describe() == "90 minutes"


def test_describe_names_subdivision_odd_workdays_and_closed_days():
    rule = business(
        1,
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        workdays=frozenset({0, 2, 4}),
        extra_closed_days=frozenset({date(2025, 12, 24)}),
    )
    with translation.override("en"):
        assert rule.describe() == (
            "1 business hour (Mon, Wed, Fri 08:00–16:00 Europe/London, GB-ENG public holidays, 1 extra closed day)"
        )
