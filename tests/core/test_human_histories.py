"""Histories and the audit trail in a person's words: local times with the zone's name, state labels
instead of codes, record kinds by their names, and an item's evidence in its history."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import FlaggedItemFactory
from tracker.evidence.services import attach_evidence
from tracker.items.services import change_item_status, edit_item, verify_item

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def body(response) -> str:
    return response.content.decode()


def visible_text(html: str) -> str:
    """The page without its tags and attributes (a <time datetime="…"> attribute is for machines)."""
    return re.sub(r"<[^>]+>", " ", html)


@time_machine.travel(datetime(2026, 12, 5, 0, 12, 31, 59138, tzinfo=UTC), tick=False)
def test_item_history_shows_local_times_state_labels_and_attached_evidence(client, analyst, supervisor):
    item = FlaggedItemFactory()
    verify_item(item, actor=supervisor)
    change_item_status(item, to_status="in_notice", actor=supervisor)
    attach_evidence(actor=analyst, item=item, uploaded_file=SimpleUploadedFile("shot.png", PNG))
    client.force_login(supervisor)
    history = body(client.get(f"/items/{item.pk}/")).split('class="history"')[1]
    text = visible_text(history)
    assert "5 Dec 2026, 07:12 WIB" in text
    assert not ISO_TIME.search(text)
    assert "verified → in a notice" in text
    assert "in_notice" not in text
    assert "shot.png" in text


@time_machine.travel(datetime(2026, 12, 5, 0, 12, 31, 59138, tzinfo=UTC), tick=False)
def test_audit_trail_names_record_kinds_and_states_in_words(client, supervisor):
    item = FlaggedItemFactory()
    change_item_status(item, to_status="closed", actor=supervisor)
    client.force_login(supervisor)
    page = body(client.get("/audit/"))
    text = visible_text(page)
    assert "tracker.flaggeditem" not in text
    assert "new → closed" in text
    assert "5 Dec 2026, 07:12 WIB" in text
    # The record-kind filter offers names, and filtering by one still works.
    assert re.search(r'<option value="tracker\.flaggeditem"[^>]*>\s*[Ff]lagged item', page)
    filtered = body(client.get("/audit/", {"model": "tracker.flaggeditem"}))
    assert "new → closed" in visible_text(filtered)


def test_audit_trail_names_changed_fields_by_their_labels(client, supervisor):
    item = FlaggedItemFactory()
    edit_item(item, actor=supervisor, description="Recruitment channel", reason="described")
    client.force_login(supervisor)
    text = visible_text(body(client.get("/audit/")))
    assert "Description" in text
    assert "→ Recruitment channel" in text
