"""The API's JSON renderer (orjson) writes the same bytes as DRF's."""

import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from tests.factories import FlaggedItemFactory, api_token
from tracker.core.json_renderer import JSONRenderer
from tracker.items.models import FlaggedItem

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
PAYLOADS = {
    "plain": {"count": 3, "next": None, "ok": True, "ratio": 0.1, "results": [1, "two", [3.5, False]]},
    "text": {
        "bahasa": "Pemblokiran situs · “kutipan”",
        "emoji": "🚫",
        "separators": "a\u2028b\u2029c",
        "ctl": "\x00\t",
    },
    "lazy and safe": {"label": gettext_lazy("status"), "html": mark_safe("<b>&amp;</b>")},
    "times": {
        "utc": datetime.datetime(2026, 12, 5, 0, 18, tzinfo=datetime.UTC),
        "jakarta": datetime.datetime(2026, 12, 5, 7, 18, 0, 59, tzinfo=JAKARTA),
        "naive": datetime.datetime(2017, 7, 14, 9, 30),
        "date": datetime.date(2017, 7, 14),
        "time": datetime.time(9, 30, 15, 120),
    },
    "others": {"uuid": uuid.UUID(int=7), "amount": decimal.Decimal("12.50"), "status": FlaggedItem.Status.NEW},
    "drf containers": ReturnDict({"a": ReturnList([1, {"b": None}], serializer=None)}, serializer=None),
    "orjson refuses": {"big": 2**70, 1: "a key that is a number"},
    "list": [{"id": n, "display": f"https://t.me/s/channel_{n}"} for n in range(100)],
    "empty": {},
}


@pytest.mark.parametrize("name", PAYLOADS)
@pytest.mark.parametrize("media_type", ["application/json", "application/json; indent=4"])
def test_it_writes_what_drfs_renderer_writes(name, media_type):
    payload = PAYLOADS[name]
    expected = renderers.JSONRenderer().render(payload, media_type, {})
    assert JSONRenderer().render(payload, media_type, {}) == expected
    assert JSONRenderer().render(None) == renderers.JSONRenderer().render(None) == b""


def test_it_is_the_apis_renderer():
    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer


@pytest.mark.django_db
def test_an_api_list_answers_with_drfs_bytes(analyst):
    FlaggedItemFactory.create_batch(3, description="Kanal “teroris” \u2028 ditemukan")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {api_token(analyst)}")
    response = client.get("/api/v1/items/")
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    assert response.content == renderers.JSONRenderer().render(response.data, "application/json", {})
    assert b"\\u2028" in response.content
