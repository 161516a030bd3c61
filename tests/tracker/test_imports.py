"""Bulk import of flagged items: refusals of the upload, rejections of rows, the import itself, its
resumption after a crash, its storage paths, the API and the pages."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import wait_for
from tests.factories import CaseFactory
from tests.factories_imports import csv_upload, mixed_urls, platforms, raw_upload
from tests.factories_imports import terrorism as seeded_terrorism
from tests.services import require_postgresql
from tracker.cases.models import CaseItem
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry
from tracker.imports import services
from tracker.imports.models import ImportRejection, ItemImport
from tracker.imports.parsing import UploadRefused
from tracker.items.models import Category, FlaggedItem, Sighting
from tracker.items.services import log_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(db):
    return platforms()


@pytest.fixture
def terrorism(db):
    return Category.objects.get(slug="terrorism")  # always urgent


@pytest.fixture
def gambling(db):
    return Category.objects.get(slug="online-gambling")  # normal by default


def start(actor, category, **kwargs):
    kwargs.setdefault("default_source", "patrol")
    return services.create_import(actor=actor, default_category=category, **kwargs)


def imported(actor, category, **kwargs):
    item_import = start(actor, category, **kwargs)
    return services.run_import(item_import.pk)


def stored_files() -> list[Path]:
    folder = Path(settings.VAR_DIR) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def rejections(item_import) -> dict[int, str]:
    return dict(ImportRejection.objects.filter(item_import=item_import).values_list("line", "reason"))


# --- the upload as a whole is refused, and nothing is saved ----------------------------------------


REFUSALS = [
    (b"", "The upload is empty"),
    (b"https://t.me/channel_one\nhttps://t.me/channel_two\n", "Line 1 must be the header"),
    (b"category,source\nterrorism,patrol\n", "The header (line 1) has no url column"),
    (b"url,Colour,size\nhttps://t.me/channel_one,red,1\n", "unknown columns: colour, size. Allowed columns: url,"),
    (b"url,url\nhttps://t.me/channel_one,x\n", "names url more than once"),
    (b"url\n", "The file has a header but no rows"),
    (b"url\nhttps://t.me/channel_one\nhttps://caf\xe9.example/\n", "line 3 has the byte 0xE9"),
    (b"url\nhttps://t.me/a\x00b\n", "The file is not text: line 2 contains a NUL byte (at byte offset 18)"),
    ("url\nhttps://t.me/channel_one\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04\x14\x00\x06\x00", "compressed document"),
    (b'url,description\nhttps://t.me/channel_one,"unclosed\n', "is not valid CSV"),
    (b"\n\nurl\n", "Line 1 is empty; it must be the header"),
]


@pytest.mark.parametrize(("data", "message"), REFUSALS, ids=[message for _data, message in REFUSALS])
def test_an_upload_that_cannot_be_imported_is_refused_before_anything_is_saved(analyst, terrorism, data, message):
    before = stored_files()
    with pytest.raises(UploadRefused) as refused:
        start(analyst, terrorism, uploaded_file=raw_upload(data))
    assert message in refused.value.message
    assert refused.value.fields == {"file": [refused.value.message]}
    assert not ItemImport.objects.exists()
    assert stored_files() == before


def test_a_file_not_in_utf8_is_refused_naming_line_and_byte_offset(analyst, terrorism):
    data = b"url\nhttps://t.me/channel_one\nhttps://caf\xe9.example/\n"
    with pytest.raises(UploadRefused) as refused:
        start(analyst, terrorism, uploaded_file=raw_upload(data))
    assert refused.value.message == (
        "The file is not UTF-8: line 3 has the byte 0xE9, which is not valid UTF-8, at byte offset 40 "
        "(byte 12 of the line). Save the file as UTF-8 (“CSV UTF-8” in Excel) and upload it again."
    )
    assert data[40] == 0xE9


def test_a_file_over_the_size_limit_is_refused(analyst, terrorism, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(UploadRefused, match="larger than the limit"):
        start(analyst, terrorism, uploaded_file=csv_upload([[f"https://t.me/channel_{n:04d}"] for n in range(10)]))
    assert not ItemImport.objects.exists()


def test_more_rows_than_the_limit_are_refused(analyst, terrorism, settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(UploadRefused, match="more than 3 rows"):
        start(analyst, terrorism, text="\n".join(f"https://t.me/channel_{n:04d}" for n in range(4)))
    assert start(analyst, terrorism, text="\n".join(f"https://t.me/channel_{n:04d}" for n in range(3))).total_rows == 3


def test_an_empty_pasted_list_is_refused_on_the_text_field(analyst, terrorism):
    with pytest.raises(UploadRefused) as refused:
        start(analyst, terrorism, text="\n   \n\n")
    assert refused.value.fields == {"text": ["The list is empty: enter one address or @handle a line."]}


def test_header_names_are_case_insensitive_and_a_bom_is_allowed(analyst, terrorism, registry):
    data = "\ufeffURL, Category ,Source\nhttps://t.me/channel_one,gambling,crawler\n".encode()
    item_import = imported(analyst, terrorism, uploaded_file=raw_upload(data))
    assert item_import.total_rows == 1
    assert rejections(item_import) == {2: "Unknown category “gambling”."}


def test_semicolon_separated_csv_from_a_spreadsheet_is_read(analyst, terrorism, registry):
    data = b"url;category\nhttps://t.me/channel_one;online-gambling\n"
    item_import = imported(analyst, terrorism, uploaded_file=raw_upload(data))
    assert FlaggedItem.objects.get().category.slug == "online-gambling"
    assert item_import.imported_count == 1


def test_only_one_of_text_and_file(analyst, terrorism):
    with pytest.raises(DomainError, match="one of the two"):
        start(analyst, terrorism, text="https://t.me/channel_one", uploaded_file=csv_upload([]))


def test_an_import_needs_the_permission_to_log_items(liaison_officer, terrorism):
    with pytest.raises(NotPermitted):
        start(liaison_officer, terrorism, text="https://t.me/channel_one")


# --- rows that cannot be items are rejected with their line; their neighbours are imported ---------


def test_bad_rows_are_rejected_with_their_line_and_the_good_ones_imported(analyst, gambling, registry):
    lines = [
        "url,category,source,urgency,language,description,platform",  # 1
        "https://t.me/good_channel_one,,,,id,first,",  # 2
        "javascript:alert(1),,,,,,",  # 3
        "http://10.1.2.3/page,,,,,,",  # 4
        "https://example.com/" + "a" * 3000 + ",,,,,,",  # 5
        "https://t.me/some_channel,cooking,,,,,",  # 6
        "https://t.me/some_channel,,rumour,,,,",  # 7
        "@handle_without_platform,,,,,,",  # 8
        ",,,,,,",  # 9: blank, skipped
        "not a web address,,,,,,",  # 10
        "https://t.me/too_many_values,,,,,,,extra",  # 11
        "mailto:abuse@example.com,,,,,,",  # 12
        "https://t.me/always_urgent,terrorism,,normal,,,",  # 13
        'https://t.me/good_channel_two,,,,,"a description',  # 14
        'over two lines",',  # 15
        "@handle_with_platform,,,,,,telegram",  # 16
        "https://t.me/language_too_long,,,,a-very-long-language-tag,,",  # 17
        "@handle,,,,,,no-such-platform",  # 18
        "https://example.com/page,,,sometimes,,,",  # 19
        "",  # 20: blank, skipped
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&utm_source=x,,,,,,",  # 21
    ]
    upload = raw_upload(("\n".join(lines) + "\n").encode())
    item_import = imported(analyst, gambling, uploaded_file=upload)

    found = rejections(item_import)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 10, 11, 12, 17, 18, 19]
    assert 'starting with "javascript:"' in found[3]
    assert "is an IP address" in found[4]
    assert "the limit is 2048" in found[5]
    assert found[6] == "Unknown category “cooking”."
    assert found[7].startswith("Unknown source “rumour”")
    assert "choose the platform it belongs to" in found[8]
    assert "space" in found[10]
    assert "The line has 8 values but the header names 7 columns" in found[11]
    assert 'starting with "mailto:"' in found[12]
    assert "longer than 16 characters" in found[17]
    assert found[18] == "Unknown platform “no-such-platform”."
    assert "Unknown urgency" in found[19]
    assert ImportRejection.objects.get(item_import=item_import, line=3).value == "javascript:alert(1)"

    assert set(FlaggedItem.objects.values_list("canonical", flat=True)) == {
        "https://t.me/good_channel_one",
        "https://t.me/good_channel_two",
        "https://t.me/handle_with_platform",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://t.me/always_urgent",  # asked for normal: raised to urgent, and its sighting says so
    }
    raised = FlaggedItem.objects.get(canonical="https://t.me/always_urgent")
    assert raised.urgency == "urgent" and "raised to urgent" in raised.sightings.get().note
    two = FlaggedItem.objects.get(canonical="https://t.me/good_channel_two")
    assert two.description == "a description\nover two lines"
    assert FlaggedItem.objects.get(canonical="https://t.me/good_channel_one").language == "id"
    assert item_import.total_rows == 17
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (5, 0, 12)
    assert item_import.raised_count == 1
    assert item_import.processed_rows == item_import.total_rows
    assert item_import.status == ItemImport.Status.DONE


def test_pasted_list_lines_count_blank_lines(analyst, terrorism, registry):
    text = "https://t.me/channel_one\n\n\nftp://files.example/x\n  https://t.me/channel_two  \n"
    item_import = imported(analyst, terrorism, text=text)
    assert item_import.total_rows == 3
    assert list(rejections(item_import)) == [4]
    assert FlaggedItem.objects.count() == 2


def test_handles_take_the_platform_chosen_for_the_import(analyst, terrorism, registry):
    item_import = imported(analyst, terrorism, text="@some_channel\n@JackDorsey", default_platform=registry["telegram"])
    assert item_import.imported_count == 2
    assert set(FlaggedItem.objects.values_list("canonical", "platform__slug")) == {
        ("https://t.me/some_channel", "telegram"),
        ("https://t.me/jackdorsey", "telegram"),
    }


# --- what an import writes -------------------------------------------------------------------------


def test_the_same_item_twice_in_a_file_is_one_item_with_a_sighting_each(analyst, terrorism, registry):
    text = "https://t.me/s/Same_Channel/\n@same_channel\nhttps://telegram.me/same_channel?single\n"
    item_import = imported(analyst, terrorism, text=text, default_platform=registry["telegram"])
    item = FlaggedItem.objects.get()
    assert item.canonical == "https://t.me/same_channel"
    assert item.entered_as == "https://t.me/s/Same_Channel/"
    assert item.sighting_count == 3
    assert list(item.sightings.values_list("entered_as", flat=True)) == [
        "https://t.me/s/Same_Channel/",
        "@same_channel",
        "https://telegram.me/same_channel?single",
    ]
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (1, 2, 0)


def test_a_known_item_gets_a_sighting_and_may_become_urgent(analyst, gambling, registry, make_user):
    other = make_user("analyst")
    known, _created = log_item(actor=other, url="https://t.me/casino_channel", category=gambling, source="patrol")
    assert known.urgency == "normal"
    upload = csv_upload(
        [["https://t.me/casino_channel", "urgent"], ["https://t.me/Casino_Channel", ""]], header=("url", "urgency")
    )
    item_import = imported(analyst, gambling, uploaded_file=upload)
    known.refresh_from_db()
    assert known.sighting_count == 3
    assert known.urgency == "urgent"
    assert known.last_reported_at >= item_import.started_at
    assert known.logged_by == other  # the item stays the first reporter's
    assert Sighting.objects.filter(item=known, item_import=item_import, reported_by=analyst).count() == 2
    assert (item_import.imported_count, item_import.merged_count) == (0, 2)
    event = AuditEntry.objects.get(object_id=str(known.pk), action=AuditEntry.Action.EVENT)
    assert event.changes == {"urgency": ["normal", "urgent"]}
    assert f"import {item_import.pk}" in event.reason


def test_every_new_item_has_its_sighting_and_audit_entry(analyst, terrorism, registry):
    urls = mixed_urls(60)
    item_import = imported(analyst, terrorism, text="\n".join(urls))
    items = FlaggedItem.objects.all()
    assert items.count() == 60
    assert Sighting.objects.filter(item_import=item_import, reported_by=analyst).count() == 60
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FlaggedItem), action=AuditEntry.Action.CREATE
    )
    assert entries.count() == 60
    entry = entries.get(object_id=str(items.get(canonical=urls[0]).pk))
    assert (entry.actor, entry.source) == (analyst, AuditEntry.Source.TASK)
    assert entry.reason == f"imported by import {item_import.pk}, line 1"
    assert entry.changes["canonical"] == [None, urls[0]]
    assert entry.changes["platform"] == [None, registry["telegram"].pk]
    assert set(items.values_list("platform__slug", flat=True)) == {"telegram", "x", "youtube", "facebook", None}
    assert set(items.values_list("urgency", "status", "logged_by")) == {("urgent", "new", analyst.pk)}


def test_an_import_is_audited_when_created(analyst, terrorism, registry):
    item_import = start(analyst, terrorism, text="https://t.me/channel_one")
    entry = AuditEntry.objects.get(content_type=ContentType.objects.get_for_model(ItemImport))
    assert (entry.object_id, entry.actor, entry.action) == (str(item_import.pk), analyst, AuditEntry.Action.CREATE)


def test_the_task_is_queued_on_commit_with_the_id(
    analyst, terrorism, registry, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("tracker.imports.tasks.run_item_import.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item_import = start(analyst, terrorism, text="https://t.me/channel_one")
    assert queued == []
    for callback in callbacks:  # the audit trail's seal, and the task
        callback()
    assert queued == [item_import.pk]


def test_items_join_the_case_once_and_other_platforms_are_rejected(analyst, terrorism, registry):
    case = CaseFactory(platform=registry["telegram"])
    already, _created = log_item(actor=analyst, url="https://t.me/in_case_already", category=terrorism, source="patrol")
    CaseItem.objects.create(case=case, item=already, added_by=analyst)
    text = "https://t.me/in_case_already\nhttps://t.me/new_channel\nhttps://x.com/someone\nhttps://t.me/new_channel\n"
    item_import = imported(analyst, terrorism, text=text, case=case)
    assert set(case.memberships.values_list("item__canonical", flat=True)) == {
        "https://t.me/in_case_already",
        "https://t.me/new_channel",
    }
    assert case.memberships.count() == 2
    assert "an item of X, not of Telegram" in rejections(item_import)[3]
    assert not FlaggedItem.objects.filter(canonical="https://x.com/someone").exists()
    entry = AuditEntry.objects.get(content_type=ContentType.objects.get_for_model(type(case)), object_id=str(case.pk))
    assert entry.changes == {"items_added": ["https://t.me/new_channel"]}


def test_a_closed_case_is_refused(analyst, terrorism, registry):
    case = CaseFactory(platform=registry["telegram"], status="closed")
    with pytest.raises(DomainError, match="closed"):
        start(analyst, terrorism, text="https://t.me/channel_one", case=case)


def test_duplicates_across_chunks_are_merged(analyst, terrorism, registry, settings):
    settings.IMPORT_CHUNK_ROWS = 7
    urls = mixed_urls(20)
    item_import = imported(analyst, terrorism, text="\n".join(urls + urls[::2]))
    assert FlaggedItem.objects.count() == 20
    assert Sighting.objects.count() == 30
    assert (item_import.imported_count, item_import.merged_count) == (20, 10)
    assert FlaggedItem.objects.get(canonical=urls[0]).sighting_count == 2


# --- both storage paths ----------------------------------------------------------------------------


@pytest.fixture(params=["copy", "portable"])
def storage(request, monkeypatch):
    """The COPY path (PostgreSQL only) and the portable path, which must work on any database."""
    if request.param == "copy":
        require_postgresql()
    else:
        monkeypatch.setattr(services, "_CopyStore", services._PortableStore)
    return request.param


def test_both_storage_paths_write_the_same(analyst, terrorism, registry, storage, settings, make_user):
    settings.IMPORT_CHUNK_ROWS = 50
    urls = mixed_urls(120)
    log_item(actor=make_user("analyst"), url=urls[5], category=terrorism, source="patrol")
    rows = [[url, "", ""] for url in urls] + [[urls[0], "crawler", "again"], ["data:x", "", ""]]
    upload = csv_upload(rows, header=("url", "source", "description"))
    item_import = imported(analyst, terrorism, uploaded_file=upload)
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (119, 2, 1)
    assert FlaggedItem.objects.count() == 120
    assert Sighting.objects.filter(item_import=item_import).count() == 121
    again = Sighting.objects.get(item__canonical=urls[0], source="crawler")
    assert again.note == "again"
    created = AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, reason__startswith="imported by import")
    assert created.count() == 119
    assert created.filter(actor=analyst, source="task").count() == 119
    entry = created.first()
    assert entry.changes["id"] == [None, int(entry.object_id)]
    assert rejections(item_import) == {
        123: 'Addresses starting with "data:" cannot be items; enter an http or https web address.'
    }


def test_an_item_logged_meanwhile_becomes_a_sighting_not_an_error(analyst, terrorism, registry, storage, monkeypatch):
    # Someone logs the channel between the import's lookup and its insert.
    real_known = services._known
    calls = []

    def known_late(canonicals):
        calls.append(1)
        if len(calls) == 1:
            log_item(actor=analyst, url="https://t.me/raced_channel", category=terrorism, source="patrol")
            return {}
        return real_known(canonicals)

    monkeypatch.setattr(services, "_known", known_late)
    item_import = imported(analyst, terrorism, text="https://t.me/raced_channel\nhttps://t.me/other_channel")
    raced = FlaggedItem.objects.get(canonical="https://t.me/raced_channel")
    assert raced.sighting_count == 2
    assert (item_import.imported_count, item_import.merged_count) == (1, 1)
    assert FlaggedItem.objects.count() == 2


# --- crashes, second runs, two workers -------------------------------------------------------------


class WorkerKilled(BaseException):
    """What a worker dying mid-chunk looks like to the code: nothing after it runs."""


def test_a_crash_mid_import_resumes_from_the_last_committed_chunk_without_double_sightings(
    analyst, terrorism, registry, settings, monkeypatch
):
    settings.IMPORT_CHUNK_ROWS = 10
    urls = mixed_urls(30)
    text = "\n".join(urls + urls[:5] + ["javascript:void(0)"])  # 36 rows
    item_import = start(analyst, terrorism, text=text)
    real_write = services._write_chunk
    chunks = []

    def dies_in_the_third_chunk(context, valid, rejected):
        chunks.append(1)
        written = real_write(context, valid, rejected)
        if len(chunks) == 3:
            raise WorkerKilled  # after writing, before the commit
        return written

    monkeypatch.setattr(services, "_write_chunk", dies_in_the_third_chunk)
    with pytest.raises(WorkerKilled):
        services.run_import(item_import.pk)
    item_import.refresh_from_db()
    assert (item_import.status, item_import.processed_rows) == (ItemImport.Status.RUNNING, 20)
    assert Sighting.objects.count() == 20

    monkeypatch.setattr(services, "_write_chunk", real_write)
    item_import = services.run_import(item_import.pk)  # the task delivered again
    assert item_import.status == ItemImport.Status.DONE
    assert Sighting.objects.count() == 35
    assert FlaggedItem.objects.count() == 30
    assert set(FlaggedItem.objects.values_list("sighting_count", flat=True)) == {1, 2}
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (30, 5, 1)
    assert ImportRejection.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, reason__contains="imported by").count() == 30


def test_a_second_run_of_a_done_import_changes_nothing(analyst, terrorism, registry, django_assert_num_queries):
    item_import = imported(analyst, terrorism, text="https://t.me/channel_one\n@x")
    before = (Sighting.objects.count(), AuditEntry.objects.count(), ImportRejection.objects.count())
    with django_assert_num_queries(2):  # the claim that finds nothing to claim, and the look
        assert services.run_import(item_import.pk) is None
    assert (Sighting.objects.count(), AuditEntry.objects.count(), ImportRejection.objects.count()) == before
    assert ItemImport.objects.get().imported_count == 1


def test_a_second_worker_on_the_same_import_writes_nothing_twice(analyst, terrorism, registry, settings, monkeypatch):
    settings.IMPORT_CHUNK_ROWS = 5
    item_import = start(analyst, terrorism, text="\n".join(mixed_urls(12)))
    real_understand = services._Context.understand
    overtaken = []

    def another_worker_runs_meanwhile(self, rows):
        if not overtaken:
            overtaken.append(1)
            services.run_import(item_import.pk)  # a duplicate delivery runs it all first
        return real_understand(self, rows)

    monkeypatch.setattr(services._Context, "understand", another_worker_runs_meanwhile)
    assert services.run_import(item_import.pk) is None
    item_import.refresh_from_db()
    assert item_import.status == ItemImport.Status.DONE
    assert (item_import.processed_rows, item_import.imported_count) == (12, 12)
    assert Sighting.objects.count() == 12


def test_a_missing_file_fails_the_import_with_the_reason(analyst, terrorism, registry):
    item_import = start(analyst, terrorism, text="https://t.me/channel_one")
    (Path(settings.VAR_DIR) / item_import.stored_path).unlink()
    with pytest.raises(FileNotFoundError):
        services.run_import(item_import.pk)
    item_import.refresh_from_db()
    assert item_import.status == ItemImport.Status.FAILED
    assert "FileNotFoundError" in item_import.error


# --- the API ---------------------------------------------------------------------------------------


def test_api_import_of_a_file_answers_202_then_reports_progress_and_rejections(api_client, analyst, registry):
    api_client.force_authenticate(analyst)
    upload = csv_upload([["https://t.me/channel_one"], ["javascript:x"], ["https://t.me/channel_one"]])
    answer = api_client.post(
        "/api/v1/item-imports/", {"file": upload, "category": "terrorism", "source": "patrol"}, format="multipart"
    )
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert (body["status"], body["total_rows"], body["percent_done"], body["category"]) == ("queued", 3, 0, "terrorism")
    services.run_import(body["id"])
    detail = api_client.get(f"/api/v1/item-imports/{body['id']}/").json()
    assert (detail["status"], detail["percent_done"]) == ("done", 100)
    assert (detail["imported_count"], detail["merged_count"], detail["rejected_count"]) == (1, 1, 1)
    page = api_client.get(f"/api/v1/item-imports/{body['id']}/rejections/").json()
    assert page["count"] == 1
    assert page["results"][0]["line"] == 3
    assert page["results"][0]["value"] == "javascript:x"


def test_api_import_of_a_json_list_of_urls_and_of_text(api_client, analyst, registry):
    api_client.force_authenticate(analyst)
    answer = api_client.post(
        "/api/v1/item-imports/",
        {"urls": ["@one_channel", "https://t.me/two_channel", "bad\nentry"], "category": "radicalism",
         "source": "crawler", "platform": "telegram"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 202, answer.json()
    item_import = services.run_import(answer.json()["id"])
    assert (item_import.imported_count, item_import.rejected_count) == (2, 1)
    assert "space" in rejections(item_import)[3]
    answer = api_client.post(
        "/api/v1/item-imports/",
        {"text": "https://t.me/two_channel\nhttps://t.me/three_channel", "category": "radicalism", "source": "patrol"},
        format="json",
    )
    assert answer.status_code == 202
    assert answer.json()["total_rows"] == 2


def test_api_refusals_have_the_one_error_shape(api_client, analyst, registry):
    api_client.force_authenticate(analyst)
    upload = raw_upload(b"link\nhttps://t.me/channel_one\n")
    answer = api_client.post(
        "/api/v1/item-imports/", {"file": upload, "category": "terrorism", "source": "patrol"}, format="multipart"
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "upload_refused"
    assert "no url column" in error["message"]
    assert error["fields"]["file"] == [error["message"]]
    answer = api_client.post("/api/v1/item-imports/", {"category": "nope", "source": "patrol"}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == {"category"}
    assert not ItemImport.objects.exists()


def test_api_permissions(api_client, liaison_officer, auditor, analyst, registry):
    item_import = start(analyst, Category.objects.get(slug="terrorism"), text="https://t.me/channel_one")
    assert api_client.get(f"/api/v1/item-imports/{item_import.pk}/").status_code == 401
    api_client.force_authenticate(liaison_officer)
    answer = api_client.post("/api/v1/item-imports/", {"urls": ["https://t.me/x_chan"], "category": "terrorism",
                                                        "source": "patrol"}, format="json")  # fmt: skip
    assert answer.status_code == 403
    assert api_client.get(f"/api/v1/item-imports/{item_import.pk}/").status_code == 200
    api_client.force_authenticate(auditor)
    assert api_client.get("/api/v1/item-imports/").json()["count"] == 1
    assert api_client.get(f"/api/v1/item-imports/{item_import.pk}/rejections/").status_code == 200


# --- the pages -------------------------------------------------------------------------------------


def test_the_form_imports_a_pasted_list_and_shows_its_page(client, analyst, registry):
    client.force_login(analyst)
    assert client.get("/imports/new/").status_code == 200
    answer = client.post(
        "/imports/new/", {"text": "https://t.me/channel_one\nhttps://t.me/channel_two", "category": "terrorism",
                          "source": "patrol", "platform": "", "case": ""}
    )  # fmt: skip
    item_import = ItemImport.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/imports/{item_import.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert f'hx-get="/imports/{item_import.pk}/progress/"' in page
    assert "0 of 2 rows (0%)" in page


def test_the_progress_fragment_stops_polling_when_done(client, analyst, terrorism, registry, settings):
    settings.IMPORT_CHUNK_ROWS = 2
    item_import = start(analyst, terrorism, text="https://t.me/channel_one\nhttps://t.me/channel_two\nhttp://1.2.3.4/")
    client.force_login(analyst)
    ItemImport.objects.filter(pk=item_import.pk).update(status="running", processed_rows=2)
    fragment = client.get(f"/imports/{item_import.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="2"' in fragment
    assert "2 of 3 rows (66%)" in fragment
    ItemImport.objects.filter(pk=item_import.pk).update(status="queued", processed_rows=0)
    services.run_import(item_import.pk)
    fragment = client.get(f"/imports/{item_import.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment
    assert "3 of 3 rows (100%)" in fragment
    assert 'id="rejection-report"' in fragment


def test_an_upload_error_is_shown_on_the_form_and_nothing_is_saved(client, analyst, registry):
    client.force_login(analyst)
    upload = raw_upload(b"url,colour\nhttps://t.me/channel_one,red\n")
    answer = client.post("/imports/new/", {"file": upload, "category": "terrorism", "source": "patrol"})
    assert answer.status_code == 200
    assert "unknown column: colour" in answer.content.decode()
    assert not ItemImport.objects.exists()
    answer = client.post("/imports/new/", {"category": "terrorism", "source": "patrol"})
    assert "Paste a list or upload a file" in answer.content.decode()


def test_the_rejection_report_is_paginated_and_downloadable(client, analyst, terrorism, registry):
    text = "\n".join(["https://t.me/good_channel"] + [f"http://10.0.0.{n}/" for n in range(1, 151)])
    item_import = imported(analyst, terrorism, text=text)
    client.force_login(analyst)
    page = client.get(f"/imports/{item_import.pk}/rejections/").content.decode()
    assert "150 rows could not be imported" in page
    assert 'rel="next"' in page and 'rel="prev"' not in page
    assert "http://10.0.0.1/" in page and "http://10.0.0.150/" not in page
    download = client.get(f"/imports/{item_import.pk}/rejections/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == ["line", "value", "reason"]
    assert rows[1][:2] == ["2", "http://10.0.0.1/"]
    assert len(rows) == 151


def test_page_permissions(client, liaison_officer, auditor, analyst, make_user, registry):
    item_import = start(analyst, Category.objects.get(slug="terrorism"), text="https://t.me/channel_one")
    client.force_login(liaison_officer)
    assert client.get("/imports/new/").status_code == 403
    assert client.post("/imports/new/", {"text": "https://t.me/a_chan", "category": "terrorism"}).status_code == 403
    assert client.get(f"/imports/{item_import.pk}/").status_code == 200
    client.force_login(auditor)
    assert client.get("/imports/").status_code == 200
    client.force_login(make_user("isp"))
    assert client.get(f"/imports/{item_import.pk}/").status_code == 403
    assert client.get("/imports/").status_code == 403
    client.logout()
    assert client.get("/imports/").status_code == 302


def test_the_list_shows_each_import_with_its_summary_in_constant_queries(client, analyst, terrorism, registry):
    client.force_login(analyst)
    counts = []
    for total in (1, 4):
        while ItemImport.objects.count() < total:
            imported(analyst, terrorism, text="https://t.me/channel_one\njavascript:x")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/imports/").content.decode()
        assert page.count("pasted list") == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- a real worker ---------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_a_few_thousand_rows(celery_worker_process, analyst):
    platforms()
    urls = mixed_urls(3000)
    upload = csv_upload([[url] for url in urls + urls[:200] + ["javascript:alert(1)"]])
    item_import = start(analyst, seeded_terrorism(), uploaded_file=upload)
    wait_for(
        lambda: ItemImport.objects.filter(pk=item_import.pk, status__in=["done", "failed"]).exists(),
        timeout=120,
        message="the worker to finish the import",
    )
    item_import.refresh_from_db()
    assert item_import.status == "done", item_import.error
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (3000, 200, 1)
    assert FlaggedItem.objects.count() == 3000
    assert Sighting.objects.count() == 3200
    assert rejections(item_import) == {
        3202: 'Addresses starting with "javascript:" cannot be items; enter an http or https web address.'
    }
    assert AuditEntry.objects.filter(action="create", source="task", actor=analyst).count() == 3000


# --- issue 14: import friction --------------------------------------------------------------------------------


def test_the_finding_rows_asking_normal_in_an_always_urgent_category_are_raised_not_refused(
    analyst, terrorism, gambling, registry
):
    rows = "\n".join(["url,category,urgency", *(f"https://t.me/cell_{n},terrorism,normal" for n in range(143))])
    item_import = imported(analyst, gambling, uploaded_file=raw_upload((rows + "\n").encode()))
    assert (item_import.imported_count, item_import.rejected_count, item_import.raised_count) == (143, 0, 143)
    assert set(FlaggedItem.objects.values_list("urgency", flat=True)) == {"urgent"}


def test_a_csv_whose_rows_name_their_category_needs_none_on_the_form(analyst, registry):
    rows = "url,category\nhttps://t.me/gambling_one,terrorism\nhttps://t.me/no_category,\n"
    item_import = imported(analyst, None, uploaded_file=raw_upload(rows.encode()))
    assert item_import.imported_count == 1
    assert rejections(item_import) == {3: "The line has no category, and the import none by default."}


def test_a_pasted_list_still_needs_the_forms_category(analyst, registry):
    with pytest.raises(DomainError, match="choose the category of its items"):
        start(analyst, None, text="https://t.me/anything\n")
