"""Lists cost what a page costs, not what the table costs: keyset (cursor) pages with no OFFSET, counts exact
while small and estimated ("about") when large, orderings limited to indexed columns."""

import datetime as dt
import io
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CategoryFactory, FlaggedItemFactory, PlatformFactory
from tracker.core import keyset, listing
from tracker.core.keyset import count_label, cursor_for_row
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

START = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))


def _items(user, count: int, *, same_instant_every: int = 3, status: str = "new") -> list[FlaggedItem]:
    """`count` items, several logged at the same instant so that only the id tells them apart."""
    platform, category = PlatformFactory(), CategoryFactory()
    rows = [
        FlaggedItem(
            canonical=f"https://t.me/list{status}{n}", display=f"https://t.me/list{status}{n}", entered_as="x",
            kind=FlaggedItem.Kind.CHANNEL, platform=platform, host="t.me", category=category, urgency="urgent",
            source=FlaggedItem.Source.PATROL, logged_by=user, status=status,
            logged_at=START + dt.timedelta(minutes=n // same_instant_every),
            last_reported_at=START + dt.timedelta(minutes=(count - n)),
        )
        for n in range(count)
    ]  # fmt: skip
    return FlaggedItem.objects.bulk_create(rows)


def _newest_first(items) -> list[int]:
    return [item.pk for item in sorted(items, key=lambda item: (item.logged_at, item.pk), reverse=True)]


def _walk(api_client, url, key="next"):
    pages = []
    while url:
        body = api_client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[key]
    return pages


def test_the_api_walks_every_item_once_by_cursor_forwards_and_back(api_client, analyst):
    items = _items(analyst, 11)
    api_client.force_authenticate(analyst)
    forward = _walk(api_client, "/api/v1/items/?page_size=4")
    assert [len(page) for page in forward] == [4, 4, 3]
    assert [pk for page in forward for pk in page] == _newest_first(items)
    last = api_client.get("/api/v1/items/?page_size=4").json()["next"]
    last = api_client.get(last).json()["next"]
    backward = _walk(api_client, api_client.get(last).json()["previous"], key="previous")
    assert backward == forward[:2][::-1]


def test_the_next_link_keeps_the_filters_and_the_page_size(api_client, analyst):
    _items(analyst, 5, status="new")
    _items(analyst, 5, status="verified")
    api_client.force_authenticate(analyst)
    body = api_client.get("/api/v1/items/", {"status": "new", "page_size": 2}).json()
    query = parse_qs(urlsplit(body["next"]).query)
    assert (query["status"], query["page_size"], len(query["cursor"])) == (["new"], ["2"], 1)
    assert body["previous"] is None and body["count"] == 5 and body["count_is_estimate"] is False
    rows = [pk for page in _walk(api_client, body["next"]) for pk in page]
    assert len(rows) == 3 and set(FlaggedItem.objects.filter(pk__in=rows).values_list("status", flat=True)) == {"new"}


def test_a_deep_page_is_read_by_keyset_without_offset_or_a_whole_count(api_client, analyst):
    items = _items(analyst, 30)
    api_client.force_authenticate(analyst)
    order = _newest_first(items)
    position = FlaggedItem.objects.get(pk=order[19])
    cursor = cursor_for_row(position, ["-logged_at", "-id"])
    with CaptureQueriesContext(connection) as captured:
        body = api_client.get("/api/v1/items/", {"cursor": cursor, "page_size": 5}).json()
    assert [row["id"] for row in body["results"]] == order[20:25]
    sql = [query["sql"].upper() for query in captured]
    assert not [statement for statement in sql if "OFFSET" in statement]
    assert all("LIMIT" in statement for statement in sql if "COUNT(" in statement), "an unbounded COUNT"


def test_a_forged_or_garbled_cursor_is_a_400_naming_cursor(api_client, analyst):
    _items(analyst, 3)
    api_client.force_authenticate(analyst)
    genuine = parse_qs(urlsplit(api_client.get("/api/v1/items/?page_size=1").json()["next"]).query)["cursor"][0]
    payload, signature = genuine.split(":", 1)
    for cursor in ("garbage", f"{payload[:-2]}AA:{signature}", f"{payload}:{signature[::-1]}"):
        response = api_client.get("/api/v1/items/", {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_a_cursor_of_one_ordering_is_refused_under_another(api_client, analyst):
    _items(analyst, 3)
    api_client.force_authenticate(analyst)
    next_link = api_client.get("/api/v1/items/?page_size=1").json()["next"]
    cursor = parse_qs(urlsplit(next_link).query)["cursor"][0]
    response = api_client.get("/api/v1/items/", {"cursor": cursor, "ordering": "last_reported_at"})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["cursor"]


def test_ordering_by_an_indexed_column_and_refusing_the_others(api_client, analyst):
    items = _items(analyst, 7)
    api_client.force_authenticate(analyst)
    rows = [pk for page in _walk(api_client, "/api/v1/items/?ordering=last_reported_at&page_size=3") for pk in page]
    assert rows == [item.pk for item in sorted(items, key=lambda item: (item.last_reported_at, item.pk))]
    refused = api_client.get("/api/v1/items/", {"ordering": "description"})
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["ordering"]
    assert "last_reported_at" in refused.json()["error"]["message"]


def test_a_large_list_says_its_count_is_an_estimate(api_client, analyst, monkeypatch):
    monkeypatch.setattr(keyset, "EXACT_COUNT_LIMIT", 5)
    _items(analyst, 12)
    api_client.force_authenticate(analyst)
    with CaptureQueriesContext(connection) as captured:
        body = api_client.get("/api/v1/items/").json()
    if connection.vendor == "postgresql":
        assert body["count_is_estimate"] is True and body["count"] > 5
        assert not [query for query in captured if "COUNT(" in query["sql"].upper() and "LIMIT" not in query["sql"]]
    else:
        assert (body["count"], body["count_is_estimate"]) == (12, False)
    small = api_client.get("/api/v1/items/", {"status": "verified"}).json()
    assert (small["count"], small["count_is_estimate"]) == (0, False)


@pytest.mark.parametrize("size", [3, 40])
def test_the_api_list_costs_the_same_queries_at_any_size(api_client, analyst, size, django_assert_num_queries):
    _items(analyst, size)
    api_client.force_authenticate(analyst)
    api_client.get("/api/v1/items/?page_size=2")  # the account's permissions, read once
    # the first page: the items and a bounded count (and on PostgreSQL, above the bound, one EXPLAIN)
    with django_assert_num_queries(2):
        first = api_client.get("/api/v1/items/?page_size=2").json()
    # the pages after it: the items only, the count carried in the cursor (their statement prepared first,
    # once per database session)
    api_client.get(first["next"])
    with django_assert_num_queries(1):
        api_client.get(first["next"])


def test_count_labels_are_exact_when_small_and_about_when_estimated():
    assert count_label(1234, False) == "1,234"
    assert count_label(12_345, True) == "about 12,000"
    assert count_label(1_234_567, True) == "about 1.2 million"


# --- the list pages -----------------------------------------------------------------------------------


def test_the_item_page_links_next_and_previous_by_cursor_keeping_the_filters(client, analyst):
    items = _items(analyst, 120)
    client.force_login(analyst)
    first = client.get("/items/", {"status": "new"})
    page = first.context["page"]
    assert [row["id"] for row in page] == _newest_first(items)[:50]
    assert page.has_next and not page.has_previous
    html = first.content.decode()
    assert 'rel="next" href="?status=new&amp;cursor=' in html and "page=" not in html
    second = client.get("/items/", {"status": "new", "cursor": page.next_cursor}).context["page"]
    assert [row["id"] for row in second] == _newest_first(items)[50:100]
    back = client.get("/items/", {"status": "new", "cursor": second.previous_cursor}).context["page"]
    assert [row["id"] for row in back] == [row["id"] for row in page]


def test_the_item_page_reads_no_offset_and_counts_no_whole_table(client, analyst):
    items = _items(analyst, 60)
    client.force_login(analyst)
    cursor = cursor_for_row(FlaggedItem.objects.get(pk=_newest_first(items)[49]), ["-logged_at", "-id"])
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/items/", {"cursor": cursor}).status_code == 200
    sql = [query["sql"].upper() for query in captured]
    assert not [statement for statement in sql if "OFFSET" in statement]
    assert all("LIMIT" in statement for statement in sql if "COUNT(" in statement and "FLAGGEDITEM" in statement)


def test_the_item_page_says_about_when_the_count_is_estimated(client, analyst, monkeypatch):
    monkeypatch.setattr(keyset, "EXACT_COUNT_LIMIT", 5)
    _items(analyst, 12)
    client.force_login(analyst)
    html = client.get("/items/").content.decode()
    if connection.vendor == "postgresql":
        assert "about " in html
    monkeypatch.setattr(keyset, "EXACT_COUNT_LIMIT", 1000)
    assert "12 items" in client.get("/items/").content.decode()


def test_a_bad_cursor_on_a_page_shows_the_first_page_with_a_warning(client, analyst):
    items = _items(analyst, 3)
    client.force_login(analyst)
    response = client.get("/items/", {"cursor": "forged"})
    assert response.status_code == 200
    assert [row["id"] for row in response.context["page"]] == _newest_first(items)
    assert "start again from the first page" in response.content.decode()


def test_sortable_headers_sort_the_page_by_an_indexed_column_keeping_filters(client, analyst):
    items = _items(analyst, 4)
    client.force_login(analyst)
    html = client.get("/items/", {"status": "new"}).content.decode()
    assert 'href="?status=new&amp;sort=logged"' in html  # the default, newest first, offers oldest first
    oldest_first = client.get("/items/", {"status": "new", "sort": "logged"}).context["page"]
    assert [row["id"] for row in oldest_first] == _newest_first(items)[::-1]
    unknown = client.get("/items/", {"sort": "description"}).context["page"]
    assert [row["id"] for row in unknown] == _newest_first(items)


@pytest.mark.parametrize("size", [3, 70])
def test_the_item_page_costs_the_same_queries_at_any_size(client, analyst, size, django_assert_num_queries):
    _items(analyst, size)
    client.force_login(analyst)
    client.get("/items/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/items/")
    with django_assert_num_queries(len(captured)):
        client.get("/items/")
    assert len(captured) <= 12


def test_the_item_list_answers_each_item_as_its_own_page_does(api_client, analyst, supervisor):
    items = _items(analyst, 3)
    FlaggedItem.objects.filter(pk=items[0].pk).update(
        verified_by=supervisor, verified_at=START, language="id", description="d", platform=None, host="example.org"
    )
    api_client.force_authenticate(analyst)
    listed = api_client.get("/api/v1/items/").json()["results"]
    assert listed == [api_client.get(f"/api/v1/items/{row['id']}/").json() for row in listed]


@pytest.mark.parametrize("ordering", [["-verified_at", "-id"], ["verified_at", "id"]])
def test_a_nullable_ordering_column_pages_through_its_nulls_both_ways(analyst, ordering):
    """As notices order by sent_at, empty for drafts: NULL sorts as the largest value, as PostgreSQL orders it."""
    items = _items(analyst, 9)
    for n, item in enumerate(items):
        if n % 3:
            FlaggedItem.objects.filter(pk=item.pk).update(verified_at=START + dt.timedelta(hours=n // 2))
    rows = {item.pk: item.verified_at for item in FlaggedItem.objects.all()}
    descending = ordering[0].startswith("-")
    far = START + dt.timedelta(days=365)
    expected = sorted(rows, key=lambda pk: (rows[pk] or far, pk), reverse=descending)
    pages, cursor = [], None
    while True:
        page = keyset.keyset_page(FlaggedItem.objects.all(), page_size=2, cursor=cursor, ordering=ordering)
        pages.append([item.pk for item in page])
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert [pk for chunk in pages for pk in chunk] == expected
    back, cursor = [], page.previous_cursor
    while cursor:
        page = keyset.keyset_page(FlaggedItem.objects.all(), page_size=2, cursor=cursor, ordering=ordering)
        back.append([item.pk for item in page])
        cursor = page.previous_cursor
    assert back == pages[:-1][::-1]


def test_a_page_number_is_refused_so_an_old_client_does_not_loop_on_page_one(api_client, analyst):
    _items(analyst, 3)
    api_client.force_authenticate(analyst)
    response = api_client.get("/api/v1/items/", {"page": 2})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["page"]


LIST_PAGES = [
    ("/items/", ["logged", "-logged", "reported"]),
    ("/cases/", ["opened", "-opened"]),
    ("/notices/", ["sent", "-sent", "deadline", "-deadline"]),
    ("/notices/mail/", ["received", "-received"]),
    ("/audit/", ["at", "-at"]),
    ("/platforms/", ["name", "-name"]),
]


@pytest.mark.parametrize(("url", "sorts"), LIST_PAGES)
def test_every_list_page_walks_by_cursor_in_every_sort_order(client, make_user, monkeypatch, url, sorts):
    """On the demo data (a case, its notices with past ones and their empty dates, the audit trail): each
    list page in each sortable order, by pages of 2 to the end, every row once."""
    with transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    client.force_login(make_user("administrator", is_superuser=True))  # the paging is under test, not roles
    for sort in ["", *sorts]:
        seen, params = [], {"sort": sort} if sort else {}
        while True:
            response = client.get(url, params)
            assert response.status_code == 200, (url, sort)
            page = response.context["page"]
            seen.extend(row["id"] if isinstance(row, dict) else row.pk for row in page)  # the item list reads values
            if not page.has_next:
                break
            params = ({"sort": sort} if sort else {}) | {"cursor": page.next_cursor}
        assert len(seen) == len(set(seen)) == page.count, (url, sort)


def test_the_pages_after_the_first_carry_its_count_instead_of_counting_again(api_client, analyst):
    platform = PlatformFactory()
    for _ in range(3):
        FlaggedItemFactory(platform=platform)
    api_client.force_authenticate(analyst)
    first = api_client.get("/api/v1/items/", {"page_size": 1}).json()
    with CaptureQueriesContext(connection) as on_first:
        api_client.get("/api/v1/items/", {"page_size": 1})
    with CaptureQueriesContext(connection) as on_second:
        second = api_client.get(first["next"]).json()
    counts = [q["sql"] for q in on_first.captured_queries if "COUNT(" in q["sql"]]
    assert counts and not [q["sql"] for q in on_second.captured_queries if "COUNT(" in q["sql"]]
    assert second["count"] == first["count"] == 3
    # another filter with the same cursor is counted afresh, not given the first list's count
    refiltered = api_client.get(first["next"] + "&status=closed").json()
    assert refiltered["count"] == 0


def test_a_list_that_fits_on_its_first_page_is_not_counted_again(api_client, analyst, django_assert_num_queries):
    _items(analyst, 3)
    api_client.force_authenticate(analyst)
    api_client.get("/api/v1/items/")  # the account's permissions, read once
    with django_assert_num_queries(1):  # the items only: all of them are on the page
        body = api_client.get("/api/v1/items/").json()
    assert (body["count"], body["count_is_estimate"], body["next"]) == (3, False, None)


def test_a_large_lists_estimate_is_kept_a_minute_and_a_small_one_is_always_counted(api_client, analyst, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("estimates are PostgreSQL's planner's; other databases count exactly")
    monkeypatch.setattr(keyset, "EXACT_COUNT_LIMIT", 5)
    _items(analyst, 12)
    _items(analyst, 4, status="verified")
    api_client.force_authenticate(analyst)

    def counting_statements(params):
        with CaptureQueriesContext(connection) as captured:
            body = api_client.get("/api/v1/items/", {"page_size": 2, **params}).json()
        sql = [query["sql"].upper() for query in captured]
        return body, [statement for statement in sql if "COUNT(" in statement or statement.startswith("EXPLAIN")]

    first, counted = counting_statements({})
    assert first["count_is_estimate"] is True and len(counted) == 2  # a bounded count, then the estimate
    again, counted = counting_statements({})
    assert (again["count"], again["count_is_estimate"], counted) == (first["count"], True, [])
    small, counted = counting_statements({"status": "verified"})  # another list: counted, exactly
    assert (small["count"], small["count_is_estimate"], len(counted)) == (4, False, 1)
    assert len(counting_statements({"status": "verified"})[1]) == 1  # and counted again each time
    for digest, (_expires, total) in list(keyset._estimates.items()):
        keyset._estimates[digest] = (time.monotonic() - 1, total)  # a minute on
    assert len(counting_statements({})[1]) == 2  # estimated afresh


def test_a_lists_count_is_told_apart_by_which_rows_it_holds_not_by_its_columns_or_order():
    from tracker.core.keyset import _list_digest

    items = FlaggedItem.objects.all()
    same = [
        items,
        items.select_related("platform", "category").order_by("-logged_at"),
        items.values("id", "canonical"),
    ]
    assert len({_list_digest(queryset) for queryset in same}) == 1
    different = [
        items,
        items.filter(status="new"),
        items.filter(status="verified"),
        items.filter(platform__slug="telegram"),
        items.filter(memberships__case_id=1),
        items.filter(pk__in=FlaggedItem.objects.filter(status="new").values("pk")),
        items.distinct(),
        items.filter(pk__in=[]),
        FlaggedItem.objects.filter(status="new").exclude(urgency="urgent"),
    ]
    assert len({_list_digest(queryset) for queryset in different}) == len(different)
