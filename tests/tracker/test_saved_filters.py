"""Issue 14, "no saved filters": a person saves a list's filter under a name, finds it on that list, shares the
address, and deletes it; nobody sees or deletes another's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.accounts import saved_filters
from tracker.accounts.models import SavedFilter
from tracker.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_a_filter_is_saved_without_the_cursor_and_opens_the_filtered_list(client, analyst):
    client.force_login(analyst)
    response = client.post(
        "/account/saved-filters/",
        {"list_name": "items-list", "name": "Urgent, new", "query": "status=new&urgency=urgent&cursor=abc&format=csv"},
    )
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.name, saved.query) == (analyst, "Urgent, new", "status=new&urgency=urgent")
    assert response.status_code == 302 and response["Location"] == "/items/?status=new&urgency=urgent"
    page = client.get("/items/").content.decode()
    assert 'href="/items/?status=new&amp;urgency=urgent"' in page and "Urgent, new" in page


def test_saving_under_the_same_name_replaces_and_a_name_is_needed(analyst):
    saved_filters.save_filter(user=analyst, list_name="cases-list", name="Mine", query="status=open")
    saved_filters.save_filter(user=analyst, list_name="cases-list", name="Mine", query="status=escalated")
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["status=escalated"]
    with pytest.raises(DomainError, match="Give the filter a name"):
        saved_filters.save_filter(user=analyst, list_name="cases-list", name="  ", query="status=open")
    with pytest.raises(DomainError, match="cannot be saved"):
        saved_filters.save_filter(user=analyst, list_name="people", name="x", query="")


def test_nobody_sees_or_deletes_another_persons_saved_filter(client, analyst, make_user):
    other = make_user("analyst")
    theirs = saved_filters.save_filter(user=other, list_name="items-list", name="Theirs", query="status=new")
    client.force_login(analyst)
    assert "Theirs" not in client.get("/items/").content.decode()
    assert client.post(f"/account/saved-filters/{theirs.pk}/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_the_api_lists_saves_and_deletes_ones_own_filters(api_client, analyst, make_user):
    saved_filters.save_filter(user=make_user("analyst"), list_name="items-list", name="Theirs", query="status=new")
    api_client.force_authenticate(analyst)
    created = api_client.post(
        "/api/v1/saved-filters/",
        {"list_name": "notices-list", "name": "Overdue", "query": "overdue=true"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["address"] == "/notices/?overdue=true"
    listed = api_client.get("/api/v1/saved-filters/").json()["results"]
    assert [row["name"] for row in listed] == ["Overdue"]
    refused = api_client.post(
        "/api/v1/saved-filters/", {"list_name": "notices-list", "name": "x", "query": "", "shared": True}, format="json"
    )
    assert refused.status_code == 400 and "shared" in refused.content.decode()
    assert api_client.delete(f"/api/v1/saved-filters/{created.json()['id']}/").status_code == 204
    assert not SavedFilter.objects.filter(user=analyst).exists()


def test_a_persons_filters_of_a_list_are_read_as_the_orm_reads_them(analyst, make_user):
    other = make_user("analyst")
    for user, list_name, name, query in [
        (analyst, "items-list", "weekly", "status=new"),
        (analyst, "items-list", "Abuse", "category=abuse&urgency=urgent"),
        (analyst, "items-list", "all", ""),
        (analyst, "cases-list", "mine", "owner=me"),
        (other, "items-list", "theirs", "status=closed"),
    ]:
        saved_filters.save_filter(user=user, list_name=list_name, name=name, query=query)
    with CaptureQueriesContext(connection) as sent:
        read = saved_filters.filters_of(analyst, "items-list")
    expected = list(SavedFilter.objects.filter(user=analyst, list_name="items-list"))
    assert [entry.name for entry in read] == ["Abuse", "all", "weekly"] == [entry.name for entry in expected]
    assert [vars(entry) | {"_state": None} for entry in read] == [vars(entry) | {"_state": None} for entry in expected]
    if connection.vendor == "postgresql":
        assert sent.captured_queries[-1]["sql"].startswith("EXECUTE tracker_rows_accounts_savedfilter_")
    assert saved_filters.filters_of(other, "cases-list") == []
