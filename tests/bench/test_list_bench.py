"""Item lists at national scale: the API's first page, the page at depth 500,000 (by cursor) and `?status=new`,
each beside the bare `.values()` query of the same rows, and the HTML list beside the API.

1,000,000 flagged items by default (BENCH_ITEMS=100000, say, shrinks it), inserted set-wise from one
prototype row. Target (issue 14): each API figure at least half the rate of its bare query (API time <= 2x),
the HTML list within 3x of the API. Run with `make bench` against PostgreSQL (DATABASE_URL).
"""

import os
import statistics
import time

import pytest
from django.db import connection
from django.db.models import Q
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState

from tests.factories import FlaggedItemFactory, api_token
from tests.services import require_postgresql
from tracker.core.keyset import encode_cursor
from tracker.core.prepared import fetch_prepared
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
RUNS = 15
ORDER = ["-logged_at", "-id"]
# What the API serialises, read bare: the same joins, the same ordering, the same 50 rows.
VALUES = [
    "id", "canonical", "display", "entered_as", "kind", "platform__slug", "host", "category__slug", "urgency",
    "source", "language", "description", "status", "logged_by__username", "logged_at", "verified_by__username",
    "verified_at", "status_changed_at", "sighting_count", "last_reported_at",
]  # fmt: skip
# Column -> SQL over n (1..ITEMS); every other column is copied from the prototype row, so a column added
# to the model later is filled too. Two items share each instant, so the id tiebreak is exercised.
VARIED = {
    "canonical": "'https://t.me/bench_' || n",
    "display": "'https://t.me/bench_' || n",
    "entered_as": "'t.me/bench_' || n",
    "status": "(ARRAY['new', 'verified', 'in_notice', 'closed'])[1 + n %% 4]",
    "logged_at": "TIMESTAMPTZ '2025-01-01 00:00+00' + (n / 2) * INTERVAL '20 seconds'",
    "status_changed_at": "TIMESTAMPTZ '2025-01-01 00:00+00' + (n / 2) * INTERVAL '20 seconds'",
    "last_reported_at": "TIMESTAMPTZ '2025-01-01 00:00+00' + (n / 2) * INTERVAL '20 seconds'",
}


def copy_rows(model, prototype_pk: int, varied: dict[str, str], source: str, params: list) -> None:
    """INSERT ... SELECT copies of one prototype row: `varied` gives SQL for some columns (over `source`'s
    aliases), every other column is the prototype's, so a column added to the model later is filled too."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    chosen = [varied.get(column, f"p.{connection.ops.quote_name(column)}") for column in columns]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {', '.join(chosen)} "  # noqa: S608 - names from the model
            f"FROM {table} p, {source} WHERE p.id = %s",
            [*params, prototype_pk],
        )
        cursor.execute(f"VACUUM ANALYZE {table}")


def load_items(count: int) -> None:
    prototype = FlaggedItemFactory(canonical="https://t.me/bench_prototype")
    copy_rows(FlaggedItem, prototype.pk, VARIED, "generate_series(1, %s) AS n", [count - 1])


def median_ms(*actions) -> list[float]:
    """The median time of each action, run in turn so that both see the same load on a shared machine."""
    for action in actions:
        action()
        action()
    times = [[] for _ in actions]
    for _ in range(RUNS):
        for action, spent in zip(actions, times, strict=True):
            started = time.perf_counter()
            action()
            spent.append((time.perf_counter() - started) * 1000)
    return [statistics.median(spent) for spent in times]


def test_item_lists_beside_the_bare_query(analyst, monkeypatch):
    require_postgresql()
    # Templates render as in production, not through the test runner's instrumented render, which copies
    # every template's context for the test client to inspect.
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)
    started = time.perf_counter()
    load_items(ITEMS)
    print(f"\nloaded {ITEMS:,} items in {time.perf_counter() - started:.0f} s")

    api = Client(HTTP_AUTHORIZATION=f"Token {api_token(analyst)}")
    page = Client()
    page.force_login(analyst)
    rows = FlaggedItem.objects.select_related("platform", "category", "logged_by", "verified_by")

    # The row at depth 500,000 (found once, by OFFSET, here only); the cursor is built from it.
    depth = ITEMS // 2
    at, pk = FlaggedItem.objects.order_by(*ORDER).values_list("logged_at", "id")[depth - 1]
    cursor = encode_cursor(ORDER, [at, pk])
    after = Q(logged_at__lte=at) & (Q(logged_at__lt=at) | Q(logged_at=at, id__lt=pk))

    def get(client, url, params):
        def call():
            response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]
            return response

        return call

    deep = get(api, "/api/v1/items/", {"cursor": cursor})()
    assert deep.json()["results"][0]["id"] == rows.order_by(*ORDER).filter(after).values_list("id", flat=True)[0]
    first = get(api, "/api/v1/items/", {})().json()
    assert len(first["results"]) == 50 and first["count_is_estimate"] is True

    cases = [
        (
            "first page of 50",
            get(api, "/api/v1/items/", {}),
            lambda: list(rows.order_by(*ORDER).values(*VALUES)[:50]),
        ),
        (
            f"page at depth {depth:,} (cursor)",
            get(api, "/api/v1/items/", {"cursor": cursor}),
            lambda: list(rows.order_by(*ORDER).filter(after).values(*VALUES)[:50]),
        ),
        (
            "?status=new",
            get(api, "/api/v1/items/", {"status": "new"}),
            lambda: list(rows.filter(status="new").order_by(*ORDER).values(*VALUES)[:50]),
        ),
    ]
    print(f"\n{'list of ' + format(ITEMS, ',') + ' items':<34} {'API ms':>8} {'values ms':>10} {'API/values':>11}")
    for name, call_api, call_values in cases:
        api_ms, values_ms = median_ms(call_api, call_values)
        print(f"{name:<34} {api_ms:>8.2f} {values_ms:>10.2f} {api_ms / values_ms:>10.2f}x")
    # For reference: the lists run their page as a prepared statement (tracker.core.prepared), which the bare
    # query above does not; here is the bare query run that way too.
    first_values = rows.order_by(*ORDER).values(*VALUES)
    prepared_ms, values_ms = median_ms(lambda: fetch_prepared(first_values[:50]), lambda: list(first_values[:50]))
    print(f"the first page's bare query prepared, as lists run theirs: {prepared_ms:.2f} ms ({values_ms:.2f} not)")
    print(f"{'':<34} {'HTML ms':>8} {'API ms':>10} {'HTML/API':>11}")
    for name, params in [
        ("first page of 50", {}),
        (f"page at depth {depth:,} (cursor)", {"cursor": cursor}),
        ("?status=new", {"status": "new"}),
    ]:
        html_ms, api_ms = median_ms(get(page, "/items/", params), get(api, "/api/v1/items/", params))
        print(f"{name:<34} {html_ms:>8.2f} {api_ms:>10.2f} {html_ms / api_ms:>10.2f}x")
    [floor] = median_ms(get(api, "/api/v1/me/", {}))
    print(f"an authenticated API request that reads no list (/api/v1/me/): {floor:.2f} ms")
    print("targets: API/values <= 2x (half the rate of the bare query or better), HTML/API <= 3x")
    for name, query in [
        ("deep page", FlaggedItem.objects.order_by(*ORDER).filter(after)),
        ("?status=new", FlaggedItem.objects.filter(status="new").order_by(*ORDER)),
    ]:
        plan = query.values("id")[:51].explain(analyze=True).splitlines()
        print(f"plan of the {name}: " + " | ".join(line.strip() for line in plan[:3]))
