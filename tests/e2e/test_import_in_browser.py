"""Done when: an analyst uploads a CSV of thousands of addresses in real headless Chromium, watches the progress
bar move while a real Celery worker imports it chunk by chunk, and reads the rejected rows by line number."""

import time

import pytest
from playwright.sync_api import expect

from tests.factories_imports import mixed_urls, platforms, terrorism
from tracker.imports.models import ItemImport
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHUNK_ROWS = 20


@pytest.fixture
def import_worker(request, monkeypatch, settings):
    """A worker importing in small chunks, so that progress can be seen; it reads the size from its environment."""
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", str(CHUNK_ROWS))
    settings.IMPORT_CHUNK_ROWS = CHUNK_ROWS
    return request.getfixturevalue("celery_worker_process")


def upload_file(tmp_path):
    urls = mixed_urls(3800)
    lines = ["URL,Category"]
    bad = {}
    for n, url in enumerate(urls):
        lines.append(f"{url},")
        if n % 25 == 0:
            lines.append(f"{urls[n // 2]},radicalism")  # a duplicate, under another category: a sighting
        if n % 80 == 0:
            value = ["javascript:alert(1)", "http://192.168.1.10/feed", "@no_platform_given", "https://t.me/ok_name"][
                n // 80 % 4
            ]
            lines.append(f"{value},{'cooking' if value.startswith('https') else ''}")
            bad[len(lines)] = value  # its line number: the header is line 1
    path = tmp_path / "flagged-items.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1, bad


def test_analyst_uploads_a_csv_and_watches_it_import(page, login, make_user, import_worker, tmp_path):
    platforms()
    terrorism()
    analyst = make_user("analyst")
    path, rows, bad = upload_file(tmp_path)

    login(analyst)
    page.goto("/imports/new/")
    page.set_input_files("#id_file", str(path))
    page.select_option("#id_category", "terrorism")
    page.select_option("#id_source", "patrol")
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    item_import = ItemImport.objects.get()
    assert item_import.total_rows == rows

    # The bar as htmx refreshes it: some value below the total, then the total.
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        bar = page.locator("#import-bar")
        value, maximum = int(bar.get_attribute("value")), int(bar.get_attribute("max"))
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == maximum:
            break
        time.sleep(0.1)
    assert maximum == rows
    assert seen[-1] == rows, seen
    assert any(0 < value < rows for value in seen), f"no progress seen between 0 and 100%: {seen}"
    assert page.locator("#import-rows").inner_text() == f"{rows:,} of {rows:,} rows (100%)"
    # The last chunk's rows are counted before the import's final commit marks it done: the next refresh shows it.
    # A locator wait, not wait_for_function: the page's CSP forbids the eval a string predicate needs.
    expect(page.locator("#import-status")).to_have_text("done", timeout=30_000)
    assert page.locator("#import-progress").get_attribute("hx-trigger") is None  # polling stopped

    item_import.refresh_from_db()
    duplicates = rows - 3800 - len(bad)
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (
        3800,
        duplicates,
        len(bad),
    )
    assert page.locator("#imported-count").inner_text() == "3,800"
    assert page.locator("#rejected-count").inner_text() == str(len(bad))
    assert FlaggedItem.objects.filter(platform__slug="telegram").count() == 760
    assert set(FlaggedItem.objects.values_list("platform__slug", flat=True)) == {
        "telegram",
        "x",
        "youtube",
        "facebook",
        None,
    }

    page.click("#rejection-report")
    table = page.locator("#rejections tbody tr")
    assert table.count() == len(bad)
    first_line = min(bad)
    first = table.nth(0).locator("td")
    assert first.nth(0).inner_text() == str(first_line)
    assert first.nth(1).inner_text() == bad[first_line]
    assert "javascript:" in first.nth(2).inner_text()
    reasons = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(2).inner_text() for row in table.all()}
    assert any("IP address" in reason for reason in reasons.values())
    assert any("Unknown category “cooking”" in reason for reason in reasons.values())
