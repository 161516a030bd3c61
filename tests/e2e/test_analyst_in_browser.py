"""Done when (issue 3): an analyst, in real headless Chromium, logs an item with evidence, sees it merged when
logged again in another form, and opens a case with its timeline; a second analyst verifies the item."""

import hashlib

import pytest

from tests.factories_content import telegram
from tracker.cases.models import Case
from tracker.evidence.models import Evidence
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


def test_an_analyst_logs_merges_attaches_evidence_and_opens_a_case(page, login, make_user, browser, live_server):
    platform = telegram()
    analyst = make_user("analyst")
    login(analyst)

    page.goto("/items/")
    page.click("#log-item")
    page.fill("#id_url", "https://telegram.me/s/Demo_Teror_Cell?before=99")
    page.select_option("#id_category", label="Terrorism")
    page.select_option("#id_source", value="patrol")
    page.set_input_files("#id_evidence", files=[{"name": "channel.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#log-item-form button[type=submit]")
    assert page.locator("#item-canonical").inner_text() == "https://t.me/demo_teror_cell"
    assert page.locator("#evidence .sha256").inner_text() == hashlib.sha256(PNG).hexdigest()

    # The same channel logged again as a handle is the same item with a second report.
    page.goto("/items/new/")
    page.fill("#id_url", "@demo_teror_cell")
    page.select_option("#id_platform", value=platform.slug)
    page.select_option("#id_category", label="Terrorism")
    page.select_option("#id_source", value="public_complaint")
    page.click("#log-item-form button[type=submit]")
    assert "Already known" in page.locator(".messages").inner_text()
    assert page.locator("#sightings tbody tr").count() == 2
    item = FlaggedItem.objects.get()
    assert item.sighting_count == 2 and Evidence.objects.filter(item=item).count() == 1

    # A bad entry is refused with a message naming the problem, nothing saved.
    page.goto("/items/new/")
    page.fill("#id_url", "javascript:alert(document.cookie)")
    page.select_option("#id_category", label="Terrorism")
    page.click("#log-item-form button[type=submit]")
    assert "javascript" in page.locator("#error-url").inner_text().lower()
    assert FlaggedItem.objects.count() == 1

    page.goto("/cases/")
    page.click("#open-case")
    page.fill("#id_title", "Telegram — radical channels, 2016")
    page.select_option("#id_platform", label="Telegram")
    page.click("#case-form button[type=submit]")
    page.fill("#id_urls", "t.me/Demo_Teror_Cell")
    page.click("#add-items-form button[type=submit]")
    assert page.locator("#case-item-count").inner_text() == "1"
    timeline = page.locator("#case-timeline").inner_text()
    assert "Case opened" in timeline and "1 item added" in timeline
    assert Case.objects.get().items.get() == item

    # Another analyst verifies it; the one who logged it was never offered the button.
    page.goto(f"/items/{item.pk}/")
    assert page.locator("#verify").count() == 0
    second = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Jakarta").new_page()
    from tests.factories import PASSWORD

    colleague = make_user("analyst")
    second.goto("/login/")
    second.fill("#id_username", colleague.username)
    second.fill("#id_password", PASSWORD)
    second.click("button[type=submit]")
    second.goto(f"/items/{item.pk}/")
    second.click("#verify")
    assert second.locator("#item-status").inner_text() == "verified"
