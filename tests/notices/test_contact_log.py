"""Each case keeps a log of contacts with the platform outside the notices: meetings, calls, letters, public
statements, emails sent outside the tracker. Liaison officers and supervisors record; whoever reads cases reads.
Entries are append-only (a correction is a new entry naming the old one), audited, and on the case timeline;
their attachments are stored like evidence and every download is in the audit trail."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notices import contacts
from notices.models import ContactAttachment, ContactEntry, ContactLogImmutable
from tests.factories import CaseFactory
from tests.factories_contacts import contact_entry
from tracker.cases.timeline import case_timeline
from tracker.core import audit
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry
from tracker.evidence.models import EvidenceFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JAKARTA = ZoneInfo("Asia/Jakarta")
# 16 July 2017: Telegram's CEO apologised and acknowledged the emails (../shared/DOMAIN.md); the hour is ours.
APOLOGY = datetime.fromisoformat("2017-07-16T09:00:00+07:00")


def test_a_liaison_officer_logs_a_meeting_with_its_people_and_files(liaison_officer):
    case = CaseFactory()
    entry = contacts.record_contact(
        case=case,
        actor=liaison_officer,
        kind=ContactEntry.Kind.MEETING,
        occurred_at=APOLOGY,
        summary="Agreed a direct line for the ministry's requests.",
        ministry_participants=["Director of Content Control", " "],
        platform_participants=["Head of policy, Asia"],
        attachments=[SimpleUploadedFile("minutes.pdf", PDF)],
    )
    assert entry.occurred_at == APOLOGY and entry.recorded_by == liaison_officer
    assert entry.ministry_participants == ["Director of Content Control"]
    attachment = entry.attachments.get()
    assert attachment.original_name == "minutes.pdf"
    assert (
        attachment.file.sha256 == hashlib.sha256(PDF).hexdigest() and attachment.file.content_type == "application/pdf"
    )
    assert [row.action for row in audit.history(entry)] == [AuditEntry.Action.CREATE]
    assert [row.action for row in audit.history(attachment)] == [AuditEntry.Action.CREATE]


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_only_liaison_officers_and_supervisors_record(make_user, role):
    with pytest.raises(NotPermitted):
        contact_entry(actor=make_user(role))
    assert not ContactEntry.objects.exists()


def test_a_supervisor_records_too(supervisor):
    assert contact_entry(actor=supervisor).recorded_by == supervisor


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "occurred_at"),
        ({"occurred_at": datetime(2017, 7, 16, 9)}, "occurred_at"),  # naive: when, in which zone?
        ({"summary": "   "}, "summary"),
        ({"kind": "telepathy"}, "kind"),
        ({"platform_participants": ["x" * 201]}, "platform_participants"),
        ({"attachments": [SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 200)]}, "file"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(liaison_officer, change, field):
    with pytest.raises(DomainError) as refused:
        contact_entry(actor=liaison_officer, **change)
    assert field in refused.value.fields
    assert not ContactEntry.objects.exists()


def test_an_entry_is_never_changed_or_deleted_and_a_correction_names_it(liaison_officer):
    wrong = contact_entry(actor=liaison_officer, summary="Call with the CEO.")
    wrong.summary = "rewritten"
    with pytest.raises(ContactLogImmutable):
        wrong.save()
    with pytest.raises(ContactLogImmutable):
        wrong.delete()
    with pytest.raises(ContactLogImmutable):
        ContactEntry.objects.filter(pk=wrong.pk).update(summary="rewritten")
    with pytest.raises(ContactLogImmutable):
        ContactEntry.objects.all().delete()
    correction = contact_entry(actor=liaison_officer, case=wrong.case, summary="Call with the COO.", corrects=wrong)
    assert correction.corrects == wrong and list(wrong.corrections.all()) == [correction]
    assert ContactEntry.objects.get(pk=wrong.pk).summary == "Call with the CEO."


def test_a_correction_must_correct_an_entry_of_the_same_case(liaison_officer):
    other = contact_entry(actor=liaison_officer)
    with pytest.raises(DomainError) as refused:
        contact_entry(actor=liaison_officer, corrects=other, case=CaseFactory())
    assert "corrects" in refused.value.fields


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database guard is PostgreSQL's")
def test_the_database_refuses_rewriting_the_log_even_in_raw_sql(liaison_officer):
    from django.db import DatabaseError, transaction

    entry = contact_entry(actor=liaison_officer)
    for statement in ("UPDATE notices_contactentry SET summary = 'x'", "DELETE FROM notices_contactentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ContactEntry.objects.get(pk=entry.pk).summary == entry.summary


def test_the_case_timeline_tells_each_contact_and_its_correction(liaison_officer):
    wrong = contact_entry(actor=liaison_officer, kind="public_statement", occurred_at=APOLOGY)
    contact_entry(actor=liaison_officer, case=wrong.case, occurred_at=APOLOGY, corrects=wrong, summary="Fixed.")
    events = [event for event in case_timeline(wrong.case) if event.kind == "contact"]
    assert [event.at for event in events] == [APOLOGY, APOLOGY]
    assert "Public statement" in events[0].title and f"#{wrong.pk}" in events[1].title
    assert events[0].actor == liaison_officer.username


# --- the API ------------------------------------------------------------------------------------------------


def test_the_api_logs_a_contact_and_lists_a_cases_log(api_client, liaison_officer, analyst):
    case = CaseFactory()
    contact_entry(actor=liaison_officer)  # another case's
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(
        "/api/v1/contact-log/",
        {
            "case": case.pk,
            "kind": "phone_call",
            "occurred_at": "2017-07-16T09:00:00+07:00",
            "summary": "The CEO called to apologise.",
            "ministry_participants": ["Minister"],
            "platform_participants": ["CEO"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["case"] == case.pk and body["kind"] == "phone_call" and body["recorded_by"] == liaison_officer.username
    assert body["platform_participants"] == ["CEO"] and body["attachments"] == []
    api_client.force_authenticate(analyst)
    listed = api_client.get("/api/v1/contact-log/", {"case": case.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]


def test_the_api_takes_files_and_lists_in_a_multipart_body(api_client, liaison_officer):
    case = CaseFactory()
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(
        "/api/v1/contact-log/",
        {
            "case": case.pk,
            "kind": "letter",
            "occurred_at": "2017-07-20T09:00:00+07:00",
            "summary": "Letter on the representative office.",
            "platform_participants": ["CEO", "Head of policy"],
            "attachments": [SimpleUploadedFile("letter.pdf", PDF), SimpleUploadedFile("annex.pdf", PDF + b" ")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platform_participants"] == ["CEO", "Head of policy"]
    assert sorted(row["original_name"] for row in body["attachments"]) == ["annex.pdf", "letter.pdf"]
    assert EvidenceFile.objects.count() == 2


def test_the_api_refuses_an_unknown_field_and_bad_input_with_the_json_error(api_client, liaison_officer):
    case = CaseFactory()
    api_client.force_authenticate(liaison_officer)
    base = {"case": case.pk, "kind": "meeting", "occurred_at": APOLOGY.isoformat(), "summary": "Met."}
    unknown = api_client.post("/api/v1/contact-log/", {**base, "mood": "tense"}, format="json")
    assert unknown.status_code == 400 and "mood" in unknown.json()["error"]["fields"]
    future = (timezone.now() + timedelta(days=2)).isoformat()
    later = api_client.post("/api/v1/contact-log/", {**base, "occurred_at": future}, format="json")
    assert later.status_code == 400 and "occurred_at" in later.json()["error"]["fields"]
    assert not ContactEntry.objects.exists()


def test_an_analyst_reads_but_cannot_log_through_the_api(api_client, analyst):
    api_client.force_authenticate(analyst)
    response = api_client.post(
        "/api/v1/contact-log/",
        {"case": CaseFactory().pk, "kind": "meeting", "occurred_at": APOLOGY.isoformat(), "summary": "Met."},
        format="json",
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_a_download_is_the_stored_file_as_an_attachment_and_is_audited(api_client, liaison_officer, auditor):
    entry = contact_entry(actor=liaison_officer, attachments=[SimpleUploadedFile("minutes.pdf", PDF)])
    attachment = entry.attachments.get()
    api_client.force_authenticate(auditor)
    listed = api_client.get(f"/api/v1/contact-log/{entry.pk}/").json()
    url = f"/api/v1/contact-log/attachments/{attachment.pk}/download/"
    assert listed["attachments"][0]["download"].endswith(url)
    response = api_client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"] and response["X-Content-Type-Options"] == "nosniff"
    downloads = AuditEntry.objects.filter(object_id=str(attachment.pk), action=AuditEntry.Action.EVENT)
    assert [(row.actor, row.reason) for row in downloads] == [(auditor, "downloaded")]
    assert api_client.get("/api/v1/contact-log/attachments/999999/download/").status_code == 404


@pytest.mark.parametrize("count", [1, 4])
def test_the_list_reads_in_a_fixed_number_of_queries(api_client, liaison_officer, count, django_assert_num_queries):
    case = CaseFactory()
    for _ in range(count):
        entry = contact_entry(actor=liaison_officer, case=case, attachments=[SimpleUploadedFile("a.pdf", PDF)])
    contact_entry(actor=liaison_officer, case=case, corrects=entry)
    api_client.force_authenticate(liaison_officer)
    api_client.get("/api/v1/contact-log/")  # warm the permission caches
    with django_assert_num_queries(
        4
    ):  # the case filtered on, the page (all on it: not counted), attachments, corrections
        assert api_client.get("/api/v1/contact-log/", {"case": case.pk}).json()["count"] == count + 1


# --- the case page ------------------------------------------------------------------------------------------


def local(value) -> str:
    return timezone.localtime(value, JAKARTA).strftime("%Y-%m-%dT%H:%M")


def test_the_case_page_shows_the_log_and_a_liaison_officer_logs_from_it(client, liaison_officer):
    case = CaseFactory()
    contact_entry(actor=liaison_officer, case=case, summary="First call.")
    client.force_login(liaison_officer)
    page = client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    assert 'id="contact-log"' in page and "First call." in page and 'id="contact-form"' in page
    response = client.post(
        reverse("notices-contact-add", args=[case.pk]),
        {
            "kind": "meeting",
            "occurred_at": local(APOLOGY),
            "summary": "Met the platform's delegation.",
            "ministry_participants": "Minister\nDirector General",
            "platform_participants": "CEO",
            "attachments": [SimpleUploadedFile("minutes.pdf", PDF)],
        },
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("cases-detail", args=[case.pk]))
    entry = ContactEntry.objects.get(summary="Met the platform's delegation.")
    assert entry.occurred_at == APOLOGY and entry.ministry_participants == ["Minister", "Director General"]
    page = client.get(response["Location"]).content.decode()
    attachment = entry.attachments.get()
    assert reverse("notices-contact-attachment", args=[attachment.pk]) in page
    download = client.get(reverse("notices-contact-attachment", args=[attachment.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert AuditEntry.objects.filter(object_id=str(attachment.pk), reason="downloaded").count() == 1


def test_bad_input_on_the_page_comes_back_with_the_errors_and_saves_nothing(client, liaison_officer):
    case = CaseFactory()
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-contact-add", args=[case.pk]),
        {"kind": "meeting", "occurred_at": local(timezone.now() + timedelta(days=3)), "summary": "Future."},
    )
    assert response.status_code == 200 and 'id="error-occurred_at"' in response.content.decode()
    assert not ContactEntry.objects.exists()


def test_an_analyst_reads_the_log_but_gets_no_form(client, liaison_officer, analyst):
    entry = contact_entry(actor=liaison_officer, summary="Call.")
    client.force_login(analyst)
    page = client.get(reverse("cases-detail", args=[entry.case_id])).content.decode()
    assert "Call." in page and 'id="contact-form"' not in page
    assert client.post(reverse("notices-contact-add", args=[entry.case_id]), {}).status_code == 403


def test_attachment_rows_are_append_only_too(liaison_officer):
    entry = contact_entry(actor=liaison_officer, attachments=[SimpleUploadedFile("a.pdf", PDF)])
    with pytest.raises(ContactLogImmutable):
        ContactAttachment.objects.filter(entry=entry).delete()
