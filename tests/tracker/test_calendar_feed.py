"""Issue 15, "deadlines in a calendar": each person's private iCalendar feed (a revocable secret address) of the
deadlines that concern them, in UTC with stable UIDs, parsed back with icalendar in these tests."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar

from notices import sending
from tests.factories_blocking import ISPFactory, isp_user, order_in_force
from tests.factories_notices import case_with_items
from tracker.calendar import feeds
from tracker.calendar.models import CalendarFeed
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def events_of(client, address: str) -> dict[str, dict]:
    response = client.get(address)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {
        str(event["uid"]): {
            "start": event.decoded("dtstart"),
            "summary": str(event["summary"]),
            "url": str(event["url"]),
        }
        for event in calendar.walk("VEVENT")
    }


def address_of(secret: str) -> str:
    return f"/calendar/{secret}.ics"


def test_a_liaison_officer_sees_each_reply_deadline_in_utc(client, liaison_officer):
    with time_machine.travel(NOW, tick=False):
        notice = sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
        _feed, secret = feeds.issue_feed(user=liaison_officer)
        events = events_of(client, address_of(secret))
    event = events[f"notice-{notice.pk}-deadline@testserver"]
    assert event["start"] == notice.deadline_at and event["start"].tzinfo is not None
    assert event["start"].utcoffset() == timedelta(0)
    assert notice.reference in event["summary"] and event["url"].endswith(f"/notices/{notice.pk}/")


def test_an_analyst_sees_only_the_notices_of_cases_they_own(client, liaison_officer, make_user):
    owner, other = make_user("analyst"), make_user("analyst")
    with time_machine.travel(NOW, tick=False):
        mine = sending.send_notice(case=case_with_items(count=1, owner=owner)[0], actor=liaison_officer)
        theirs = sending.send_notice(case=case_with_items(count=1, owner=other)[0], actor=liaison_officer)
        _feed, secret = feeds.issue_feed(user=owner)
        events = events_of(client, address_of(secret))
    uids = set(events)
    assert f"notice-{mine.pk}-deadline@testserver" in uids and f"notice-{theirs.pk}-deadline@testserver" not in uids


def test_supervisors_and_the_isp_see_the_isps_deadlines_and_other_isps_do_not(client, supervisor, make_user):
    isp, other_isp = ISPFactory(), ISPFactory()
    order = order_in_force(proposer=supervisor, approver=make_user("supervisor"), isps=[isp])
    _feed, secret = feeds.issue_feed(user=supervisor)
    uids = set(events_of(client, address_of(secret)))
    assert f"order-{order.pk}-isp-{isp.pk}-acknowledge@testserver" in uids
    assert f"order-{order.pk}-isp-{isp.pk}-implement@testserver" in uids
    _feed, isp_secret = feeds.issue_feed(user=isp_user(isp))
    assert f"order-{order.pk}-isp-{isp.pk}-implement@testserver" in events_of(client, address_of(isp_secret))
    _feed, other_secret = feeds.issue_feed(user=isp_user(other_isp))
    assert not events_of(client, address_of(other_secret))


def test_the_secret_is_kept_only_as_a_hash_and_a_new_address_revokes_the_old(client, auditor):
    first, first_secret = feeds.issue_feed(user=auditor)
    assert first_secret not in first.secret_hash and len(first.secret_hash) == 64
    assert events_of(client, address_of(first_secret)) == {}  # an auditor answers for no deadline
    _second, second_secret = feeds.issue_feed(user=auditor)
    assert client.get(address_of(first_secret)).status_code == 404
    assert client.get(address_of(second_secret)).status_code == 200
    feeds.revoke_feed(user=auditor)
    assert client.get(address_of(second_secret)).status_code == 404
    assert client.get(address_of("not-a-secret")).status_code == 404
    assert AuditEntry.objects.filter(content_type__model="calendarfeed").count() == 4  # 2 issued, 2 revoked


def test_the_page_shows_the_address_once_and_turns_it_off(client, analyst):
    client.force_login(analyst)
    made = client.post("/calendar/new/").content.decode()
    assert 'id="calendar-address"' in made and "/calendar/" in made
    again = client.get("/calendar/").content.decode()
    assert 'id="calendar-address"' not in again and 'id="calendar-on"' in again
    client.post("/calendar/off/")
    assert not CalendarFeed.objects.filter(user=analyst, revoked_at__isnull=True).exists()


def test_the_api_makes_and_turns_off_the_address(api_client, analyst):
    api_client.force_authenticate(analyst)
    made = api_client.post("/api/v1/calendar-feed/", {}, format="json")
    assert made.status_code == 201 and made.json()["url"].endswith(".ics")
    assert api_client.post("/api/v1/calendar-feed/", {"days": 3}, format="json").status_code == 400
    assert api_client.delete("/api/v1/calendar-feed/").status_code == 204
    assert api_client.delete("/api/v1/calendar-feed/").status_code == 404


def test_the_feed_reads_its_events_in_a_fixed_number_of_queries(client, liaison_officer, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
        _feed, secret = feeds.issue_feed(user=liaison_officer)
        client.get(address_of(secret))
        with django_assert_num_queries(5):
            client.get(address_of(secret))
