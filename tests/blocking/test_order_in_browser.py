"""Done when: a case's block proposal becomes an order, is approved by a second supervisor, issued at its
effective time, acknowledged by an ISP through the API, verifies and blocks in a real resolver, and is lifted.
Real headless Chromium, a real Celery worker sending the mail, a real Unbound."""

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dns.rcode
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from blocking import signing
from blocking.models import BlocklistEntry, BlockOrder
from blocking.services import propose_block
from blocking.tasks import run_sweep
from blocking.verify_blocklist import load_public_key, verify
from tests.blocking.test_real_resolver import TEST_ZONE, Unbound, ask
from tests.conftest import give_second_factor, wait_for
from tests.factories import PASSWORD, CaseFactory, PlatformDomainFactory, api_token, second_factor_code
from tests.factories_blocking import ISPFactory, isp_user
from tracker.core.actors import SWEEP

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ZONE = TEST_ZONE + "telegram 300 IN A 192.0.2.50\nweb.telegram 300 IN A 192.0.2.51\n"


def local_minute(at) -> str:
    return at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M")


def second_window(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    give_second_factor(page, user)
    return page


def approve(page, order, approver):
    page.goto(f"/blocking/orders/{order.pk}/")
    page.fill("#approve-password", PASSWORD)
    page.fill("#approve-otp-code", second_factor_code(approver))
    page.click("#approve-form button[type=submit]")
    assert page.locator("#order-status").inner_text() == "approved"


def test_proposal_to_order_to_issue_to_lift(
    page, login, browser, live_server, make_user, celery_worker_process, tmp_path
):
    proposer, approver = make_user("supervisor"), make_user("supervisor")
    case = CaseFactory(title="Telegram terror channels")
    for name in ("telegram.test", "web.telegram.test"):
        PlatformDomainFactory(platform=case.platform, name=name)
    propose_block(case=case, reason="Six notices between 29 March 2016 and 11 June 2017 went unanswered", actor=SWEEP)
    isp = ISPFactory(name="Telkom", contact_email="noc@telkom.example")
    outbox = Path(settings.EMAIL_FILE_PATH)

    # A supervisor turns the proposal into an order, the names prefilled from the platform's domains.
    login(proposer)
    page.goto("/blocking/orders/")
    page.click("text=Draft a block order")
    assert page.input_value("#id_names") == "telegram.test\nweb.telegram.test"
    page.fill("#id_legal_basis", "Law 19/2016 art. 40(2b)")
    page.fill("#id_effective_at", local_minute(timezone.now() + timedelta(minutes=3)))
    page.click("#order-form button[type=submit]")
    page.click("#submit-for-approval")
    assert page.locator("#order-status").inner_text() == "awaiting approval"
    order = BlockOrder.objects.get()
    assert page.locator("#approve-form").count() == 0  # the proposer is offered no approval

    # A second supervisor approves, confirming the password again.
    approver_page = second_window(browser, live_server, approver)
    approver_page.goto(f"/blocking/orders/{order.pk}/")
    approver_page.fill("#approve-password", "not my password")
    approver_page.fill("#approve-otp-code", second_factor_code(approver))
    approver_page.click("#approve-form button[type=submit]")
    assert "password is not correct" in approver_page.locator(".messages").inner_text()
    approve(approver_page, order, approver)

    # At the effective time the sweep issues it; the worker mails the ISP.
    order.refresh_from_db()
    with time_machine.travel(order.effective_at - timedelta(seconds=1), tick=False):
        assert run_sweep()["issued"] == 0
    with time_machine.travel(order.effective_at, tick=False):
        assert run_sweep()["issued"] == 1
    wait_for(
        lambda: [
            mail
            for mail in outbox.glob("*.log")
            if order.reference in (text := mail.read_text()) and "noc@telkom.example" in text
        ],
        message="the order mail to the ISP",
    )

    # The ISP acknowledges and reports it implemented through the API; the order page shows it.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(isp_user(isp))}")
    assert api.post(f"/api/v1/block-orders/{order.pk}/acknowledge/").status_code == 200
    assert api.post(f"/api/v1/block-orders/{order.pk}/implemented/").status_code == 200
    page.goto(f"/blocking/orders/{order.pk}/")
    assert page.locator("#order-status").inner_text() == "in force"
    assert "implemented" in page.locator("#recipients").inner_text()

    # The signed RPZ, downloaded as the ISP would, verifies and blocks in a real resolver.
    rpz = tmp_path / "blocklist.rpz"
    rpz.write_bytes(page.request.get("/api/v1/blocklist/export/rpz/").body())
    signature = tmp_path / "blocklist.rpz.sig"
    signature.write_bytes(page.request.get("/api/v1/blocklist/export/rpz/signature/").body())
    public_key = page.request.get("/api/v1/blocklist/public-key/").json()["pem"]
    assert verify(rpz, signature, load_public_key(public_key))["serial"] == "1"
    assert public_key == signing.public_key_pem()
    with Unbound(tmp_path / "unbound", rpz, ZONE) as resolver:
        assert ask("web.telegram.test.", resolver.port).rcode() == dns.rcode.NXDOMAIN
        assert ask("open.test.", resolver.port).rcode() == dns.rcode.NOERROR

    # Later a lift removes one name in a new version.
    page.click("#lift-link")
    page.fill("#id_names", "web.telegram.test")
    page.fill("#id_justification", "Telegram apologised and opened a government channel")
    page.fill("#id_effective_at", local_minute(timezone.now() + timedelta(minutes=3)))
    page.click("#lift-form button[type=submit]")
    page.click("#submit-for-approval")
    lift = BlockOrder.objects.get(kind=BlockOrder.Kind.LIFT)
    approve(approver_page, lift, approver)
    lift.refresh_from_db()
    with time_machine.travel(lift.effective_at, tick=False):
        assert run_sweep()["issued"] == 1
    page.goto("/blocking/blocklist/")
    assert page.locator("h1").inner_text() == "Blocklist, version 2"
    assert list(BlocklistEntry.objects.values_list("name", flat=True)) == ["telegram.test"]
    diff = page.request.get("/api/v1/blocklist/diff/?from=1&to=2").text()
    assert diff.splitlines()[1:] == ["-web.telegram.test"]
    page.goto(f"/blocking/orders/{order.pk}/")
    assert "lifted" in page.locator("#order-names").inner_text()
    assert json.loads(signature.read_text())["format"] == "rpz"
