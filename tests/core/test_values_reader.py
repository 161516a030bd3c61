"""A long list's rows are written from plain `.values()` rows: exactly the serializer's JSON of each."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import FlaggedItemFactory, make_user
from tracker.core.rest import values_reader
from tracker.items.api import FlaggedItemSerializer
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "UTC", "America/New_York", "Asia/Kolkata"])
def test_rows_read_plain_are_written_as_the_serializer_writes_them(zone):
    verifier = make_user("analyst")
    summer = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)  # New York in daylight saving time
    winter = dt.datetime(2026, 1, 15, 23, 59, 59, 123456, tzinfo=dt.UTC)  # microseconds, and the next day east
    FlaggedItemFactory(logged_at=summer, last_reported_at=summer, status_changed_at=winter)
    FlaggedItemFactory(
        logged_at=winter, last_reported_at=winter, status_changed_at=summer, verified_by=verifier, verified_at=summer
    )
    names, shape_rows = values_reader(FlaggedItemSerializer)
    rows = FlaggedItem.objects.order_by("pk")
    with timezone.override(zone):
        plain = shape_rows(rows.values(*names))
        expected = FlaggedItemSerializer(
            rows.select_related("platform", "category", "logged_by", "verified_by"), many=True
        ).data
    assert plain == [dict(row) for row in expected]
    assert [list(row) for row in plain] == [list(row) for row in expected]  # the same order of keys, in the JSON too
    assert plain[1]["verified_by"] == verifier.username and plain[0]["verified_at"] is None
    if zone == "UTC":
        assert plain[1]["logged_at"] == "2026-01-15T23:59:59.123456Z"
    if zone == "Asia/Jakarta":
        assert plain[1]["logged_at"] == "2026-01-16T06:59:59.123456+07:00"
