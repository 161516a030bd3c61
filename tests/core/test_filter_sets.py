"""Filter sets copy their declared filters shallowly for each request: the same answers, nothing shared."""

import pytest
from django.http import QueryDict

from tests.factories import CaseFactory, FlaggedItemFactory
from tracker.cases.models import CaseItem
from tracker.items.filters import FlaggedItemFilter
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


def test_each_filter_set_has_filters_of_its_own_and_answers_as_before():
    new = FlaggedItemFactory(canonical="https://t.me/first_channel", status=FlaggedItem.Status.NEW)
    FlaggedItemFactory(canonical="https://t.me/second_channel", status=FlaggedItem.Status.VERIFIED)
    in_case = FlaggedItemFactory(canonical="https://t.me/third_channel")
    case = CaseFactory(platform=in_case.platform)
    CaseItem.objects.create(case=case, item=in_case, added_by=case.owner)

    def found(query: str) -> set[int]:
        filterset = FlaggedItemFilter(QueryDict(query), FlaggedItem.objects.all())
        assert filterset.is_valid(), filterset.errors
        return set(filterset.qs.values_list("pk", flat=True))

    assert found("status=new") == set(FlaggedItem.objects.filter(status="new").values_list("pk", flat=True))
    assert new.pk in found("q=first_channel") and found("q=first_channel") <= {new.pk}
    assert found(f"case={case.pk}") == {in_case.pk}  # a filter by method, bound to its own copy
    assert found(f"platform={new.platform.slug}") == {new.pk}

    one, two = (FlaggedItemFilter(QueryDict(""), FlaggedItem.objects.all()) for _ in range(2))
    for name, declared in FlaggedItemFilter.base_filters.items():
        assert one.filters[name] is not declared and one.filters[name] is not two.filters[name]
        assert one.filters[name].extra is not two.filters[name].extra is not declared.extra
        assert one.filters[name].parent is one and not hasattr(declared, "parent")
    assert one.filters["case"].filter.f is one.filters["case"]
    assert one.form.fields["status"] is not two.form.fields["status"]
    refused = FlaggedItemFilter(QueryDict("status=maybe"), FlaggedItem.objects.all())
    assert not refused.is_valid() and "status" in refused.errors


def test_an_api_list_builds_the_form_of_only_the_filters_it_was_asked_for(api_client, analyst):
    new = FlaggedItemFactory(status=FlaggedItem.Status.NEW, logged_by=analyst)
    FlaggedItemFactory(status=FlaggedItem.Status.VERIFIED, logged_by=analyst)
    api_client.force_authenticate(analyst)
    built = []
    real_form = FlaggedItemFilter.form

    def spy(filterset):
        built.append(sorted(real_form.fget(filterset).fields))
        return real_form.fget(filterset)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FlaggedItemFilter, "form", property(spy))
        answer = api_client.get("/api/v1/items/", {"status": "new", "logged_after": "2000-01-01", "cursor": ""})
    assert [row["id"] for row in answer.json()["results"]] == [new.pk]
    assert built and all(fields == ["logged_after", "status"] for fields in built)
    refused = api_client.get("/api/v1/items/", {"status": "maybe", "kind": ""})
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["status"]


def test_a_filters_platforms_and_categories_are_read_by_one_plain_query_each():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    FlaggedItemFactory()
    form = FlaggedItemFilter(QueryDict(""), FlaggedItem.objects.all()).form
    with CaptureQueriesContext(connection) as queries:
        shown = str(form["platform"]) + str(form["category"])
    assert [query["sql"].split()[0] for query in queries] == ["SELECT", "SELECT"]  # no DECLARE … CURSOR
    platform = FlaggedItem.objects.get().platform
    assert f'<option value="{platform.slug}">{platform.name}</option>' in shown
    assert '<option value="" selected>---------</option>' in shown
