"""axe-core (vendored) over the main pages: no serious or critical violation, on a desktop and on a phone."""

import pytest

from tests.e2e.accessibility import axe_violations, describe
from tests.e2e.test_layout import DESKTOP, PHONE, page_overflow
from tests.factories import make_user
from tests.factories_blocking import order_in_force
from tests.factories_inbound import sent_notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    violations = axe_violations(page)
    assert not violations, f"{path}:\n{describe(violations)}"


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor", "auditor", "administrator"])
def test_each_role_home_has_no_serious_accessibility_violation(page, login, role):
    login(make_user(role))
    assert_accessible(page, "/")


def test_folded_navigation_on_a_phone_has_no_serious_accessibility_violation(page, login, supervisor):
    page.set_viewport_size(PHONE)
    login(supervisor)
    assert_accessible(page, "/items/")
    # Opened from the keyboard: the menu button is reached and toggled like any checkbox.
    page.focus("#navtoggle")
    page.keyboard.press("Space")
    assert page.locator("nav.mainnav").is_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)


@pytest.fixture
def records():
    notice = sent_notice(count=2)
    item = notice.case.items.first()
    order = order_in_force(proposer=make_user("supervisor"), approver=make_user("supervisor"))
    return {"notice": notice, "case": notice.case, "item": item, "order": order}


def main_pages(records) -> list[str]:
    return [
        "/items/",
        f"/items/{records['item'].pk}/",
        "/cases/",
        f"/cases/{records['case'].pk}/",
        "/notices/",
        f"/notices/{records['notice'].pk}/",
        "/blocking/orders/",
        f"/blocking/orders/{records['order'].pk}/",
        "/audit/",
    ]


def test_main_pages_have_no_serious_accessibility_violation(page, login, records, supervisor):
    login(supervisor)
    for path in main_pages(records):
        assert_accessible(page, path)


def test_people_page_has_no_serious_accessibility_violation(page, login, administrator):
    login(administrator)
    assert_accessible(page, "/people/")


def test_main_pages_fit_a_phone(page, login, records, supervisor):
    page.set_viewport_size(PHONE)
    login(supervisor)
    wide = {}
    for path in main_pages(records):
        page.goto(path)
        if (overflow := page_overflow(page)) > 0:
            wide[path] = overflow
    assert wide == {}


def test_notice_page_and_audit_trail_fit_a_desktop(page, login, records, supervisor):
    page.set_viewport_size(DESKTOP)
    login(supervisor)
    for path in (f"/notices/{records['notice'].pk}/", "/audit/"):
        page.goto(path)
        assert page_overflow(page) <= 0, path


def test_the_checker_does_find_a_grave_violation(page):
    # An image without a text alternative and a field without a label: axe must report both.
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"><input type="text"></main></html>')
    assert {"image-alt", "label"} <= {violation["id"] for violation in axe_violations(page)}
