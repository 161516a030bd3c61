"""Evidence files: hashed, typed by content, stored once, never changed or deleted."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from tests.factories import FlaggedItemFactory
from tests.services import require_postgresql
from tracker.core.errors import DomainError, NotPermitted
from tracker.evidence.models import Evidence, EvidenceFile, EvidenceImmutable
from tracker.evidence.services import attach_evidence, evidence_root

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def upload(content: bytes, name: str = "screenshot.png"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_evidence_is_stored_by_hash_with_size_and_detected_type(analyst):
    item = FlaggedItemFactory()
    evidence, created = attach_evidence(actor=analyst, item=item, uploaded_file=upload(PNG))
    assert created
    stored = evidence.file
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest()
    assert (stored.size, stored.content_type) == (len(PNG), "image/png")
    assert (Path(evidence_root()) / stored.stored_path).read_bytes() == PNG
    assert evidence.captured_by == analyst


def test_the_same_file_twice_on_one_item_is_recognised(analyst):
    item = FlaggedItemFactory()
    first, _ = attach_evidence(actor=analyst, item=item, uploaded_file=upload(PNG))
    again, created = attach_evidence(actor=analyst, item=item, uploaded_file=upload(PNG, "copy.png"))
    assert not created and again.pk == first.pk
    assert Evidence.objects.count() == 1


def test_the_same_file_on_two_items_is_stored_once(analyst):
    one, two = FlaggedItemFactory(), FlaggedItemFactory()
    attach_evidence(actor=analyst, item=one, uploaded_file=upload(PNG))
    attach_evidence(actor=analyst, item=two, uploaded_file=upload(PNG))
    assert (EvidenceFile.objects.count(), Evidence.objects.count()) == (1, 2)


def test_a_saved_html_page_is_recognised_by_its_content(analyst):
    evidence, _ = attach_evidence(
        actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(b"<!DOCTYPE html><html><p>x</p>", "page.bin")
    )
    assert evidence.file.content_type == "text/html"


def test_an_empty_file_is_refused(analyst):
    with pytest.raises(DomainError) as refused:
        attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(b""))
    assert "empty" in refused.value.fields["file"][0]


def test_a_file_over_the_limit_is_refused_with_the_limit(analyst, settings):
    settings.EVIDENCE_MAX_BYTES = 50
    with pytest.raises(DomainError) as refused:
        attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(PNG))
    assert "50" in refused.value.fields["file"][0]
    assert Evidence.objects.count() == 0


def test_a_type_not_allowed_is_refused_naming_it(analyst):
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
    with pytest.raises(DomainError) as refused:
        attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(elf, "tool"))
    assert "application/x-executable" in refused.value.fields["file"][0]
    assert EvidenceFile.objects.count() == 0


def test_evidence_cannot_be_changed_or_deleted(analyst):
    evidence, _ = attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(PNG))
    evidence.description = "edited"
    with pytest.raises(EvidenceImmutable):
        evidence.save()
    with pytest.raises(EvidenceImmutable):
        evidence.delete()
    with pytest.raises(EvidenceImmutable):
        Evidence.objects.all().delete()
    with pytest.raises(EvidenceImmutable):
        EvidenceFile.objects.update(size=1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tracker_evidence SET description = 'edited'",
        "DELETE FROM tracker_evidence",
        "UPDATE tracker_evidencefile SET sha256 = repeat('0', 64)",
        "DELETE FROM tracker_evidencefile",
    ],
)
def test_postgresql_refuses_raw_sql_that_edits_evidence(analyst, statement):
    require_postgresql()
    evidence, _ = attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(PNG))
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Evidence.objects.get(pk=evidence.pk).description == evidence.description


def test_postgresql_refuses_truncating_evidence_to_the_role_the_tracker_runs_as(analyst):
    require_postgresql()
    attach_evidence(actor=analyst, item=FlaggedItemFactory(), uploaded_file=upload(PNG))
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tracker_app_test') THEN "
            "CREATE ROLE tracker_app_test NOLOGIN; END IF; END $$"
        )
        cursor.execute("GRANT SELECT, INSERT, TRUNCATE ON tracker_evidence TO tracker_app_test")
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks from the insert
        cursor.execute("SET LOCAL ROLE tracker_app_test")
        cursor.execute("TRUNCATE tracker_evidence")
    assert Evidence.objects.count() == 1


def test_a_correction_is_a_new_file_and_the_old_one_stays(analyst):
    item = FlaggedItemFactory()
    wrong, _ = attach_evidence(actor=analyst, item=item, uploaded_file=upload(PNG))
    fixed, _ = attach_evidence(
        actor=analyst, item=item, uploaded_file=upload(PNG + b"fixed", "fixed.png"), supersedes=wrong
    )
    assert fixed.supersedes == wrong and Evidence.objects.filter(item=item).count() == 2


def test_a_liaison_officer_cannot_attach_evidence(liaison_officer):
    with pytest.raises(NotPermitted):
        attach_evidence(actor=liaison_officer, item=FlaggedItemFactory(), uploaded_file=upload(PNG))
