"""Reading the evidence, a raw inbound email or the exact message a notice went out as is recorded in the audit
trail: who, when and from where, through the page or the API alike."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notices import inbound
from notices.models import InboundMail
from tests.factories import FlaggedItemFactory
from tests.factories_inbound import reply, sent_notice
from tracker.core import audit
from tracker.core.actors import COMMAND
from tracker.evidence import services as evidence_services

pytestmark = pytest.mark.django_db


def downloads_of(record, user) -> int:
    return audit.history(record).filter(actor=user, reason="downloaded").count()


def test_an_evidence_download_is_recorded_by_page_and_by_api(client, api_client, analyst):
    item = FlaggedItemFactory()
    evidence, _created = evidence_services.attach_evidence(
        actor=analyst, item=item, uploaded_file=SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    )
    client.force_login(analyst)
    assert client.get(reverse("evidence-download", args=[evidence.pk])).status_code == 200
    api_client.force_authenticate(analyst)
    assert api_client.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 200
    assert downloads_of(evidence, analyst) == 2


def test_a_raw_email_and_a_sent_message_download_are_recorded(client, liaison_officer):
    notice = sent_notice()
    mail = inbound.ingest_message(reply(), source=InboundMail.Source.COMMAND, actor=COMMAND)
    delivery = notice.deliveries.get()
    client.force_login(liaison_officer)
    assert client.get(reverse("notices-mail-raw", args=[mail.pk])).status_code == 200
    assert client.get(reverse("notices-delivery-message", args=[delivery.pk])).status_code == 200
    assert downloads_of(mail, liaison_officer) == 1 and downloads_of(delivery, liaison_officer) == 1
