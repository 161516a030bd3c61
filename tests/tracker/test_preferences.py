import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import CategoryFactory
from tracker.core import audit

pytestmark = pytest.mark.django_db


def test_pages_follow_the_users_language(client, analyst):
    client.force_login(analyst)
    client.post(reverse("preferences-save"), {"language": "id", "time_zone": "Asia/Jakarta"})
    analyst.refresh_from_db()
    assert analyst.language == "id"
    assert "Keluar" in client.get(reverse("home")).content.decode()  # "Sign out"


def test_unknown_time_zone_is_refused_with_a_message(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("preferences-save"), {"language": "en", "time_zone": "Nowhere/City"}, follow=True)
    assert "Unknown time zone: Nowhere/City" in response.content.decode()
    analyst.refresh_from_db()
    assert analyst.time_zone == "Asia/Jakarta"


def test_times_are_stored_utc_and_shown_in_the_users_zone(client, auditor):
    at = dt.datetime(2017, 7, 14, 4, 30, tzinfo=dt.UTC)  # 11:30 in Jakarta
    audit.record(obj=CategoryFactory(), action="create", actor=auditor, at=at)
    client.force_login(auditor)
    assert "14 Jul 2017, 11:30 WIB" in client.get(reverse("audit-list")).content.decode()
    auditor.time_zone = "Europe/London"
    auditor.save()
    assert "14 Jul 2017, 05:30 BST" in client.get(reverse("audit-list")).content.decode()
