"""The items, evidence and cases API: the same services as the UI, role checks, one error shape."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CaseFactory, FlaggedItemFactory
from tests.factories_content import telegram
from tracker.evidence.models import Evidence
from tracker.items.models import Category, FlaggedItem

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_an_analyst_logs_an_item_and_a_second_form_merges(api_client, analyst):
    telegram()
    api_client.force_authenticate(analyst)
    first = api_client.post(
        "/api/v1/items/",
        {"url": "https://t.me/s/Teror_Cell", "category": "terrorism", "source": "patrol"},
        format="json",
    )
    assert first.status_code == 201 and first.json()["merged"] is False
    again = api_client.post(
        "/api/v1/items/",
        {"url": "@teror_cell", "platform": "telegram", "category": "terrorism", "source": "public_complaint"},
        format="json",
    )
    assert again.status_code == 200
    body = again.json()
    assert (body["merged"], body["id"], body["sighting_count"]) == (True, first.json()["id"], 2)
    sightings = api_client.get(f"/api/v1/items/{body['id']}/sightings/").json()
    assert [row["entered_as"] for row in sightings["results"]] == ["https://t.me/s/Teror_Cell", "@teror_cell"]


def test_a_javascript_url_gets_the_json_error_shape_naming_the_field(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.post(
        "/api/v1/items/", {"url": "javascript:alert(1)", "category": "fraud", "source": "patrol"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "url" in error["fields"] and "javascript" in error["message"].lower()


def test_an_unknown_category_is_named(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.post(
        "/api/v1/items/", {"url": "https://example.com/x", "category": "nope", "source": "patrol"}, format="json"
    )
    assert response.status_code == 400 and "category" in response.json()["error"]["fields"]


def test_liaison_officers_and_auditors_read_but_cannot_log(api_client, make_user):
    FlaggedItemFactory()
    for role in ("liaison_officer", "auditor"):
        api_client.force_authenticate(make_user(role))
        assert api_client.get("/api/v1/items/").status_code == 200
        response = api_client.post(
            "/api/v1/items/", {"url": "https://example.com/x", "category": "fraud", "source": "patrol"}, format="json"
        )
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_an_isp_account_cannot_read_items(api_client, make_user):
    api_client.force_authenticate(make_user("isp"))
    assert api_client.get("/api/v1/items/").status_code == 403


def test_items_filter_by_platform_category_status_and_text(api_client, analyst):
    platform = telegram()
    fraud = Category.objects.get(slug="fraud")
    wanted = FlaggedItemFactory(platform=platform, category=fraud, canonical="https://t.me/investasi_bodong")
    FlaggedItemFactory(platform=platform, canonical="https://t.me/other_thing")
    FlaggedItemFactory(canonical="https://t.me/investasi_lain", status=FlaggedItem.Status.VERIFIED)
    api_client.force_authenticate(analyst)
    response = api_client.get("/api/v1/items/", {"platform": "telegram", "category": "fraud", "q": "INVESTASI"})
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    response = api_client.get("/api/v1/items/", {"status": "verified"})
    assert [row["canonical"] for row in response.json()["results"]] == ["https://t.me/investasi_lain"]


def test_the_item_list_costs_the_same_queries_for_more_items(api_client, analyst, django_assert_num_queries):
    api_client.force_authenticate(analyst)
    FlaggedItemFactory.create_batch(3)
    api_client.get("/api/v1/items/")  # the first request also loads the user's permissions
    with django_assert_num_queries(1) as small:  # the page; a list that fits on it is not counted
        api_client.get("/api/v1/items/")
    FlaggedItemFactory.create_batch(20)
    with django_assert_num_queries(len(small.captured_queries)):
        api_client.get("/api/v1/items/")


def test_verify_through_the_api_keeps_four_eyes(api_client, make_user):
    logger = make_user("analyst")
    item = FlaggedItemFactory(logged_by=logger)
    api_client.force_authenticate(logger)
    refused = api_client.post(f"/api/v1/items/{item.pk}/verify/", {}, format="json")
    assert refused.status_code == 403
    api_client.force_authenticate(make_user("analyst"))
    assert api_client.post(f"/api/v1/items/{item.pk}/verify/", {}, format="json").json()["status"] == "verified"


def test_a_transition_not_allowed_is_a_409(api_client, analyst):
    item = FlaggedItemFactory()
    api_client.force_authenticate(analyst)
    response = api_client.post(f"/api/v1/items/{item.pk}/transition/", {"status": "removed"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "transition_not_allowed"


def test_evidence_upload_and_download_keep_the_bytes_and_hash(api_client, analyst):
    item = FlaggedItemFactory()
    api_client.force_authenticate(analyst)
    response = api_client.post(
        f"/api/v1/items/{item.pk}/evidence/", {"file": SimpleUploadedFile("shot.png", PNG)}, format="multipart"
    )
    assert response.status_code == 201
    evidence = response.json()
    assert evidence["content_type"] == "image/png" and evidence["size"] == len(PNG)
    again = api_client.post(
        f"/api/v1/items/{item.pk}/evidence/", {"file": SimpleUploadedFile("again.png", PNG)}, format="multipart"
    )
    assert again.status_code == 200 and again.json()["already_attached"] is True
    download = api_client.get(f"/api/v1/evidence/{evidence['id']}/download/")
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Evidence-SHA256"] == evidence["sha256"]
    assert api_client.delete(f"/api/v1/evidence/{evidence['id']}/").status_code in (403, 405)
    assert Evidence.objects.filter(pk=evidence["id"]).exists()


def test_an_empty_evidence_upload_is_refused(api_client, analyst):
    item = FlaggedItemFactory()
    api_client.force_authenticate(analyst)
    response = api_client.post(
        f"/api/v1/items/{item.pk}/evidence/", {"file": SimpleUploadedFile("empty.png", b"")}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


def test_a_case_is_opened_given_items_and_shows_its_timeline(api_client, analyst):
    platform = telegram()
    items = FlaggedItemFactory.create_batch(2, platform=platform)
    api_client.force_authenticate(analyst)
    created = api_client.post(
        "/api/v1/cases/", {"title": "Telegram — radical channels, 2016", "platform": "telegram"}, format="json"
    )
    assert created.status_code == 201
    case_id = created.json()["id"]
    added = api_client.post(f"/api/v1/cases/{case_id}/items/", {"items": [i.pk for i in items]}, format="json")
    assert added.json()["count"] == 2
    assert api_client.get(f"/api/v1/cases/{case_id}/").json()["item_count"] == 2
    timeline = api_client.get(f"/api/v1/cases/{case_id}/timeline/").json()
    assert [event["kind"] for event in timeline] == ["case_opened", "item_added"]


def test_a_case_list_filters_by_status(api_client, auditor):
    CaseFactory()
    closed = CaseFactory(status="closed")
    api_client.force_authenticate(auditor)
    rows = api_client.get("/api/v1/cases/", {"status": "closed"}).json()["results"]
    assert [row["id"] for row in rows] == [closed.pk]
