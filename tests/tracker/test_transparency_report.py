"""Issue 15, the transparency report: a supervisor drafts it from the hand-counted quarter, another approves it,
and the approved edition (JSON, HTML, PDF) is kept unchanged with its SHA-256. The public edition names no
member of staff and lists no item's address; the PDF, turned back into text, holds the figures."""

import hashlib
import io
import json
import re

import pytest
import time_machine
from pypdf import PdfReader

from tests.factories import api_token
from tests.factories_blocking import ISPFactory, isp_user
from tests.factories_figures import NOW, Q4, figures_world
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry
from tracker.reports import transparency
from tracker.reports.models import TransparencyReport
from tracker.reports.periods import Period

pytestmark = pytest.mark.django_db

# The quarter up to yesterday: a report covers days that are over.
DONE = Period(Q4.first_day, NOW.date().replace(day=4), Q4.zone)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield figures_world()


def pdf_text(data: bytes) -> str:
    """The PDF's words, one space between each (table cells wrap their words over lines)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_drafted_by_one_supervisor_approved_by_another(world, make_user):
    drafter, approver = make_user("supervisor"), make_user("supervisor")
    report = transparency.draft_report(actor=drafter, period=DONE, language="en")
    assert report.status == "draft" and not report.pdf_sha256
    telegram = next(row for row in report.content["platforms"] if row["key"] == "telegram")
    assert (telegram["notices"], telegram["items"], telegram["removed"]) == (3, 5, 3)
    with pytest.raises(NotPermitted):
        transparency.approve_report(actor=drafter, report=report)
    approved = transparency.approve_report(actor=approver, report=report)
    assert approved.status == "approved" and approved.approved_by == approver
    stored = TransparencyReport.objects.get(pk=report.pk)
    assert stored.pdf_sha256 == hashlib.sha256(bytes(stored.published_pdf)).hexdigest()
    assert stored.json_sha256 == hashlib.sha256(bytes(stored.published_json)).hexdigest()
    assert stored.html_sha256 == hashlib.sha256(bytes(stored.published_html)).hexdigest()
    text = pdf_text(bytes(stored.published_pdf))
    assert "Telegram 3 5 60% 40%" in text and "ISP X 3 50% 0% 67%" in text and "Transparency report" in text
    assert AuditEntry.objects.filter(object_id=str(report.pk), to_state="approved").exists()


def test_the_approved_edition_never_changes(world, make_user):
    report = transparency.draft_report(actor=make_user("supervisor"), period=DONE, language="en")
    approved = transparency.approve_report(actor=make_user("supervisor"), report=report)
    with pytest.raises(DomainError):
        transparency.approve_report(actor=make_user("supervisor"), report=approved)
    approved.title = "Something else"
    with pytest.raises(ValueError, match="kept as published"):
        approved.save()
    assert TransparencyReport.objects.get(pk=report.pk).title != "Something else"


def test_the_public_edition_names_no_staff_and_no_item(world, make_user):
    report = transparency.draft_report(actor=make_user("supervisor"), period=DONE, language="en")
    approved = transparency.approve_report(actor=make_user("supervisor"), report=report)
    published = bytes(approved.published_json).decode() + bytes(approved.published_html).decode()
    assert "open_notices" not in approved.content["work"]
    assert "lia" not in json.loads(bytes(approved.published_json))["work"].values()
    assert "https://t.me/" not in published and "t.me/channel" not in published
    assert "Telegram" in published


def test_a_report_in_bahasa_indonesia(world, make_user):
    report = transparency.draft_report(actor=make_user("supervisor"), period=DONE, language="id")
    approved = transparency.approve_report(actor=make_user("supervisor"), report=report)
    text = pdf_text(bytes(approved.published_pdf))
    assert "Laporan transparansi" in text and "Pemberitahuan terkirim" in text


def test_drafting_refuses_open_days_other_languages_and_other_roles(world, make_user):
    supervisor = make_user("supervisor")
    with time_machine.travel(NOW, tick=False), pytest.raises(DomainError) as refused:
        transparency.draft_report(actor=supervisor, period=Q4, language="en")  # ends after today
    assert "to" in refused.value.fields
    with pytest.raises(DomainError):
        transparency.draft_report(actor=supervisor, period=DONE, language="fr")
    for role in ("analyst", "liaison_officer", "auditor", "administrator"):
        with pytest.raises(NotPermitted):
            transparency.draft_report(actor=make_user(role), period=DONE, language="en")
    draft = transparency.draft_report(actor=supervisor, period=DONE, language="en")
    for role in ("analyst", "liaison_officer", "auditor", "administrator"):
        with pytest.raises(NotPermitted):
            transparency.approve_report(actor=make_user(role), report=draft)


def test_pages_draft_approve_and_download(client, world, make_user):
    drafter, approver = make_user("supervisor"), make_user("supervisor")
    client.force_login(drafter)
    with time_machine.travel(NOW, tick=False):
        response = client.post("/figures/reports/new/", {"from": "2026-10-01", "to": "2026-12-04", "language": "en"})
    report = TransparencyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/figures/reports/{report.pk}/"
    page = client.get(f"/figures/reports/{report.pk}/").content.decode()
    assert "report-approve" not in page and "Another supervisor approves" in page
    preview = client.get(f"/figures/reports/{report.pk}/report.html")
    assert preview.status_code == 200 and "Draft: not approved" in preview.content.decode()
    assert client.get(f"/figures/reports/{report.pk}/report.pdf").status_code == 404
    client.force_login(approver)
    assert client.post(f"/figures/reports/{report.pk}/approve/").status_code == 302
    report.refresh_from_db()
    assert report.status == "approved"
    download = client.get(f"/figures/reports/{report.pk}/report.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert hashlib.sha256(download.content).hexdigest() == report.pdf_sha256
    assert report.pdf_sha256 in client.get(f"/figures/reports/{report.pk}/").content.decode()


def test_the_api_drafts_and_approves(api_client, world, make_user):
    drafter, approver = make_user("supervisor"), make_user("supervisor")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(drafter)}")
    with time_machine.travel(NOW, tick=False):
        created = api_client.post(
            "/api/v1/transparency-reports/", {"from": "2026-10-01", "to": "2026-12-04", "language": "id"}, format="json"
        )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft" and created.json()["pdf_url"] is None
    unknown = api_client.post(
        "/api/v1/transparency-reports/",
        {"from": "2026-10-01", "to": "2026-12-04", "language": "en", "x": 1},
        format="json",
    )
    assert unknown.status_code == 400
    pk = created.json()["id"]
    assert api_client.post(f"/api/v1/transparency-reports/{pk}/approve/", {}, format="json").status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(approver)}")
    approved = api_client.post(f"/api/v1/transparency-reports/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert len(approved.json()["pdf_sha256"]) == 64


def test_isps_read_no_reports(client, world):
    client.force_login(isp_user(ISPFactory()))
    assert client.get("/figures/reports/").status_code == 403


def test_pages_refuse_other_roles_and_bad_dates_clearly(client, quarter, make_user):
    """Found in review: a refusal raised in the service was a 500 on the page."""
    for role in ("analyst", "liaison_officer", "auditor", "administrator"):
        client.force_login(make_user(role, is_staff=role == "administrator"))
        assert (
            client.post(
                "/figures/reports/new/", {"from": "2026-10-01", "to": "2026-10-02", "language": "en"}
            ).status_code
            == 403
        )
    drafter = make_user("supervisor")
    client.force_login(drafter)
    response = client.post("/figures/reports/new/", {"from": "bad", "to": "2026-10-02", "language": "en"}, follow=True)
    assert response.status_code == 200 and "Not a date (YYYY-MM-DD): bad" in response.content.decode()
    report = transparency.draft_report(actor=drafter, period=DONE, language="en")
    assert client.post(f"/figures/reports/{report.pk}/approve/").status_code == 403  # not one's own
    assert TransparencyReport.objects.get(pk=report.pk).status == "draft"


def embedded_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def test_names_in_chinese_script_print_in_a_font_that_has_them(world, make_user):
    """A platform or ISP named in Chinese script prints as itself: the CJK font installed with the system is
    embedded (nothing fetched), and the PDF's text reads back the same characters."""
    world["telegram"].name = "Telegram 电报"
    world["telegram"].save(update_fields=["name"])
    world["isp_x"].name = "ISP X 电信"
    world["isp_x"].save(update_fields=["name"])
    report = transparency.draft_report(actor=make_user("supervisor"), period=DONE, language="en")
    approved = transparency.approve_report(actor=make_user("supervisor"), report=report)
    data = bytes(approved.published_pdf)
    # Chinese script may wrap between any two characters in a narrow cell: read the wrapped name back whole.
    text = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", pdf_text(data))
    assert "Telegram 电报 3 5 60% 40%" in text and "ISP X 电信 3 50% 0% 67%" in text
    assert any("CJK" in font for font in embedded_fonts(data)), embedded_fonts(data)
