"""An API request made with a token answers in its holder's language and time zone, as a signed-in page does."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from tests.factories import FlaggedItemFactory, api_token, make_user

pytestmark = pytest.mark.django_db


def test_a_token_holders_language_and_zone_shape_the_answer():
    holder = make_user("analyst", language="id", time_zone="Asia/Jayapura")
    with time_machine.travel(datetime(2026, 12, 5, 3, 0, tzinfo=UTC), tick=False):
        FlaggedItemFactory()
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token(holder)}")

    [row] = api.get("/api/v1/items/").json()["results"]
    assert row["logged_at"] == "2026-12-05T12:00:00+09:00"
    refused = api.get("/api/v1/items/", {"page_size": "many"})
    assert refused.status_code == 400 and refused["Content-Language"] == "id"
    assert refused.json()["error"]["fields"]["page_size"] == ["Bilangan bulat dari 1 sampai 500."]


def test_an_explicit_accept_language_does_not_outweigh_the_holders_choice_and_nothing_leaks_to_the_next():
    holder = make_user("analyst", language="id", time_zone="Asia/Jayapura")
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token(holder)}", HTTP_ACCEPT_LANGUAGE="en")
    assert api.get("/api/v1/items/", {"page_size": "0"})["Content-Language"] == "id"
    other = Client(HTTP_AUTHORIZATION=f"Token {api_token(make_user('analyst'))}")
    assert other.get("/api/v1/items/", {"page_size": "0"})["Content-Language"] == "en"
