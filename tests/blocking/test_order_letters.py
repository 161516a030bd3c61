"""Block and lift orders as formal letters: the page, its PDF, and the PDF each ISP is mailed with the order,
whose SHA-256 is kept on the ISP's recipient row as proof of the document sent."""

import hashlib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from blocking import services
from blocking.models import OrderRecipient
from notices import delivery
from tests.factories_blocking import ISPFactory, approved_order, isp_user, issued_lift
from tracker.core import pdf

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime(2017, 7, 14, 4, 30, tzinfo=UTC)  # 11:30 WIB, as the 2017 order to every ISP


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).split())


@pytest.fixture
def issued(make_user):
    """An order to block two names at 11:30 WIB, approved by Budi Santoso and issued to one ISP."""
    isp = ISPFactory(name="Telkom Indonesia", contact_email="noc@telkom.example")
    proposer = make_user("supervisor")
    approver = make_user("supervisor", first_name="Budi", last_name="Santoso")
    with time_machine.travel(EFFECTIVE - timedelta(hours=2), tick=False):
        order = approved_order(proposer=proposer, approver=approver, isps=[isp], effective_in=timedelta(hours=2))
    services.issue_order(order_id=order.pk, now=order.effective_at)
    order.refresh_from_db()
    return order, OrderRecipient.objects.get(order=order)


def test_each_isp_is_mailed_the_letter_as_a_pdf_and_its_sha256_is_kept(issued):
    order, recipient = issued
    (row,) = delivery.deliveries_about(OrderRecipient, [recipient.pk])
    message = message_from_bytes(bytes(row.raw_message))
    (attached,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert attached.get_filename() == pdf.letter_filename(order.reference)
    letter = attached.get_payload(decode=True)
    assert len(recipient.letter_sha256) == 64 and hashlib.sha256(letter).hexdigest() == recipient.letter_sha256
    text = pdf_text(letter)
    assert order.reference in text and "Telkom Indonesia" in text and "noc@telkom.example" in text
    assert "web.telegram.org" in text and "*.t.me" in text and "Law 19/2016 art. 40(2b)" in text
    assert "Friday, 14 July 2017, 11:30 WIB (04:30 UTC)" in text  # effective, in words, in the ISPs' zone
    acknowledge = recipient.acknowledge_due_at  # 240 minutes by default
    assert acknowledge == EFFECTIVE + timedelta(hours=4) and "Friday, 14 July 2017, 15:30 WIB (08:30 UTC)" in text
    assert "Budi Santoso" in text and "14 July 2017" in text


def test_the_api_shows_the_isp_the_hash_and_gives_it_its_own_copy(issued, api_client):
    order, recipient = issued
    api_client.force_authenticate(isp_user(recipient.isp))
    detail = api_client.get(f"/api/v1/block-orders/{order.pk}/").json()
    assert detail["recipients"][0]["letter_sha256"] == recipient.letter_sha256
    response = api_client.get(f"/api/v1/block-orders/{order.pk}/letter/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and "noc@telkom.example" in pdf_text(response.content)
    other = ISPFactory()
    api_client.force_authenticate(isp_user(other))
    assert api_client.get(f"/api/v1/block-orders/{order.pk}/letter/").status_code == 404  # not addressed to it


def test_the_letter_page_and_pdf_are_read_by_those_who_read_the_order_page(client, issued, make_user):
    order, _recipient = issued
    urls = [reverse("blocking-order-letter", args=[order.pk]), reverse("blocking-order-letter-pdf", args=[order.pk])]
    for role in ("analyst", "isp", None):
        client.force_login(make_user(role))
        assert client.get(reverse("blocking-order-detail", args=[order.pk])).status_code == 403, role
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)
    for role in ("liaison_officer", "supervisor", "auditor", "administrator"):  # an administrator reads everything
        client.force_login(make_user(role))
        page = client.get(urls[0]).content.decode()
        assert order.reference in page and urls[1] in page and "Telkom Indonesia" in page
        assert "Budi Santoso" in pdf_text(client.get(urls[1]).content)
    assert client.get(reverse("blocking-order-letter-pdf", args=[order.pk + 1000])).status_code == 404


def test_the_api_refuses_the_letter_to_an_account_without_orders(issued, api_client, make_user):
    order, _recipient = issued
    api_client.force_authenticate(make_user(None))
    assert api_client.get(f"/api/v1/block-orders/{order.pk}/letter/").status_code == 403
    api_client.force_authenticate(make_user("administrator"))
    assert api_client.get(f"/api/v1/block-orders/{order.pk}/letter/").status_code == 200


def test_a_lift_order_reads_as_a_lift_of_its_block(client, issued, make_user):
    order, _recipient = issued
    proposer, approver = make_user("supervisor"), make_user("supervisor")
    lift = issued_lift(block=order, proposer=proposer, approver=approver, names="web.telegram.org")
    client.force_login(make_user("supervisor", language="id"))
    text = pdf_text(client.get(reverse("blocking-order-letter-pdf", args=[lift.pk])).content)
    assert lift.reference in text and order.reference in text and "web.telegram.org" in text
    assert "*.t.me" not in text
    lift_recipient = OrderRecipient.objects.get(order=lift)
    assert len(lift_recipient.letter_sha256) == 64
