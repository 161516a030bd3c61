"""The item and case pages: filters, CSV, flat query counts, role checks on the server, readable errors."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CaseFactory, FlaggedItemFactory
from tests.factories_content import telegram
from tracker.cases import services as case_services
from tracker.cases.models import CaseItem
from tracker.items.models import Category, FlaggedItem

pytestmark = pytest.mark.django_db


def _queries_for(client, url, django_assert_num_queries):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    with django_assert_num_queries(len(captured)):
        client.get(url)
    return len(captured)


def test_the_item_list_costs_the_same_queries_for_more_items(client, analyst, django_assert_num_queries):
    client.force_login(analyst)
    FlaggedItemFactory.create_batch(2)
    small = _queries_for(client, "/items/", django_assert_num_queries)
    FlaggedItemFactory.create_batch(25)
    assert _queries_for(client, "/items/", django_assert_num_queries) == small


def test_the_case_page_costs_the_same_queries_for_more_items(client, analyst, django_assert_num_queries):
    client.force_login(analyst)
    case = CaseFactory()
    case_services.add_items(case, items=FlaggedItemFactory.create_batch(2, platform=case.platform), actor=analyst)
    small = _queries_for(client, f"/cases/{case.pk}/", django_assert_num_queries)
    case_services.add_items(case, items=FlaggedItemFactory.create_batch(30, platform=case.platform), actor=analyst)
    assert _queries_for(client, f"/cases/{case.pk}/", django_assert_num_queries) == small


def test_the_item_list_filters_and_exports_what_it_shows(client, liaison_officer):
    telegram()
    FlaggedItemFactory(canonical="https://t.me/judi_satu", status=FlaggedItem.Status.VERIFIED)
    FlaggedItemFactory(canonical="https://t.me/lain_lain")
    client.force_login(liaison_officer)
    page = client.get("/items/", {"status": "verified"})
    assert b"judi_satu" in page.content and b"lain_lain" not in page.content
    export = client.get("/items/", {"status": "verified", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row["canonical"] for row in rows] == ["https://t.me/judi_satu"]


def test_a_liaison_officer_is_refused_the_log_form_on_the_server(client, liaison_officer):
    client.force_login(liaison_officer)
    assert client.get("/items/new/").status_code == 403
    response = client.post("/items/new/", {"url": "https://example.com/x", "category": 1, "source": "patrol"})
    assert response.status_code == 403 and FlaggedItem.objects.count() == 0


def test_the_log_form_shows_what_is_wrong_and_saves_nothing(client, analyst):
    client.force_login(analyst)
    fraud = Category.objects.get(slug="fraud")
    response = client.post("/items/new/", {"url": "javascript:alert(1)", "category": fraud.pk, "source": "patrol"})
    assert response.status_code == 200
    assert b"javascript" in response.content.lower() and b'id="error-url"' in response.content
    assert FlaggedItem.objects.count() == 0


def test_a_bad_evidence_file_rolls_back_the_whole_log(client, analyst):
    client.force_login(analyst)
    fraud = Category.objects.get(slug="fraud")
    response = client.post(
        "/items/new/",
        {
            "url": "https://investasi.example/daftar",
            "category": fraud.pk,
            "source": "patrol",
            "evidence": SimpleUploadedFile("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
        },
    )
    assert response.status_code == 200 and b'id="error-evidence"' in response.content
    assert FlaggedItem.objects.count() == 0


def test_logging_again_in_another_form_says_it_merged(client, make_user):
    platform = telegram()
    terrorism = Category.objects.get(slug="terrorism")
    client.force_login(make_user("analyst"))
    first = client.post(
        "/items/new/", {"url": "https://t.me/s/teror_cell", "category": terrorism.pk, "source": "patrol"}, follow=True
    )
    again = client.post(
        "/items/new/",
        {"url": "@Teror_Cell", "platform": platform.slug, "category": terrorism.pk, "source": "patrol"},
        follow=True,
    )
    assert first.redirect_chain[-1][0] == again.redirect_chain[-1][0]
    assert b"Already known" in again.content and FlaggedItem.objects.count() == 1


def test_a_case_page_adds_items_pasted_in_any_form_and_names_unknown_ones(client, analyst):
    platform = telegram()
    item = FlaggedItemFactory(platform=platform, canonical="https://t.me/teror_cell")
    case = CaseFactory(platform=platform)
    client.force_login(analyst)
    response = client.post(
        f"/cases/{case.pk}/items/", {"urls": "telegram.me/s/Teror_Cell\nhttps://t.me/not_logged_yet"}, follow=True
    )
    assert CaseItem.objects.filter(case=case, item=item).exists()
    assert b"not_logged_yet" in response.content


def test_an_unknown_item_is_a_friendly_404(client, analyst):
    client.force_login(analyst)
    response = client.get("/items/999999/")
    assert response.status_code == 404 and b"<html" in response.content


def test_the_log_form_takes_an_open_case_by_number_and_refuses_a_closed_one(client, analyst):
    platform = telegram()
    terrorism = Category.objects.get(slug="terrorism")
    open_case, closed = CaseFactory(platform=platform), CaseFactory(platform=platform, status="closed")
    client.force_login(analyst)
    fields = {"url": "https://t.me/teror_cell", "category": terrorism.pk, "source": "patrol"}
    refused = client.post("/items/new/", {**fields, "case": closed.pk})
    assert b"No open case has this number." in refused.content and FlaggedItem.objects.count() == 0
    client.post("/items/new/", {**fields, "case": open_case.pk})
    assert CaseItem.objects.filter(case=open_case, item__canonical="https://t.me/teror_cell").exists()


def test_an_item_removed_from_a_case_is_offered_that_case_again(client, analyst):
    case = CaseFactory()
    item, staying = FlaggedItemFactory.create_batch(2, platform=case.platform)
    case_services.add_items(case, items=[item, staying], actor=analyst)
    client.force_login(analyst)
    assert client.get(f"/items/{item.pk}/").context["open_cases"].count() == 0
    case_services.remove_item(case, item=item, actor=analyst, reason="wrong case")
    assert list(client.get(f"/items/{item.pk}/").context["open_cases"]) == [case]


def test_pasting_more_lines_than_a_case_page_takes_says_to_import(client, analyst):
    case = CaseFactory()
    client.force_login(analyst)
    response = client.post(
        f"/cases/{case.pk}/items/", {"urls": "\n".join(f"https://t.me/x{n}" for n in range(5001))}, follow=True
    )
    assert b"At most 5,000 lines" in response.content and case.memberships.count() == 0
