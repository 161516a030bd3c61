"""Under `make run` the tracker writes its mail to a file outbox; liaison officers can read it in the UI."""

import html

import pytest
from django.urls import reverse

from notices import delivery, sending
from notices.outbox.reading import read_outbox_file
from tests.factories_notices import case_with_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"
    return settings.EMAIL_FILE_PATH


def test_a_sent_notice_can_be_read_in_the_outbox(client, liaison_officer, file_outbox):
    case, _items = case_with_items(count=1)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    assert delivery.send_delivery(delivery_id=notice.deliveries.get().pk) == "sent"
    client.force_login(liaison_officer)
    listing = client.get(reverse("notices-outbox"))
    name = next(file_outbox.glob("*.log")).name
    assert name in listing.content.decode()
    page = client.get(reverse("notices-outbox-file", args=[name]))
    text = page.content.decode()
    assert notice.reference in text and notice.recipients[0] in text
    assert html.escape(notice.deliveries.get().message_id) in text
    # issue 14: the messages are the page's content, not an `OutboxMessage(...)` banner above it
    assert "OutboxMessage(" not in text and 'class="messages"' not in text
    assert notice.deliveries.get().server_reply.startswith("saved to the outbox folder")


def test_the_outbox_refuses_paths_and_unknown_files(client, liaison_officer, file_outbox, tmp_path):
    (tmp_path / "secret.log").write_text("not for you")
    assert read_outbox_file("../secret.log") is None and read_outbox_file("secret.txt") is None
    client.force_login(liaison_officer)
    assert client.get(reverse("notices-outbox-file", args=["..%2Fsecret.log"])).status_code == 404
    assert client.get(reverse("notices-outbox-file", args=["missing.log"])).status_code == 404


def test_the_outbox_says_so_when_mail_goes_to_a_server(client, liaison_officer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(liaison_officer)
    page = client.get(reverse("notices-outbox")).content.decode()
    assert 'id="outbox-not-in-use"' in page
    assert f'href="{reverse("notices-outbox")}"' not in page.split("</nav>")[0]  # and it leaves the navigation


def test_the_navigation_shows_the_outbox_while_mail_goes_there(client, liaison_officer, file_outbox):
    client.force_login(liaison_officer)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("notices-outbox")}"' in page


def test_an_analyst_cannot_read_the_outbox(client, analyst, file_outbox):
    client.force_login(analyst)
    assert client.get(reverse("notices-outbox")).status_code == 403
