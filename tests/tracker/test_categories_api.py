"""Categories through the API: administrators create and change them (as in the admin), every account that
reads items reads them, and every change is audited."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import make_user
from tests.factories_blocking import ISPFactory, isp_user
from tracker.core.models import AuditEntry
from tracker.items.models import Category

pytestmark = pytest.mark.django_db

HOAX = {
    "slug": "hoax",
    "name": "Hoax",
    "legal_basis": "Law 1/1946 art. 14 (false news)",
    "default_urgency": "normal",
}


def entries(category) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Category), object_id=str(category.pk)
        ).order_by("id")
    )


@pytest.fixture
def as_administrator(api_client, administrator):
    api_client.force_authenticate(administrator)
    return api_client


def test_an_administrator_creates_a_category_and_it_is_audited(as_administrator, administrator):
    response = as_administrator.post("/api/v1/categories/", HOAX, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {**HOAX, "is_active": True}
    category = Category.objects.get(slug="hoax")
    (entry,) = entries(category)
    assert (entry.action, entry.actor, entry.source) == (AuditEntry.Action.CREATE, administrator, AuditEntry.Source.API)
    assert entry.changes["name_en"] == [None, "Hoax"]  # names are kept per language


def test_the_slug_is_made_from_the_name_when_not_given(as_administrator):
    body = {key: value for key, value in HOAX.items() if key != "slug"} | {"name": "Online Fraud Schemes"}
    response = as_administrator.post("/api/v1/categories/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "online-fraud-schemes"


def test_an_administrator_renames_and_changes_a_category(as_administrator, administrator):
    as_administrator.post("/api/v1/categories/", HOAX, format="json")
    response = as_administrator.patch(
        "/api/v1/categories/hoax/",
        {
            "name": "Hoaxes and disinformation",
            "default_urgency": "urgent",
            "reason": "Renamed by the minister's letter",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        **HOAX,
        "name": "Hoaxes and disinformation",
        "default_urgency": "urgent",
        "is_active": True,
    }
    _created, changed = entries(Category.objects.get(slug="hoax"))
    assert (changed.action, changed.actor, changed.reason) == (
        AuditEntry.Action.CHANGE,
        administrator,
        "Renamed by the minister's letter",
    )
    assert changed.changes == {
        "name_en": ["Hoax", "Hoaxes and disinformation"],
        "default_urgency": ["normal", "urgent"],
    }


def test_a_category_is_retired_not_deleted(as_administrator):
    as_administrator.post("/api/v1/categories/", HOAX, format="json")
    response = as_administrator.patch("/api/v1/categories/hoax/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert as_administrator.delete("/api/v1/categories/hoax/").status_code in (403, 405)  # no one deletes
    assert Category.objects.filter(slug="hoax").exists()
    assert as_administrator.get("/api/v1/categories/?is_active=false").json()["results"][0]["slug"] == "hoax"


def test_a_change_that_changes_nothing_writes_nothing(as_administrator):
    as_administrator.post("/api/v1/categories/", HOAX, format="json")
    response = as_administrator.patch("/api/v1/categories/hoax/", {"name": "Hoax"}, format="json")
    assert response.status_code == 200
    assert len(entries(Category.objects.get(slug="hoax"))) == 1


@pytest.mark.parametrize("method", ["post", "patch"])
def test_unknown_fields_are_refused_by_name(as_administrator, method):
    as_administrator.post("/api/v1/categories/", HOAX, format="json")
    url = "/api/v1/categories/" if method == "post" else "/api/v1/categories/hoax/"
    body = {**HOAX, "slug": "hoax-two", "colour": "red"} if method == "post" else {"colour": "red"}
    response = getattr(as_administrator, method)(url, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("invalid", {"colour": ["This field is not taken here."]})
    assert Category.objects.filter(slug="hoax-two").count() == 0


def test_what_is_missing_or_wrong_is_named(as_administrator):
    response = as_administrator.post("/api/v1/categories/", {"name": "Hoax"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"legal_basis", "default_urgency"}

    response = as_administrator.post("/api/v1/categories/", {**HOAX, "slug": "terrorism"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"slug"}  # taken by a seeded category

    response = as_administrator.patch("/api/v1/categories/terrorism/", {"default_urgency": "soon"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"default_urgency"}


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor"])
def test_only_administrators_write_while_everyone_who_reads_items_reads_categories(api_client, role):
    api_client.force_authenticate(make_user(role))
    assert api_client.get("/api/v1/categories/terrorism/").status_code == 200
    assert api_client.post("/api/v1/categories/", HOAX, format="json").status_code == 403
    assert api_client.patch("/api/v1/categories/terrorism/", {"name": "Terror"}, format="json").status_code == 403
    assert Category.objects.get(slug="terrorism").name == "Terrorism"


def test_isp_accounts_and_no_one_are_refused(api_client):
    assert api_client.post("/api/v1/categories/", HOAX, format="json").status_code == 401
    api_client.force_authenticate(isp_user(ISPFactory()))
    assert api_client.get("/api/v1/categories/").status_code == 403
    assert api_client.post("/api/v1/categories/", HOAX, format="json").status_code == 403
