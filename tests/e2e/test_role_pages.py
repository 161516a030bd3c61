"""The login page and each role's start page, in real headless Chromium."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_renders_and_refuses_a_wrong_password(page, analyst):
    page.goto("/login/")
    page.fill("#id_username", analyst.username)
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("Your username and password did not match")


@pytest.mark.parametrize(
    ("role", "sees_audit_trail"),
    [("analyst", False), ("liaison_officer", False), ("supervisor", True), ("auditor", True), ("administrator", True)],
)
def test_each_role_gets_a_start_page_and_navigation_that_fits(page, login, make_user, role, sees_audit_trail):
    user = make_user(role)
    login(user)
    assert page.locator("h1").inner_text() == f"Welcome, {user.display_name}"
    assert (page.locator("nav.mainnav >> text=Audit trail").count() == 1) is sees_audit_trail
    # The server refuses what the navigation hides.
    response = page.goto("/audit/")
    assert response.status == (200 if sees_audit_trail else 403)


def test_page_loads_nothing_from_outside(page, login, auditor):
    outside = []
    page.on("request", lambda request: outside.append(request.url) if "127.0.0.1" not in request.url else None)
    login(auditor)
    page.goto("/audit/")
    assert outside == []
