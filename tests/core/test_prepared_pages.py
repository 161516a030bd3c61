"""Lists' pages run as statements prepared once per database session (tracker.core.prepared.fetch_prepared):
the same rows as the ORM's own statement, whatever the values' types, and the ORM's own statement whenever
PostgreSQL will not prepare it."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import BinaryField, BooleanField, IntegerChoices, Value
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from platforms.models import Platform
from tests.factories import CategoryFactory, FlaggedItemFactory
from tests.services import require_postgresql
from tracker.core import prepared
from tracker.core.keyset import keyset_page
from tracker.core.prepared import fetch_prepared
from tracker.items.models import Category, FlaggedItem

pytestmark = pytest.mark.django_db


class Sightings(IntegerChoices):
    ONE = 1


@pytest.fixture
def items():
    require_postgresql()
    made = [FlaggedItemFactory(canonical=f"https://t.me/prepared_{n}") for n in range(6)]
    FlaggedItem.objects.filter(pk__in=[item.pk for item in made[:3]]).update(status="verified")
    return made


def held_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'tracker_rows_%%'")
        return {name for (name,) in cursor.fetchall()}


def run(queryset):
    """fetch_prepared's rows, the statements it sent, and the ORM's own rows."""
    with CaptureQueriesContext(connection) as sent:
        rows = fetch_prepared(queryset.all())
    return rows, [query["sql"] for query in sent.captured_queries], list(queryset.all())


def test_a_page_of_model_rows_is_executed_prepared_with_the_orms_rows(items):
    queryset = FlaggedItem.objects.select_related("platform", "category", "logged_by").order_by("-id")[:4]
    rows, sent, expected = run(queryset)
    assert rows == expected and [row.pk for row in rows] == [item.pk for item in reversed(items)][:4]
    assert rows[0].category.name == expected[0].category.name  # select_related filled from the prepared row
    assert sent[-1].startswith("EXECUTE tracker_rows_")
    # The second time the statement is only executed: nothing is prepared again.
    rows, sent, _ = run(queryset)
    assert rows == expected and len(sent) == 1 and sent[0].startswith("EXECUTE tracker_rows_")


@pytest.mark.parametrize(
    "narrow",
    [
        pytest.param(lambda qs, items: qs.filter(status="verified"), id="text"),
        pytest.param(lambda qs, items: qs.filter(id__gt=items[1].pk), id="integer"),
        pytest.param(lambda qs, items: qs.filter(id__in=[items[0].pk, items[4].pk]), id="integers in a list"),
        pytest.param(lambda qs, items: qs.filter(sighting_count__gte=Sightings.ONE), id="integer choice"),
        pytest.param(lambda qs, items: qs.filter(logged_at__lte=items[2].logged_at), id="time with a zone"),
        pytest.param(lambda qs, items: qs.filter(logged_at__date=timezone.localdate(items[2].logged_at)), id="date"),
        pytest.param(lambda qs, items: qs.filter(category__is_active=True), id="boolean"),
        pytest.param(lambda qs, items: qs.filter(canonical__icontains="PREPARED_3"), id="pattern with %"),
        pytest.param(lambda qs, items: qs.annotate(big=Value(Decimal("1.50"))), id="decimal"),
        pytest.param(lambda qs, items: qs.annotate(key=Value(uuid.UUID(int=7))), id="uuid"),
        pytest.param(lambda qs, items: qs.annotate(span=Value(datetime.timedelta(hours=2))), id="interval"),
        pytest.param(lambda qs, items: qs.annotate(percent=RawSQL("'a%%b'", [])), id="literal %"),
    ],
)
def test_values_of_each_type_give_the_orms_rows(items, narrow):
    queryset = narrow(FlaggedItem.objects.order_by("-logged_at", "-id"), items).values()[:10]
    rows, sent, expected = run(queryset)
    assert rows == expected and rows
    assert sent[-1].startswith("EXECUTE tracker_rows_")
    assert [type(value) for value in rows[0].values()] == [type(value) for value in expected[0].values()]


@pytest.mark.parametrize(
    "value", [pytest.param(Value(b"ab", output_field=BinaryField()), id="bytes"), pytest.param(Value(0.25), id="float")]
)
def test_a_value_of_another_kind_runs_the_orms_own_statement(items, value):
    queryset = FlaggedItem.objects.annotate(extra=value).order_by("id").values()
    rows, sent, expected = run(queryset)
    extra = rows[0]["extra"]
    assert rows == expected and (bytes(extra) if isinstance(extra, memoryview) else extra) in (b"ab", 0.25)
    assert sent == [sent[0]] and sent[0].startswith("SELECT")


def test_an_integer_beyond_bigint_finds_nothing_as_the_orms_statement_does(items):
    with transaction.atomic():
        beyond = RawSQL('"tracker_flaggeditem"."id" = %s', [2**70], output_field=BooleanField())
        rows, sent, expected = run(FlaggedItem.objects.filter(beyond).order_by("id"))
        assert rows == expected == [] and sent[-1].startswith("EXECUTE tracker_rows_")
        assert FlaggedItem.objects.count() == len(items)


def test_a_statement_postgresql_will_not_prepare_runs_as_it_is_and_leaves_the_transaction_usable(items):
    queryset = FlaggedItem.objects.filter(RawSQL("%s IS NULL", [None], output_field=BooleanField())).order_by("id")
    with transaction.atomic():
        rows, sent, expected = run(queryset)
        assert rows == expected and len(rows) == len(items)
        assert any(sql.startswith("PREPARE") for sql in sent) and sent[-1].startswith("SELECT")
        assert FlaggedItem.objects.count() == len(items)  # the refusal did not abort the transaction
    # Refused once, not tried again.
    rows, sent, _ = run(queryset)
    assert len(sent) == 1 and sent[0].startswith("SELECT")


def test_a_keyset_page_is_executed_prepared(items):
    first = keyset_page(FlaggedItem.objects.order_by("-logged_at", "-id"), page_size=2)
    with CaptureQueriesContext(connection) as sent:
        second = keyset_page(FlaggedItem.objects.order_by("-logged_at", "-id"), page_size=2, cursor=first.next_cursor)
    assert [row.pk for row in second] == [items[3].pk, items[2].pk]
    assert any(query["sql"].startswith("EXECUTE tracker_rows_") for query in sent.captured_queries)


def test_a_session_holds_at_most_so_many_page_statements(items, monkeypatch):
    monkeypatch.setattr(prepared, "PREPARED_PAGES_PER_SESSION", 2)
    before = held_statements()
    for size in (1, 2, 3):
        fetch_prepared(FlaggedItem.objects.order_by("id")[:size])
    added = held_statements() - before
    assert len(added) == 2
    # The least recently used went; the one used again last stays.
    fetch_prepared(FlaggedItem.objects.order_by("id")[:2])
    fetch_prepared(FlaggedItem.objects.order_by("id")[:4])
    with CaptureQueriesContext(connection) as sent:
        fetch_prepared(FlaggedItem.objects.order_by("id")[:2])
    assert len(sent.captured_queries) == 1 and sent.captured_queries[0]["sql"].startswith("EXECUTE")


@pytest.mark.django_db(transaction=True)
def test_a_new_database_session_prepares_again(items):
    queryset = FlaggedItem.objects.order_by("id").values("id")
    before = held_statements()
    assert fetch_prepared(queryset.all()) == list(queryset.all())
    [name] = held_statements() - before
    connection.close()
    assert held_statements() == set()  # a new session holds nothing
    assert fetch_prepared(queryset.all()) == list(queryset.all())
    assert held_statements() == {name}


@pytest.mark.parametrize(
    ("where", "types", "ordering"),
    [
        ({}, (), None),
        ({}, (), ["-slug"]),
        ({"kind": "channel"}, ("text",), ["-logged_at", "id"]),
    ],
)
def test_instances_read_by_a_statement_written_once_are_the_orms(items, where, types, ordering):
    FlaggedItem.objects.filter(pk=items[0].pk).update(kind="channel")
    model = Platform if not where else FlaggedItem
    with CaptureQueriesContext(connection) as sent:
        read = prepared.read_instances(model, where=where, types=types, ordering=ordering)
    expected = list(model.objects.filter(**where).order_by(*(ordering or model._meta.ordering)))
    assert read and [vars(row) | {"_state": None} for row in read] == [vars(row) | {"_state": None} for row in expected]
    assert sent.captured_queries[-1]["sql"].startswith(f"EXECUTE tracker_rows_{model._meta.db_table}_")


@pytest.mark.parametrize("language", ["en", "id"])
def test_instances_ordered_by_a_translated_field_follow_the_readers_language(language):
    require_postgresql()
    CategoryFactory(slug="first-in-english", name_en="Aaa bench", name_ind="Zzz bench")
    CategoryFactory(slug="first-in-bahasa", name_en="Zzz bench", name_ind="Aaa bench")
    with translation.override(language):
        read = [category.slug for category in prepared.read_instances(Category, ordering=["name"])]
        expected = [category.slug for category in Category.objects.order_by("name")]
        names = [category.name for category in prepared.read_instances(Category, ordering=["name"])]
    assert read == expected
    first = "first-in-english" if language == "en" else "first-in-bahasa"
    assert read.index(first) < read.index({"first-in-english", "first-in-bahasa"}.difference([first]).pop())
    assert "Aaa bench" in names and "Zzz bench" in names
