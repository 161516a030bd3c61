"""A page reads its session by one prepared statement, with the answers of Django's database session store."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.services import require_postgresql
from tracker.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_session_engine():
    assert settings.SESSION_ENGINE == "tracker.accounts.sessions"


def test_a_signed_in_page_reads_its_session_by_the_prepared_statement(analyst):
    require_postgresql()
    page = Client()
    page.force_login(analyst)
    page.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert page.get("/").status_code == 200
    about_the_session = [query["sql"] for query in queries if "session" in query["sql"].lower()]
    assert len(about_the_session) == 1 and about_the_session[0].startswith("EXECUTE tracker_session(")


def test_each_session_loads_as_djangos_store_loads_it():
    live, expired = SessionStore(), SessionStore()
    for store, data in ((live, {"a": 1, "name": "Pemblokiran ✓"}), (expired, {"b": 2})):
        store.update(data)
        store.save()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    for key in (live.session_key, expired.session_key, "x" * 32, None):
        ours, djangos = SessionStore(key), db.SessionStore(key)
        assert ours.load() == djangos.load()
        assert ours.session_key == djangos.session_key
    assert SessionStore(live.session_key).load() == {"a": 1, "name": "Pemblokiran ✓"}
    assert SessionStore(expired.session_key).load() == {}
