import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tests.factories import CategoryFactory
from tests.services import require_postgresql
from tracker.core import audit
from tracker.core.actors import SystemActor
from tracker.core.models import AuditEntry, AuditEntryImmutable

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(analyst):
    category = CategoryFactory()
    return audit.record_creation(category, actor=analyst)


def test_a_change_records_who_when_what_and_from_where(analyst):
    category = CategoryFactory()
    before = audit.snapshot(category)
    category.name = "Terrorisme"
    with audit.audit_context(AuditEntry.Source.API, remote_addr="10.1.2.3"):
        entry = audit.record(
            obj=category, action="change", actor=analyst, changes=audit.diff(before, audit.snapshot(category))
        )
    assert (entry.actor, entry.source, entry.remote_addr) == (analyst, "api", "10.1.2.3")
    # a category's name is kept per language: the change is recorded on the language it was made in
    assert entry.changes == {"name_en": ["Terrorism", "Terrorisme"]}


def test_an_entry_cannot_be_changed_or_deleted_through_the_model(entry):
    entry.reason = "rewritten"
    with pytest.raises(AuditEntryImmutable):
        entry.save()
    with pytest.raises(AuditEntryImmutable):
        entry.delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.update(reason="x")


def test_postgresql_refuses_raw_sql_that_edits_the_trail(entry):
    require_postgresql()
    for statement in ("UPDATE tracker_auditentry SET reason = 'x'", "DELETE FROM tracker_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_postgresql_refuses_truncating_the_trail_to_the_role_the_tracker_runs_as(entry):
    require_postgresql()
    with connection.cursor() as cursor:
        # A role like the one production runs as: no superuser, but the table's privileges, TRUNCATE included.
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tracker_app_test') THEN "
            "CREATE ROLE tracker_app_test NOLOGIN; END IF; END $$"
        )
        cursor.execute("GRANT SELECT, INSERT, TRUNCATE ON tracker_auditentry TO tracker_app_test")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending checks first
        cursor.execute("SET LOCAL ROLE tracker_app_test")
        cursor.execute("TRUNCATE tracker_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("role", ["auditor", "administrator"])
def test_api_offers_no_way_to_write_the_trail(api_client, make_user, entry, role):
    api_client.force_authenticate(make_user(role))
    url = reverse("auditentry-detail", args=[entry.pk])
    assert api_client.get(url).status_code == 200
    for method in (api_client.put, api_client.patch, api_client.delete):
        assert method(url, {"reason": "x"}, format="json").status_code in (403, 405)
    assert api_client.post(reverse("auditentry-list"), {}, format="json").status_code in (403, 405)
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_auditor_filters_the_trail_by_action_and_record_type(api_client, auditor, entry, analyst):
    audit.record(obj=analyst, action="change", actor=auditor)
    api_client.force_authenticate(auditor)
    response = api_client.get(reverse("auditentry-list"), {"model": "tracker.category", "action": "create"})
    assert [row["id"] for row in response.json()["results"]] == [entry.pk]


def test_analyst_may_not_browse_the_trail(api_client, client, analyst, entry):
    api_client.force_authenticate(analyst)
    assert api_client.get(reverse("auditentry-list")).status_code == 403
    client.force_login(analyst)
    assert client.get(reverse("audit-list")).status_code == 403


def test_auditor_page_lists_and_exports_entries(client, auditor, entry):
    client.force_login(auditor)
    page = client.get(reverse("audit-list"))
    assert entry.object_repr in page.content.decode()
    export = client.get(reverse("audit-list"), {"format": "csv"})
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("at_utc,actor") and entry.object_repr in lines[1]


def test_audit_list_query_count_does_not_grow_with_entries(client, auditor, django_assert_max_num_queries):
    category = CategoryFactory()
    client.force_login(auditor)
    for size in (5, 40):
        while AuditEntry.objects.count() < size:
            audit.record_creation(category, actor=auditor)
        with django_assert_max_num_queries(8):
            client.get(reverse("audit-list"))


def test_what_a_task_writes_is_audited_as_coming_from_that_task():
    from tracker.conf.celery import app

    @app.task(name="tests.audit_probe")
    def audit_probe(category_id):
        from tracker.items.models import Category

        return audit.record(obj=Category.objects.get(pk=category_id), action="event", actor=SystemActor("probe")).pk

    category = CategoryFactory()
    entry = AuditEntry.objects.get(pk=audit_probe.apply(args=[category.pk]).get())
    assert (entry.source, entry.actor_label, entry.actor) == ("task", "tests.audit_probe", None)


def test_password_hashes_never_reach_the_trail(analyst):
    entry = audit.record_creation(analyst, actor=analyst)
    assert "password" not in entry.changes and entry.changes["username"] == [None, analyst.username]
