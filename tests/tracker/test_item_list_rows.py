"""The item list's rows: what each cell shows, in the reader's language and time zone, escaped."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from tests.factories import CategoryFactory, FlaggedItemFactory, make_user
from tracker.items.models import FlaggedItem
from tracker.items.rows import TimesAgo, _escaped, grouped

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def rows_of(page: bytes) -> list[str]:
    body = page.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(row.split()) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


WORDS = {
    "en": ["Select", "channel", "urgent", "verified", "3 hours ago", "other", "new", "2 days ago", "12,345"],
    "id": ["Pilih", "kanal", "mendesak", "terverifikasi", "3 jam yang lalu", "lainnya", "baru", "2 hari yang lalu",
           "12.345"],
}  # fmt: skip


@pytest.mark.parametrize(("language", "zone", "offset"), [("en", "Asia/Jakarta", 7), ("id", "Asia/Jayapura", 9)])
def test_each_row_shows_the_item_in_the_readers_language_and_zone(client, language, zone, offset):
    select, channel, urgent, verified, hours_ago, other, new, days_ago, count = WORDS[language]
    analyst = make_user("analyst", language=language, time_zone=zone)
    with time_machine.travel(NOW - timedelta(hours=3), tick=False):
        item = FlaggedItemFactory(
            display="https://t.me/" + "x" * 100, urgency="urgent", sighting_count=12345,
            status=FlaggedItem.Status.VERIFIED,
        )  # fmt: skip
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        elsewhere = FlaggedItemFactory(platform=None, host="judi.example", urgency="normal", display="judi<b>&amp")
    client.force_login(analyst)
    with time_machine.travel(NOW, tick=False):
        first, second = rows_of(client.get("/items/").content)

    logged = f"2026-12-05T{offset:02}:00:00+{offset:02}:00"
    assert first == (
        f'<td class="select"><input type="checkbox" name="ids" value="{item.pk}" aria-label="{select} '
        f'https://t.me/{"x" * 46}…"></td> <td><a href="/items/{item.pk}/">https://t.me/{"x" * 76}…</a> '
        f'<span class="muted">{channel}</span></td> <td>{item.platform.name}</td> <td>{item.category.name}</td> '
        f'<td><span class="badge danger">{urgent}</span></td> <td><span class="badge">{verified}</span></td> '
        f'<td class="num">{count}</td> <td><time datetime="{logged}" title="2026-12-05 {offset:02}:00">'
        f"{hours_ago}</time></td>"
    )
    logged = f"2026-12-03T{offset + 3:02}:00:00+{offset:02}:00"
    assert second == (
        f'<td class="select"><input type="checkbox" name="ids" value="{elsewhere.pk}" aria-label="{select} '
        f'judi&lt;b&gt;&amp;amp"></td> <td><a href="/items/{elsewhere.pk}/">judi&lt;b&gt;&amp;amp</a> '
        f'<span class="muted">{channel}</span></td> <td><span class="muted">{other}: judi.example</span></td> '
        f'<td>{elsewhere.category.name}</td> <td>normal</td> <td><span class="badge">{new}</span></td> '
        f'<td class="num">1</td> <td><time datetime="{logged}" title="2026-12-03 {offset + 3:02}:00">'
        f"{days_ago}</time></td>"
    )


def test_a_reader_who_may_not_change_items_gets_no_selection_boxes(client, auditor):
    FlaggedItemFactory()
    client.force_login(auditor)
    [row] = rows_of(client.get("/items/").content)
    assert 'type="checkbox"' not in row and "<a href=" in row


@pytest.mark.parametrize("language", ["en", "id"])
def test_times_ago_are_humanizes_words_over_many_spans(language):
    spans = [timedelta(seconds=s) for s in (0, 1, 59, 60, 3599, 3600, 86399)]
    spans += [timedelta(days=d, seconds=s) for d in (1, 2, 6, 7, 13, 29, 30, 31, 59, 364, 365, 366, 800, 4000)
              for s in (0, 1, 3599, 3600, 43200, 86399)]  # fmt: skip
    spans += [timedelta(seconds=(n * 7919**3) % (12 * 365 * 86400)) for n in range(1, 300)]
    with translation.override(language), time_machine.travel(NOW, tick=False):
        times_ago = TimesAgo()
        for span in spans:
            for value in (NOW - span, NOW + span):
                assert times_ago(value) == naturaltime(value), (span, value > NOW)
    assert times_ago.units["month"].by_number  # the page's words were looked up once and kept


def table_read(sql: str) -> str | None:
    """The table a statement reads: the ORM's `SELECT ... FROM "table"`, or the statement prepared from one
    (tracker.core.prepared names it after its table)."""
    found = re.match(r"EXECUTE tracker_rows_(\w+)_[0-9a-f]{16}\b", sql) or re.match(r'SELECT .*? FROM "(\w+)"', sql)
    return found.group(1) if found else None


def test_the_page_reads_platforms_and_categories_once_for_its_filter_rows_and_bulk_bar(client, analyst):
    item = FlaggedItemFactory()
    other = FlaggedItemFactory(category=CategoryFactory(slug="retired", name="Retired", is_active=False))
    client.force_login(analyst)
    client.get("/items/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/items/", {"status": "new"}).content.decode()
    tables = [table_read(query["sql"]) for query in queries]
    assert tables.count("platforms_platform") == 1 and tables.count("tracker_category") == 1
    filter_form, bulk_bar = page.split('id="bulk-category"')[0], page.split('id="bulk-category"')[1]
    for category in (item.category, other.category):
        assert f'<option value="{category.slug}">{category.name}</option>' in filter_form
    assert f'<option value="{item.platform.slug}">{item.platform.name}</option>' in filter_form
    assert (
        item.category.slug in bulk_bar.split("</select>")[0]
        and other.category.slug not in bulk_bar.split("</select>")[0]
    )


@pytest.mark.parametrize("language", ["en", "id"])
def test_counts_are_grouped_as_intcomma_groups_them(language):
    with translation.override(language):
        for number in (0, 1, 7, 999, 1000, 1001, 12345, 999999, 2_800_000, -1, -999, -1000, -123456):
            assert grouped(number) == intcomma(number), number


def test_a_rows_values_are_escaped_as_conditional_escape_escapes_them():
    lazy_safe = lazy(mark_safe, SafeString)("<i>kept</i>")
    values = ["plain", "<b>&\"'", mark_safe("<em>safe</em>"), gettext_lazy("Select"), lazy_safe, 7, None]
    assert [_escaped(value) for value in values] == [conditional_escape(value) for value in values]
