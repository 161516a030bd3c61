"""Issue 14, done when: in real headless Chromium, an analyst filters the item list, saves the filter under a
name, opens it again from the list and deletes it."""

import pytest

from tests.factories import FlaggedItemFactory
from tracker.accounts.models import SavedFilter
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_saves_reopens_and_deletes_a_filter(page, login, make_user):
    analyst = make_user("analyst")
    closed = FlaggedItemFactory(status=FlaggedItem.Status.CLOSED)
    fresh = FlaggedItemFactory()
    login(analyst)
    page.goto("/items/")
    page.select_option("#id_status", value="closed")
    page.click("form.filters button[type=submit]")
    page.locator("#saved-filters summary").click()
    page.fill("#saved-filter-name", "Closed ones")
    page.click("#save-filter button[type=submit]")
    assert SavedFilter.objects.get().query == "status=closed"

    page.goto("/items/")
    page.click("a.saved-filter:has-text('Closed ones')")
    page.wait_for_url("**/items/?status=closed")
    rows = page.locator("#items tbody").inner_text()
    assert closed.display in rows and fresh.display not in rows

    page.click("#saved-filters form.inline button[type=submit]")
    page.wait_for_load_state()
    assert not SavedFilter.objects.exists()
