"""A notice as a formal letter: the printable page and its PDF (WeasyPrint), in the reader's language, with the
deadline in words in the platform's deadline zone; readable exactly by those who read the notice."""

from datetime import UTC, datetime
from io import BytesIO

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from notices import sending
from notices.models import EscalationPolicy
from tests.factories_notices import case_with_items
from tracker.core import pdf

pytestmark = pytest.mark.django_db

SENT_AT = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # Saturday 10:00 WIB, 11:00 WITA


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).split())


@pytest.fixture
def notice(make_user):
    sender = make_user("liaison_officer", first_name="Ratna", last_name="Sari")
    case, _items = case_with_items(count=2)
    # The platform's ladder counts its deadlines in Makassar time (WITA), not the reader's Jakarta time.
    EscalationPolicy.objects.filter(is_default=True).update(time_zone="Asia/Makassar")
    with time_machine.travel(SENT_AT, tick=False):
        return sending.send_notice(case=case, actor=sender)


def test_the_pdf_gives_reference_addressee_items_legal_basis_deadline_in_words_and_the_signer(client, notice):
    client.force_login(notice.sent_by)
    response = client.get(reverse("notices-letter-pdf", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{notice.reference.replace("/", "-")}.pdf"'
    text = pdf_text(response.content)
    assert notice.reference in text and "5 December 2026" in text
    assert notice.case.platform.name in text and notice.recipients[0] in text
    for entry in notice.notice_items.all():
        assert entry.display in text
    assert " ".join(notice.legal_basis.split()) in text
    # 4 hours for urgent items, from 11:00 WITA: the deadline in the platform's zone, and in UTC beside it
    assert "Saturday, 5 December 2026, 15:00 WITA (07:00 UTC)" in text
    assert "Ratna Sari" in text and "Liaison officer" in text


def test_a_reader_in_bahasa_indonesia_gets_the_letter_in_indonesian(client, notice, analyst):
    analyst.language = "id"
    analyst.save(update_fields=["language"])
    client.force_login(analyst)
    text = pdf_text(client.get(reverse("notices-letter-pdf", args=[notice.pk])).content)
    assert "5 Desember 2026" in text and "Sabtu, 5 Desember 2026, 15:00 WITA (07:00 UTC)" in text
    assert "Dasar hukum" in text  # "Legal basis"


def test_the_letter_page_prints_the_same_letter_with_a_download_link(client, notice):
    client.force_login(notice.sent_by)
    page = client.get(reverse("notices-letter", args=[notice.pk])).content.decode()
    assert notice.reference in page and reverse("notices-letter-pdf", args=[notice.pk]) in page
    assert "Download PDF" in page and "data:image/svg+xml;base64," in page  # the logo, inlined
    detail = client.get(reverse("notices-detail", args=[notice.pk])).content.decode()
    assert reverse("notices-letter", args=[notice.pk]) in detail


@override_settings(LETTERHEAD_MINISTRY_NAME="Kementerian Komunikasi dan Digital")
def test_the_letterhead_names_the_configured_ministry(client, notice):
    client.force_login(notice.sent_by)
    text = pdf_text(client.get(reverse("notices-letter-pdf", args=[notice.pk])).content)
    assert "Kementerian Komunikasi dan Digital" in text


def test_only_those_who_read_the_notice_get_its_letter(client, notice, make_user):
    for role in ("isp", None):
        client.force_login(make_user(role))
        for name in ("notices-letter", "notices-letter-pdf"):
            assert client.get(reverse(name, args=[notice.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("notices-letter-pdf", args=[notice.pk])).status_code == 302  # to sign in
    for role in ("analyst", "auditor", "administrator", "supervisor"):
        client.force_login(make_user(role))
        assert client.get(reverse("notices-letter-pdf", args=[notice.pk])).status_code == 200, role
    assert client.get(reverse("notices-letter-pdf", args=[notice.pk + 1000])).status_code == 404


def test_the_api_serves_the_letter_to_readers_of_the_notice_only(api_client, notice, make_user):
    url = f"/api/v1/notices/{notice.pk}/letter/"
    assert api_client.get(url).status_code == 401
    api_client.force_authenticate(make_user("isp"))
    assert api_client.get(url, HTTP_ACCEPT="application/pdf").status_code == 403
    api_client.force_authenticate(make_user("auditor"))
    response = api_client.get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert notice.reference in pdf_text(response.content)
    assert api_client.get(f"/api/v1/notices/{notice.pk + 1000}/letter/").status_code == 404


def test_nothing_outside_is_fetched_while_printing():
    html = '<img src="http://192.0.2.1/logo.png"><link rel="stylesheet" href="https://cdn.example/x.css"><p>x</p>'
    fetcher = pdf.local_only_fetcher()
    with pytest.raises(pdf.RemoteFetchRefused):
        fetcher.fetch("http://192.0.2.1/logo.png")
    with pytest.raises(pdf.RemoteFetchRefused):
        fetcher.fetch("file:///etc/passwd")
    assert pdf.render_pdf(html).startswith(b"%PDF-")  # the refused resources are left out, the letter still prints
