"""Issue 14, "the time-zone picker is a raw list of ~600 zones": Indonesia's three zones lead, named and with
their offsets, and the rest are grouped by region; saving a zone still works."""

import zoneinfo
from datetime import UTC, datetime

import pytest

from tracker.core.time_zones import offset_label, time_zone_groups

pytestmark = pytest.mark.django_db


def test_indonesias_three_zones_lead_with_their_names_and_offsets():
    heading, zones = time_zone_groups(datetime(2026, 12, 5, tzinfo=UTC))[0]
    assert heading == "Indonesia"
    assert [name for name, _label in zones] == ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    assert [label.split(")")[0].split("(")[1] for _name, label in zones] == ["WIB", "WITA", "WIT"]
    assert zones[1][1].endswith("(UTC+08:00)")


def test_every_zone_is_offered_once_grouped_by_region():
    groups = time_zone_groups()
    offered = [name for _heading, zones in groups for name, _label in zones]
    assert sorted(offered) == sorted(zoneinfo.available_timezones()) and len(offered) == len(set(offered))
    assert [heading for heading, _zones in groups][1:4] == ["Africa", "America", "Antarctica"]


def test_the_offset_follows_summer_time():
    assert offset_label("Europe/London", datetime(2026, 7, 1, tzinfo=UTC)) == "UTC+01:00"
    assert offset_label("Europe/London", datetime(2026, 12, 1, tzinfo=UTC)) == "UTC+00:00"


def test_the_preferences_page_groups_the_zones_and_saves_the_choice(client, analyst):
    client.force_login(analyst)
    page = client.get("/preferences/").content.decode()
    assert page.index('<optgroup label="Indonesia">') < page.index('value="Asia/Jakarta"') < page.index("Africa")
    client.post("/preferences/save/", {"language": "en", "time_zone": "Asia/Makassar"})
    analyst.refresh_from_db()
    assert analyst.time_zone == "Asia/Makassar"
