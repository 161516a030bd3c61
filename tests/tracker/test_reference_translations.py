"""Issue 14, "half-translated": in Bahasa Indonesia, categories and their legal bases, ladders and their steps, and
advisory reasons read in Indonesian (django-modeltranslation, filled for the seeded data); in English, as before."""

import pytest
from django.utils import translation

from notices.models import EscalationPolicy, EscalationStep
from platforms.models import AdvisoryReason
from tests.factories import FlaggedItemFactory
from tests.factories_notices import case_with_items, ladder
from tracker.items.models import Category

pytestmark = pytest.mark.django_db


def test_every_seeded_name_has_its_indonesian_form():
    ladder()
    for model in (Category, EscalationPolicy, EscalationStep, AdvisoryReason):
        missing = list(model.objects.filter(name_ind__isnull=True).values_list("name_en", flat=True))
        assert not missing, f"{model.__name__} without an Indonesian name: {missing}"
    assert Category.objects.filter(legal_basis_ind__isnull=True).count() == 0


def test_the_item_list_in_indonesian_shows_the_category_in_indonesian(client, analyst):
    FlaggedItemFactory(category=Category.objects.get(slug="terrorism"))
    analyst.language = "id"
    analyst.save()
    client.force_login(analyst)
    page = client.get("/items/").content.decode()
    assert "Terorisme" in page and ">Terrorism<" not in page


def test_the_case_page_in_indonesian_names_the_next_step_in_indonesian(client, liaison_officer):
    case, _items = case_with_items(count=1)
    liaison_officer.language = "id"
    liaison_officer.save()
    client.force_login(liaison_officer)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Pemberitahuan pertama" in page


def test_english_is_unchanged_and_an_empty_translation_falls_back_to_english(api_client, analyst):
    api_client.force_authenticate(analyst)
    names = {row["slug"]: row["name"] for row in api_client.get("/api/v1/categories/").json()["results"]}
    assert names["terrorism"] == "Terrorism"
    Category.objects.filter(slug="fraud").update(name_ind=None)
    with translation.override("id"):
        assert Category.objects.get(slug="fraud").name == "Fraud"
        assert Category.objects.get(slug="terrorism").legal_basis.startswith("UU No. 5 Tahun 2018")


def test_the_admin_edits_both_languages(client, administrator):
    client.force_login(administrator)
    category = Category.objects.get(slug="terrorism")
    page = client.get(f"/admin/tracker/category/{category.pk}/change/").content.decode()
    assert 'name="name_en"' in page and 'name="name_ind"' in page
