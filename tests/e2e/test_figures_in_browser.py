"""The figures page in real Chromium: the hand-counted quarter shown in tables and drawn charts, a period chosen
in the form, nothing loaded from outside, no serious accessibility violation, readable at 390 px, and a
screenshot in the test's tmp_path for a person to look at. Then a transparency report: drafted, approved by a
second supervisor, read as a printable page and downloaded as the PDF whose SHA-256 the page shows."""

import hashlib
import io

import pytest
import time_machine
from pypdf import PdfReader

from tests.e2e.accessibility import axe_violations, describe
from tests.factories import make_user
from tests.factories_figures import NOW, figures_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_reads_the_quarters_figures(page, login, live_server, tmp_path):
    with time_machine.travel(NOW, tick=False):
        figures_world()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    login(make_user("supervisor"))
    page.goto("/figures/")
    page.fill("#figure-from", "2026-10-01")
    page.fill("#figure-to", "2026-12-31")
    page.select_option("#figure-interval", "month")
    page.click("#figure-filters button[type=submit]")
    page.wait_for_url("**/figures/?*from=2026-10-01*")
    telegram = page.locator('#platform-table tr[data-key="telegram"]')
    assert telegram.locator("td").nth(0).inner_text() == "3"
    assert "60%" in telegram.inner_text()
    months = page.locator("#trend-table tbody tr")
    assert months.count() == 3 and months.nth(0).locator("td").nth(0).inner_text() == "3"
    # Every chart is drawn: the image loaded and has a size.
    for chart in page.locator("img.chart").all():
        chart.scroll_into_view_if_needed()
        assert page.evaluate("(image) => image.complete && image.naturalWidth > 0", chart.element_handle())
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(tmp_path / "figures.png"), full_page=True)
    assert (tmp_path / "figures.png").stat().st_size > 0
    assert all(url.startswith((live_server.url, "data:")) for url in requested), requested

    # The number links to the notices behind it.
    telegram.locator("td").nth(0).locator("a").click()
    page.wait_for_url("**/notices/?platform=telegram*")
    assert page.locator("#notices tbody tr").count() == 3


def test_the_figures_page_fits_a_phone(page, login):
    login(make_user("supervisor", language="id"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/figures/")
    assert page.locator("h1").inner_text() == "Angka"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_report_drafted_approved_read_and_downloaded(page, login, tmp_path):
    with time_machine.travel(NOW, tick=False):
        figures_world()
    drafter, approver = make_user("supervisor"), make_user("supervisor")
    login(drafter)
    page.goto("/figures/")
    page.click("#figures-reports")
    page.fill("#report-from", "2026-10-01")
    page.fill("#report-to", "2026-12-04")
    page.select_option("#report-language", "id")
    page.click("#report-draft button[type=submit]")
    page.wait_for_url("**/figures/reports/*/")
    assert "Another supervisor approves" in page.inner_text("main")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.context.clear_cookies()
    login(approver)
    page.goto("/figures/reports/")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.locator("#reports a").first.click()
    page.click("#report-approve")
    page.wait_for_selector("#report-editions")
    digest = page.locator("#report-editions code").first.inner_text()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.click("#report-html")
    assert "Laporan transparansi" in page.inner_text("h1")
    assert "Telegram" in page.inner_text("#report-platforms")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.screenshot(path=str(tmp_path / "transparency-report.png"), full_page=True)
    page.go_back()
    with page.expect_download() as download:
        page.click("#report-pdf")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "Telegram 3 5 60% 40%" in text and "Pemberitahuan terkirim" in text
