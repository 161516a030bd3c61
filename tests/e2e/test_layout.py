"""Pages that fit the screen: each role's home and the main lists on a 390 px phone, the audit trail on a
1,366 px desktop, with the navigation folded behind a menu button on the phone."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def page_overflow(page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor", "administrator"])
def test_each_role_home_fits_a_phone_with_the_navigation_folded(page, login, make_user, role):
    page.set_viewport_size(PHONE)
    login(make_user(role))
    assert page_overflow(page) <= 0
    nav = page.locator("nav.mainnav")
    assert not nav.is_visible()
    # Folded, the header is a thin bar (the issue found the navigation taking 43 % of the screen).
    assert page.locator("header.topbar").bounding_box()["height"] < 0.1 * PHONE["height"]
    # The menu button opens the navigation, which then fits the width too.
    page.click("label.navbutton")
    assert nav.is_visible()
    assert page_overflow(page) <= 0


def test_navigation_is_shown_whole_on_a_desktop(page, login, make_user):
    page.set_viewport_size(DESKTOP)
    login(make_user("supervisor"))
    assert page.locator("nav.mainnav").is_visible()
    assert not page.locator("label.navbutton").is_visible()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("analyst", "/items/"),
        ("analyst", "/cases/"),
        ("liaison_officer", "/notices/"),
        ("supervisor", "/audit/"),
        ("supervisor", "/platforms/"),
    ],
)
def test_main_lists_fit_a_phone_and_their_tables_scroll_in_their_own_box(page, login, make_user, role, path):
    for number in range(3):
        long_url = f"https://example.com/a-very-long-path-without-any-breaks-{'x' * 120}-{number}"
        factories.FlaggedItemFactory(canonical=long_url)
    page.set_viewport_size(PHONE)
    login(make_user(role))
    response = page.goto(path)
    assert response.status == 200
    assert page_overflow(page) <= 0
    for region in page.locator("div.table-scroll").all():
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label")


def test_audit_trail_fits_a_desktop(page, login, make_user, supervisor):
    for number in range(3):
        factories.FlaggedItemFactory(canonical=f"https://example.com/{'segment' * 40}/{number}")
    page.set_viewport_size(DESKTOP)
    login(supervisor)
    page.goto("/audit/")
    assert page_overflow(page) <= 0
