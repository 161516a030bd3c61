"""Issue 14, done when: in real headless Chromium, an analyst selects every item on the list's page and verifies
them in one action; the one they logged themselves is refused, and the summary says which and why."""

import pytest

from tests.factories import FlaggedItemFactory, PlatformFactory
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_verifies_a_page_of_items_in_one_action(page, login, make_user):
    platform = PlatformFactory()
    analyst = make_user("analyst")
    others = [FlaggedItemFactory(platform=platform) for _ in range(4)]
    mine = FlaggedItemFactory(platform=platform, logged_by=analyst)
    login(analyst)

    page.goto("/items/")
    page.check("#select-all")
    assert page.locator("input[name=ids]:checked").count() == 5
    page.select_option("#bulk-action", value="verify")
    page.click("#bulk-apply")

    assert "4 items done; 1 refused." in page.locator("#bulk-summary").inner_text()
    refusals = page.locator("#bulk-refusals tbody tr")
    assert refusals.count() == 1
    assert f"#{mine.pk}" in refusals.inner_text() and "You logged this item" in refusals.inner_text()
    statuses = dict(FlaggedItem.objects.values_list("pk", "status"))
    assert {statuses[item.pk] for item in others} == {FlaggedItem.Status.VERIFIED}
    assert statuses[mine.pk] == FlaggedItem.Status.NEW
    assert AuditEntry.objects.filter(to_state=FlaggedItem.Status.VERIFIED).count() == 4
