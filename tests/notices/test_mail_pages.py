"""The inbound email room: its list (triage first, filters, CSV), uploads with clear refusals, a message's
page that never renders its HTML, the raw download, triage by hand, and the same through the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from notices import inbound
from notices.models import InboundMail
from tests.factories_inbound import reply, reply_to, sent_notice
from tracker.core.actors import COMMAND

pytestmark = pytest.mark.django_db

State = InboundMail.State
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def eml(raw: bytes, name: str = "reply.eml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, content_type="message/rfc822")


def kept(raw: bytes) -> InboundMail:
    return inbound.ingest_message(raw, source=InboundMail.Source.COMMAND, actor=COMMAND)


# --- pages ------------------------------------------------------------------------------------------------


def test_the_list_shows_the_triage_queue_first(client, liaison_officer):
    notice = sent_notice()
    attached = kept(reply_to(notice.deliveries.get()))
    triaged = kept(reply(Subject="Who are you?", Message_ID="<q@platform.example>"))
    client.force_login(liaison_officer)

    response = client.get(reverse("notices-mail-list"))

    assert response.status_code == 200
    assert [mail.pk for mail in response.context["page"]] == [triaged.pk, attached.pk]
    assert "1 email waits for triage." in response.text
    filtered = client.get(reverse("notices-mail-list"), {"state": State.ATTACHED})
    assert [mail.pk for mail in filtered.context["page"]] == [attached.pk]


def test_the_list_exports_csv(client, liaison_officer):
    kept(reply(Subject="Who are you?"))
    client.force_login(liaison_officer)

    response = client.get(reverse("notices-mail-list"), {"format": "csv"})

    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="inbound-email.csv"'
    assert body.splitlines()[0].startswith("id,received_at_utc,source,kind,state")
    assert "Who are you?" in body and "triage" in body


def test_the_list_costs_the_same_queries_however_many_emails(
    client, liaison_officer, django_assert_num_queries, django_assert_max_num_queries
):
    notice = sent_notice()
    client.force_login(liaison_officer)
    kept(reply_to(notice.deliveries.get()))
    with django_assert_max_num_queries(12) as small:  # session, user, permissions, count, page, triage count
        client.get(reverse("notices-mail-list"))
    for number in range(5):
        kept(reply_to(notice.deliveries.get(), Message_ID=f"<more-{number}@platform.example>"))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("notices-mail-list"))


def test_an_analyst_cannot_read_upload_or_triage(client, analyst):
    mail = kept(reply(Subject="x"))
    client.force_login(analyst)

    assert client.get(reverse("notices-mail-list")).status_code == 403
    assert client.post(reverse("notices-mail-upload"), {"files": eml(reply())}).status_code == 403
    assert client.post(reverse("notices-mail-dismiss", args=[mail.pk]), {"note": "spam"}).status_code == 403
    mail.refresh_from_db()
    assert mail.state == State.TRIAGE


def test_uploading_one_email_shows_what_became_of_it(client, liaison_officer):
    notice = sent_notice()
    client.force_login(liaison_officer)

    response = client.post(reverse("notices-mail-upload"), {"files": eml(reply_to(notice.deliveries.get()))})

    mail = InboundMail.objects.get()
    assert response.status_code == 302 and response.url == reverse("notices-mail-detail", args=[mail.pk])
    assert (mail.source, mail.uploaded_by, mail.notice) == (InboundMail.Source.UPLOAD, liaison_officer, notice)
    page = client.get(response.url)
    assert f"attached to {notice.reference}" in page.text
    assert f"{reverse('notices-reply', args=[notice.pk])}?mail={mail.pk}" in page.text  # to record the reply


def test_uploading_several_emails_at_once(client, liaison_officer):
    client.force_login(liaison_officer)
    files = [eml(reply(Message_ID=f"<m{number}@platform.example>"), f"m{number}.eml") for number in range(3)]

    response = client.post(reverse("notices-mail-upload"), {"files": files})

    assert response.status_code == 302 and InboundMail.objects.count() == 3


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "is empty"), (PNG, "is not an email"), (b"just some words\nof text\n", "is not an email")],
)
def test_a_bad_upload_is_refused_with_the_reason(client, liaison_officer, content, problem):
    client.force_login(liaison_officer)

    response = client.post(reverse("notices-mail-upload"), {"files": eml(content, "bad.eml")})

    assert response.status_code == 200 and problem in response.text and "bad.eml" in response.text
    assert not InboundMail.objects.exists()


def test_an_upload_over_the_limit_is_refused_naming_it(client, liaison_officer, settings):
    settings.NOTICES_INBOUND_MAX_BYTES = 1000
    client.force_login(liaison_officer)

    response = client.post(reverse("notices-mail-upload"), {"files": eml(reply(body="x" * 5000), "big.eml")})

    assert response.status_code == 200 and "more than the limit" in response.text
    assert not InboundMail.objects.exists()


def test_an_upload_without_a_file_asks_for_one(client, liaison_officer):
    client.force_login(liaison_officer)
    response = client.post(reverse("notices-mail-upload"), {})
    assert response.status_code == 200 and "Choose one or more .eml files." in response.text


def test_the_mail_page_shows_its_text_escaped_and_never_its_html(client, liaison_officer):
    raw = reply(body="Hello <script>alert('x')</script> <b>bold</b>", Subject="<img src=x onerror=alert(1)>")
    html_part = reply(Subject="html", Message_ID="<html@platform.example>")
    mail = kept(raw)
    kept(html_part)
    client.force_login(liaison_officer)

    response = client.get(reverse("notices-mail-detail", args=[mail.pk]))

    assert response.status_code == 200
    assert "<script>alert" not in response.text and "&lt;script&gt;alert" in response.text
    assert "<img src=x" not in response.text


def test_the_raw_message_downloads_as_a_sandboxed_attachment(client, liaison_officer):
    raw = reply(Subject="evidence")
    mail = kept(raw)
    client.force_login(liaison_officer)

    response = client.get(reverse("notices-mail-raw", args=[mail.pk]))

    assert b"".join(response.streaming_content) == raw
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Type"] == "application/octet-stream"


def test_attaching_from_triage_by_reference(client, liaison_officer):
    notice = sent_notice()
    mail = kept(reply(Subject="about our channels"))
    client.force_login(liaison_officer)

    wrong = client.post(reverse("notices-mail-match", args=[mail.pk]), {"reference": "TKD/1999/000999"})
    assert wrong.status_code == 400 and "No notice TKD/1999/000999." in wrong.text
    garbled = client.post(reverse("notices-mail-match", args=[mail.pk]), {"reference": "hello"})
    assert garbled.status_code == 400 and "like TKD/2017/000123" in garbled.text

    response = client.post(
        reverse("notices-mail-match", args=[mail.pk]), {"reference": notice.reference.lower(), "note": "their lawyer"}
    )

    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.state, mail.notice, mail.handled_by) == (State.ATTACHED, notice, liaison_officer)


def test_dismissing_needs_a_reason(client, liaison_officer):
    mail = kept(reply(Subject="newsletter"))
    client.force_login(liaison_officer)

    assert client.post(reverse("notices-mail-dismiss", args=[mail.pk]), {"note": ""}).status_code == 400
    response = client.post(reverse("notices-mail-dismiss", args=[mail.pk]), {"note": "a newsletter"})

    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.state, mail.handling_note) == (State.DISMISSED, "a newsletter")
    again = client.post(reverse("notices-mail-dismiss", args=[mail.pk]), {"note": "again"})
    assert again.status_code == 400 and "cannot be dismissed" in again.text


def test_the_nav_shows_inbound_email_to_a_liaison_officer(client, liaison_officer):
    client.force_login(liaison_officer)
    response = client.get(reverse("notices-mail-list"))
    assert {"label": "Inbound email", "url": reverse("notices-mail-list"), "url_name": "notices-mail-list"} in [
        {**entry, "label": str(entry["label"])} for entry in response.context["nav_entries"]
    ]


# --- API --------------------------------------------------------------------------------------------------


def test_api_lists_and_reads_inbound_mail(api_client, liaison_officer):
    notice = sent_notice()
    mail = kept(reply_to(notice.deliveries.get()))
    api_client.force_authenticate(liaison_officer)

    listed = api_client.get("/api/v1/inbound-mail/", {"state": "attached"}).json()
    detail = api_client.get(f"/api/v1/inbound-mail/{mail.pk}/").json()

    assert [row["id"] for row in listed["results"]] == [mail.pk]
    assert detail["notice"] == notice.reference and detail["counts_as_answer"] is True
    assert "removed the channels" in detail["text"] and detail["delivery_reports"] == []
    raw = api_client.get(f"/api/v1/inbound-mail/{mail.pk}/raw/")
    assert raw["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_api_upload_match_and_dismiss(api_client, liaison_officer):
    notice = sent_notice()
    api_client.force_authenticate(liaison_officer)

    uploaded = api_client.post(
        "/api/v1/inbound-mail/upload/",
        {"files": [eml(reply(Subject="a question"), "a.eml"), eml(reply(Message_ID="<b@p.example>"), "b.eml")]},
        format="multipart",
    )
    assert uploaded.status_code == 201
    first, second = uploaded.json()
    assert first["inbound_mail"]["state"] == "triage" and first["duplicate"] is False

    matched = api_client.post(
        f"/api/v1/inbound-mail/{first['inbound_mail']['id']}/match/", {"reference": notice.reference}, format="json"
    )
    assert matched.status_code == 200 and matched.json()["matched_by"] == "person"
    again = api_client.post(
        f"/api/v1/inbound-mail/{first['inbound_mail']['id']}/match/", {"reference": notice.reference}, format="json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "transition_not_allowed"
    dismissed = api_client.post(
        f"/api/v1/inbound-mail/{second['inbound_mail']['id']}/dismiss/", {"note": "spam"}, format="json"
    )
    assert dismissed.json()["state"] == "dismissed"

    duplicate = api_client.post(
        "/api/v1/inbound-mail/upload/", {"files": [eml(reply(Subject="a question"), "a.eml")]}, format="multipart"
    )
    assert duplicate.status_code == 200 and duplicate.json()[0]["duplicate"] is True


def test_api_refuses_bad_uploads_in_the_json_error_shape(api_client, liaison_officer):
    api_client.force_authenticate(liaison_officer)

    response = api_client.post(
        "/api/v1/inbound-mail/upload/",
        {"files": [eml(reply(), "good.eml"), eml(PNG, "picture.eml"), eml(b"", "empty.eml")]},
        format="multipart",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "picture.eml is not an email" in error["message"]
    assert any("empty.eml is empty" in problem for problem in error["fields"]["files"])
    assert not InboundMail.objects.exists()  # nothing kept from a refused upload
    nothing = api_client.post("/api/v1/inbound-mail/upload/", {}, format="multipart")
    assert nothing.status_code == 400 and "files" in nothing.json()["error"]["fields"]


def test_api_match_with_an_unknown_reference_names_the_field(api_client, liaison_officer):
    mail = kept(reply(Subject="x"))
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(f"/api/v1/inbound-mail/{mail.pk}/match/", {"reference": "TKD/2000/000001"})
    assert response.status_code == 400 and "reference" in response.json()["error"]["fields"]


def test_api_an_analyst_can_neither_read_nor_upload(api_client, analyst):
    mail = kept(reply(Subject="x"))
    api_client.force_authenticate(analyst)

    assert api_client.get("/api/v1/inbound-mail/").status_code == 403
    upload = api_client.post("/api/v1/inbound-mail/upload/", {"files": [eml(reply())]}, format="multipart")
    assert upload.status_code == 403 and upload.json()["error"]["status"] == 403
    assert api_client.post(f"/api/v1/inbound-mail/{mail.pk}/dismiss/", {"note": "x"}).status_code == 403


def test_an_auditor_reads_but_cannot_triage(api_client, auditor):
    mail = kept(reply(Subject="x"))
    api_client.force_authenticate(auditor)

    assert api_client.get(f"/api/v1/inbound-mail/{mail.pk}/").status_code == 200
    assert api_client.post(f"/api/v1/inbound-mail/{mail.pk}/dismiss/", {"note": "x"}).status_code == 403


# --- the command --------------------------------------------------------------------------------------------


def test_the_command_ingests_files_and_stdin_and_says_what_happened(tmp_path, monkeypatch):
    notice = sent_notice()
    reply_file = tmp_path / "reply.eml"
    reply_file.write_bytes(reply_to(notice.deliveries.get()))
    stdin = io.TextIOWrapper(io.BytesIO(reply(Subject="who?", Message_ID="<stdin@p.example>")))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()

    call_command("ingest_mail", str(reply_file), "-", str(reply_file), stdout=out)

    lines = out.getvalue().splitlines()
    assert f"attached to {notice.reference}" in lines[0]
    assert "<stdin>" in lines[1] and "triage: No notice reference found." in lines[1]
    assert "duplicate of inbound email" in lines[2]
    assert InboundMail.objects.count() == 2


def test_the_command_names_missing_files(tmp_path):
    with pytest.raises(CommandError, match=r"nowhere\.eml"):
        call_command("ingest_mail", str(tmp_path / "nowhere.eml"))
    assert not InboundMail.objects.exists()
