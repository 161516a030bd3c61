"""The audit trail proves itself: entries are chained by hash, a command finds the first broken link,
and a daily digest kept outside the tracker catches a trail rewritten from the start."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.factories import CategoryFactory
from tests.services import require_postgresql
from tracker.core import audit, audit_chain
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(analyst):
    category = CategoryFactory()
    made = [audit.record_creation(category, actor=analyst, reason=f"entry {n}") for n in range(5)]
    audit_chain.seal_pending()
    return [AuditEntry.objects.get(pk=entry.pk) for entry in made]


def tamper(sql: str, params=()) -> None:
    """What someone with the database superuser's password could do: edit rows with the triggers off."""
    require_postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_sealing_chains_every_entry_to_the_one_before(entries):
    seals = [entry.seal for entry in entries]
    assert seals == sorted(seals) and len(set(seals)) == 5
    assert all(len(entry.chain_hash) == 64 for entry in entries)
    assert audit_chain.verify().first_broken is None
    # Sealing again seals nothing new and changes nothing.
    assert audit_chain.seal_pending() == 0
    assert [AuditEntry.objects.get(pk=e.pk).chain_hash for e in entries] == [e.chain_hash for e in entries]


def test_a_seal_is_the_only_update_the_database_accepts(entries):
    require_postgresql()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_auditentry SET chain_hash = 'x' WHERE id = %s", [entries[0].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_auditentry SET seal = NULL, chain_hash = '' WHERE id = %s", [entries[0].pk])


def test_an_altered_entry_fails_the_verify_command_which_names_it(entries, capsys):
    call_command("verify_audit_trail")
    assert "intact" in capsys.readouterr().out
    tamper("UPDATE tracker_auditentry SET reason = 'nothing happened' WHERE id = %s", [entries[2].pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_trail")
    assert f"entry {entries[2].pk}" in str(failure.value)
    assert audit_chain.verify().first_broken == entries[2].pk


def test_a_deleted_entry_is_named_by_the_gap_it_leaves(entries):
    tamper("DELETE FROM tracker_auditentry WHERE id = %s", [entries[1].pk])
    result = audit_chain.verify()
    assert result.first_broken == entries[2].pk
    assert "missing" in result.problem


def test_a_trail_rewritten_from_the_start_is_caught_by_the_digest_kept_outside(entries, tmp_path, analyst):
    day = entries[-1].at.date()
    digest_file = tmp_path / "digest.json"
    call_command("audit_digest", "--day", day.isoformat(), "--output", str(digest_file))
    digest = json.loads(digest_file.read_text())
    assert digest["day"] == day.isoformat()
    assert digest["entries"] == AuditEntry.objects.count()
    assert digest["head_seal"] == entries[-1].seal
    assert digest["head_hash"] == entries[-1].chain_hash
    call_command("verify_audit_trail", "--digest", str(digest_file))

    # Rewrite every entry and reseal the whole chain: the chain is consistent again, the digest is not.
    tamper("UPDATE tracker_auditentry SET reason = 'rewritten', seal = NULL, chain_hash = ''")
    audit_chain.seal_pending()
    assert audit_chain.verify().first_broken is None
    with pytest.raises(CommandError, match="digest"):
        call_command("verify_audit_trail", "--digest", str(digest_file))


def test_hash_covers_what_was_done_who_did_it_and_when(entries):
    entry = entries[0]
    values = audit_chain.sealed_values(AuditEntry.objects.filter(pk=entry.pk))[0]
    original = audit_chain.link_hash(values, previous="")
    for field, other in [
        ("actor_label", "someone else"),
        ("at", datetime(2001, 1, 1, tzinfo=UTC)),
        ("changes", {"name": [None, "x"]}),
    ]:
        assert audit_chain.link_hash({**values, field: other}, previous="") != original
    assert audit_chain.link_hash(values, previous="0" * 64) != original


@pytest.mark.django_db(transaction=True)
def test_entries_are_sealed_when_their_transaction_commits_and_not_before(make_user):
    analyst = make_user("analyst")
    with transaction.atomic():
        entry = audit.record_creation(CategoryFactory(), actor=analyst)
        assert AuditEntry.objects.get(pk=entry.pk).seal is None
    assert AuditEntry.objects.get(pk=entry.pk).seal is not None
    assert audit_chain.verify().first_broken is None


def test_entries_written_set_wise_are_one_per_record_and_sealed_into_the_chain(
    analyst, django_capture_on_commit_callbacks
):
    categories = CategoryFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        written = audit.record_many(
            categories,
            action=AuditEntry.Action.CHANGE,
            actor=analyst,
            changes_of=lambda category: {"name": ["old", category.name]},
            reason="bulk",
        )
        assert AuditEntry.objects.filter(seal__isnull=True, reason="bulk").count() == 3
    assert written == 3
    entries = AuditEntry.objects.filter(reason="bulk").order_by("id")
    assert [entry.object_id for entry in entries] == [str(category.pk) for category in categories]
    assert [entry.changes["name"][1] for entry in entries] == [category.name for category in categories]
    assert all(entry.seal and entry.actor == analyst for entry in entries)
    assert audit_chain.verify().first_broken is None
