"""Issue 14, done when: in real headless Chromium, the search box finds an item by a non-canonical form of its URL,
and the keyboard shortcuts work and are listed under "?"."""

import pytest

from tests.factories import FlaggedItemFactory
from tests.factories_imports import platforms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_finds_a_channel_by_the_form_they_typed(page, login, make_user):
    telegram = platforms()["telegram"]
    item = FlaggedItemFactory(platform=telegram, canonical="https://t.me/durov_news", display="https://t.me/durov_news")
    login(make_user("analyst"))
    page.goto("/cases/")
    page.keyboard.press("/")  # the shortcut focuses the search box
    assert page.evaluate("document.activeElement.id") == "top-search"
    page.keyboard.type("telegram.me/s/durov_news/")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/items/{item.pk}/")


def test_question_mark_lists_the_shortcuts_and_g_i_opens_the_items(page, login, make_user):
    login(make_user("analyst"))
    page.goto("/")
    help_box = page.locator("#shortcut-help")
    assert help_box.is_hidden()
    page.keyboard.press("?")
    assert help_box.is_visible() and "g i" in " ".join(help_box.inner_text().split())
    page.keyboard.press("Escape")
    assert help_box.is_hidden()
    page.keyboard.press("g")
    page.keyboard.press("i")
    page.wait_for_url("**/items/")
