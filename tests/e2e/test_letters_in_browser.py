"""The letter page in Chromium: nothing loaded from outside, no serious accessibility violation, the PDF
downloaded from its link; a screenshot of the page goes to the test's tmp_path for a person to look at."""

from pathlib import Path

import pytest

from tests.e2e.accessibility import axe_violations, describe
from tests.factories import make_user
from tests.factories_blocking import order_in_force
from tests.factories_inbound import sent_notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_liaison_officer_opens_a_notices_letter_and_downloads_its_pdf(page, login, live_server, tmp_path):
    notice = sent_notice(count=2)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    login(make_user("liaison_officer"))
    page.goto(f"/notices/{notice.pk}/")
    page.click("#letter-links >> text=Letter")
    page.wait_for_url(f"**/notices/{notice.pk}/letter/")
    assert notice.reference in page.inner_text("main")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(tmp_path / "notice-letter.png"), full_page=True)
    assert (tmp_path / "notice-letter.png").stat().st_size > 0
    with page.expect_download() as download:
        page.click("text=Download PDF")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == notice.reference.replace("/", "-") + ".pdf"
    assert Path(saved).read_bytes().startswith(b"%PDF-")
    assert all(url.startswith((live_server.url, "data:")) for url in requested), requested


def test_a_supervisor_opens_an_orders_letter_in_bahasa_indonesia(page, login, tmp_path):
    order = order_in_force(proposer=make_user("supervisor"), approver=make_user("supervisor"))
    login(make_user("supervisor", language="id"))
    page.goto(f"/blocking/orders/{order.pk}/letter/")
    main = page.inner_text("main")
    assert order.reference in main and "web.telegram.org" in main and "Dasar hukum" in main
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(tmp_path / "order-letter.png"), full_page=True)
