"""Re-checks of content a platform said it removed: fetched through a real forward proxy (tinyproxy) from a real
HTTP server on loopback standing in for the platform, classified by the seeded Telegram rules, acted upon."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from contextlib import closing
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from notices import egress, rechecks, replies, sending
from notices.models import ContentCheck, NoticeItem, Notification, PlatformPageRule
from tests.factories import FlaggedItemFactory, PlatformFactory
from tests.factories_notices import case_with_items
from tests.services import require_program, require_redis
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

PAGES = Path(__file__).parent / "pages"
Outcome = ContentCheck.Outcome


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform(BaseHTTPRequestHandler):
    """A platform's public pages: /<name> is a channel page, and a few addresses misbehave on purpose."""

    protocol_version = "HTTP/1.0"
    requests: list[tuple[str, str]] = []  # (path, Via header) of every request received

    def log_message(self, *args):
        pass

    def do_GET(self):
        Platform.requests.append((self.path, self.headers.get("Via", "")))
        name = self.path.strip("/").split("/")[-1]
        if self.path.startswith("/gone404/"):
            return self._send(404, b"<html>Not found</html>")
        if self.path.startswith("/gone410/"):
            return self._send(410, b"<html>Gone</html>")
        if self.path.startswith("/legal451/"):
            return self._send(451, b"<html>Unavailable for legal reasons</html>")
        if self.path.startswith("/geo/"):
            return self._send(200, self._page("telegram_geo_blocked.html", name))
        if self.path.startswith("/nosuch/"):
            return self._send(200, self._page("telegram_no_such_channel.html", name))
        if self.path.startswith("/renamed/"):
            return self._send(200, self._page("telegram_channel.html", "someone_else"))
        if self.path.startswith("/slow/"):
            time.sleep(3)
            return self._send(200, self._page("telegram_channel.html", name))
        if self.path.startswith("/huge/"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the size shows only while reading
            for _ in range(40):
                self.wfile.write(b"x" * 10_000)
            return None
        if self.path.startswith("/loop-a/"):
            return self._redirect(f"/loop-b/{name}")
        if self.path.startswith("/loop-b/"):
            return self._redirect(f"/loop-a/{name}")
        if self.path.startswith("/moved/"):
            return self._redirect(f"/{name}")
        return self._send(200, self._page("telegram_channel.html", name))

    def _page(self, template: str, name: str) -> bytes:
        return (PAGES / template).read_text().replace("{name}", name).encode()

    def _send(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "session=secret")
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def platform_server():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Platform)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    """A real forward proxy (tinyproxy) on a free loopback port, allowing 127.0.0.1 only."""
    program = require_program("tinyproxy", "tinyproxy")
    port = free_port()
    directory = tmp_path_factory.mktemp("tinyproxy")
    config = directory / "tinyproxy.conf"
    config.write_text(
        f"Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nLogLevel Error\n"
        f'LogFile "{directory / "tinyproxy.log"}"\nPidFile "{directory / "tinyproxy.pid"}"\n'
        "User nobody\nGroup nogroup\n"
    )
    directory.chmod(0o777)
    process = subprocess.Popen([program, "-d", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"tinyproxy did not start: {process.stderr.read().decode()[:500]}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=5)


@pytest.fixture
def egress_through_proxy(settings, proxy):
    require_redis()
    settings.RECHECK_PROXY_URL = proxy
    settings.RECHECK_CONNECT_TIMEOUT = 2
    settings.RECHECK_READ_TIMEOUT = 1
    settings.RECHECK_TOTAL_SECONDS = 5
    settings.RECHECK_MAX_BYTES = 100_000
    settings.RECHECK_MAX_REDIRECTS = 3
    settings.RECHECK_HOST_INTERVAL_SECONDS = 0.001
    redis.Redis.from_url(settings.REDIS_URL).delete("recheck:slots")
    return proxy


def telegram_item(address: str, **fields) -> FlaggedItem:
    platform = PlatformFactory(name="Telegram", url_rules="telegram")
    return FlaggedItemFactory(canonical=address, platform=platform, **fields)


def check_of(item, **fields) -> ContentCheck:
    return ContentCheck.objects.create(
        item=item, occasion=ContentCheck.Occasion.SCHEDULED, due_at=timezone.now(), **fields
    )


# --- classification through the real proxy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "outcome", "status_code"),
    [
        ("/seruanjihad", Outcome.PRESENT, 200),
        ("/moved/seruanjihad", Outcome.PRESENT, 200),
        ("/gone404/seruanjihad", Outcome.GONE, 404),
        ("/gone410/seruanjihad", Outcome.GONE, 410),
        ("/legal451/seruanjihad", Outcome.RESTRICTED, 451),
        ("/geo/seruanjihad", Outcome.RESTRICTED, 200),
        ("/nosuch/seruanjihad", Outcome.GONE, 200),
        ("/renamed/seruanjihad", Outcome.GONE, 200),
        ("/slow/seruanjihad", Outcome.UNREACHABLE, None),
        ("/huge/seruanjihad", Outcome.UNREACHABLE, None),
        ("/loop-a/seruanjihad", Outcome.UNREACHABLE, None),
    ],
)
def test_each_kind_of_page_is_classified(egress_through_proxy, platform_server, path, outcome, status_code):
    item = telegram_item(platform_server + path)
    check = check_of(item)
    started = time.monotonic()
    assert rechecks.make_check(check.pk) == outcome
    check.refresh_from_db()
    assert (check.outcome, check.status_code) == (outcome, status_code)
    assert check.checked_at is not None and check.elapsed_ms is not None
    assert time.monotonic() - started < 5  # a slow platform never holds the worker beyond the timeouts


def test_a_check_goes_through_the_proxy_and_keeps_its_evidence(egress_through_proxy, platform_server):
    item = telegram_item(f"{platform_server}/moved/viaproxy")
    check = check_of(item)
    rechecks.make_check(check.pk)
    check.refresh_from_db()
    assert any(path == "/moved/viaproxy" and "tinyproxy" in via for path, via in Platform.requests)
    assert check.final_url == f"{platform_server}/viaproxy"
    assert check.response_headers["content-type"].startswith("text/html")
    assert "set-cookie" not in check.response_headers
    assert check.saved_copy.sha256 == check.body_sha256 and len(check.body_sha256) == 64


def test_the_redirect_loop_and_the_huge_page_say_why(egress_through_proxy, platform_server):
    loop = egress.fetch(f"{platform_server}/loop-a/x")
    huge = egress.fetch(f"{platform_server}/huge/x")
    assert "redirect loop" in loop.problem
    assert "larger than 100000 bytes" in huge.problem and huge.body == b""


def test_with_no_proxy_configured_nothing_is_fetched(settings, platform_server):
    settings.RECHECK_PROXY_URL = ""
    item = telegram_item(f"{platform_server}/neverfetched")
    check = check_of(item)
    assert rechecks.make_check(check.pk) == Outcome.NOT_CONFIGURED
    assert not any(path == "/neverfetched" for path, _via in Platform.requests)
    with pytest.raises(egress.NotConfigured):
        egress.fetch(f"{platform_server}/neverfetched")
    check.refresh_from_db()
    assert check.status_code is None and check.checked_at is not None


def test_rules_are_data_an_administrator_may_change(egress_through_proxy, platform_server):
    rule = PlatformPageRule.objects.get(url_rules="telegram")
    rule.identifier_pattern = ""
    rule.save()
    item = telegram_item(f"{platform_server}/renamed/seruanjihad")
    assert rechecks.make_check(check_of(item).pk) == Outcome.PRESENT  # without the identifier rule, 200 is there


# --- what follows from a check ---------------------------------------------------------------------------------


def removed_per_platform(liaison_officer, platform_server, path="/seruanjihad"):
    platform = PlatformFactory(name="Telegram", url_rules="telegram")
    case, items = case_with_items(count=1, platform=platform)
    FlaggedItem.objects.filter(pk=items[0].pk).update(canonical=platform_server + path)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    replies.record_platform_reply(
        notice=notice,
        actor=liaison_officer,
        received_at=timezone.now(),
        channel="email",
        summary="Removed.",
        outcomes={items[0].pk: "removed"},
    )
    return case, FlaggedItem.objects.get(pk=items[0].pk), NoticeItem.objects.get(notice=notice)


def test_a_removed_answer_schedules_checks_at_once_a_day_and_a_week_later(
    liaison_officer, platform_server, django_capture_on_commit_callbacks, settings
):
    settings.RECHECK_PROXY_URL = ""
    with django_capture_on_commit_callbacks(execute=False):
        _case, item, entry = removed_per_platform(liaison_officer, platform_server)
    dues = [check.due_at - entry.outcome_at for check in ContentCheck.objects.filter(item=item)]
    assert [round(due.total_seconds() / 3600) for due in sorted(dues)] == [0, 24, 168]


def test_content_still_there_reopens_the_item_and_tells_the_case_owner(
    egress_through_proxy, platform_server, liaison_officer
):
    case, item, entry = removed_per_platform(liaison_officer, platform_server)
    assert item.status == FlaggedItem.Status.REMOVED
    check = ContentCheck.objects.filter(item=item).order_by("due_at").first()
    assert rechecks.make_check(check.pk) == Outcome.PRESENT
    item.refresh_from_db()
    entry.refresh_from_db()
    assert item.status == FlaggedItem.Status.IN_NOTICE
    assert entry.borne_out is False
    notification = Notification.objects.get(user=case.owner, kind=Notification.Kind.CONTENT_BACK)
    assert "SHA-256" in notification.body
    move = AuditEntry.objects.filter(object_id=str(item.pk), actor_label="content re-check").last()
    assert move is not None


def test_content_gone_bears_the_answer_out(egress_through_proxy, platform_server, liaison_officer):
    _case, item, entry = removed_per_platform(liaison_officer, platform_server, path="/gone410/seruanjihad")
    check = ContentCheck.objects.filter(item=item).order_by("due_at").first()
    assert rechecks.make_check(check.pk) == Outcome.GONE
    assert rechecks.make_check(check.pk) == Outcome.GONE  # run twice: nothing more happens
    entry.refresh_from_db()
    item.refresh_from_db()
    assert entry.borne_out is True and item.status == FlaggedItem.Status.REMOVED


def test_the_figures(liaison_officer, platform_server, settings):
    settings.RECHECK_PROXY_URL = ""
    _case, item, entry = removed_per_platform(liaison_officer, platform_server)
    sent_at = entry.notice.sent_at
    gone = check_of(item, notice_item=entry)
    ContentCheck.objects.filter(pk=gone.pk).update(
        outcome=Outcome.GONE, checked_at=sent_at + timedelta(hours=30), claimed_at=sent_at
    )
    back = check_of(item, notice_item=entry)
    ContentCheck.objects.filter(pk=back.pk).update(
        outcome=Outcome.PRESENT, checked_at=sent_at + timedelta(days=8), claimed_at=sent_at
    )
    NoticeItem.objects.filter(pk=entry.pk).update(borne_out=True)
    figures = rechecks.recheck_figures()
    assert figures["answers"] == 1 and figures["confirmed_share"] == 1.0
    assert figures["median_seconds_to_confirmed_removal"] == 30 * 3600
    assert figures["reuploads"] == 1


def test_no_answers_no_figures(db):
    assert rechecks.recheck_figures()["confirmed_share"] is None


# --- the limits ------------------------------------------------------------------------------------------------


def test_one_fetch_per_host_at_a_time(settings):
    require_redis()
    settings.RECHECK_HOST_INTERVAL_SECONDS = 60
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("recheck:host:slow.example")
    assert rechecks.take_host_turn("slow.example", client=client)
    assert not rechecks.take_host_turn("slow.example", client=client)
    assert rechecks.take_host_turn("other.example", client=client)
    client.delete("recheck:host:slow.example", "recheck:host:other.example")


def test_the_concurrency_cap_holds_across_holders(settings):
    require_redis()
    settings.RECHECK_CONCURRENCY = 1
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("recheck:slots")
    with rechecks.concurrency_slot(client=client) as first, rechecks.concurrency_slot(client=client) as second:
        assert (first, second) == (True, False)
    with rechecks.concurrency_slot(client=client) as again:
        assert again


def test_a_check_waits_for_its_host_turn(egress_through_proxy, platform_server, settings):
    settings.RECHECK_HOST_INTERVAL_SECONDS = 60
    redis.Redis.from_url(settings.REDIS_URL).delete("recheck:host:127.0.0.1")
    first, second = (
        check_of(telegram_item(f"{platform_server}/a1234")),
        check_of(FlaggedItemFactory(canonical=f"{platform_server}/b1234")),
    )
    assert rechecks.make_check(first.pk) == Outcome.PRESENT
    assert rechecks.make_check(second.pk) == rechecks.WAIT
    redis.Redis.from_url(settings.REDIS_URL).delete("recheck:host:127.0.0.1")


# --- on demand: who may ask ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "liaison_officer", "supervisor"])
def test_those_who_work_on_items_may_ask_for_a_check(
    role, make_user, api_client, settings, django_capture_on_commit_callbacks
):
    settings.RECHECK_PROXY_URL = ""
    item = FlaggedItemFactory()
    api_client.force_authenticate(make_user(role))
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client.post("/api/v1/content-checks/", {"item": item.pk}, format="json")
    assert response.status_code == 202, response.content
    check = ContentCheck.objects.get(item=item)
    assert check.occasion == ContentCheck.Occasion.ON_DEMAND
    created = AuditEntry.objects.filter(object_id=str(check.pk), action=AuditEntry.Action.CREATE)
    assert created.filter(content_type__model="contentcheck").exists()


@pytest.mark.parametrize("role", ["auditor", "administrator", "isp"])
def test_auditors_administrators_and_isps_may_not(role, make_user, api_client, client):
    item = FlaggedItemFactory()
    user = make_user(role)
    api_client.force_authenticate(user)
    assert api_client.post("/api/v1/content-checks/", {"item": item.pk}, format="json").status_code == 403
    client.force_login(user)
    assert client.post(reverse("notices-item-recheck", args=[item.pk])).status_code == 403
    with pytest.raises(Exception, match="permission"):
        rechecks.request_recheck(item=item, actor=user)
    assert not ContentCheck.objects.exists()


def test_the_item_page_lists_the_checks_and_has_the_button(
    analyst, client, settings, django_capture_on_commit_callbacks
):
    settings.RECHECK_PROXY_URL = ""
    item = FlaggedItemFactory()
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("notices-item-recheck", args=[item.pk]), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="content-check-list"' in page and 'id="recheck-form"' in page
    assert ContentCheck.objects.filter(item=item, requested_by=analyst).exists()


def test_the_sweep_hands_out_what_is_due_once_and_again_when_its_task_was_lost(monkeypatch, settings):
    from notices import tasks

    queued = []
    monkeypatch.setattr(tasks.make_content_check, "apply_async", lambda args, **options: queued.append(args[0]))
    item = FlaggedItemFactory()
    due = check_of(item)
    now = timezone.now()
    ContentCheck.objects.create(item=item, occasion=ContentCheck.Occasion.SCHEDULED, due_at=now + timedelta(days=1))
    assert rechecks.hand_out_due_checks(now=now) == [due.pk]
    assert rechecks.hand_out_due_checks(now=now) == []  # the same instant again: nothing more
    lease = timedelta(seconds=settings.RECHECK_LEASE_SECONDS)
    assert rechecks.hand_out_due_checks(now=now + lease - timedelta(seconds=1)) == []
    assert rechecks.hand_out_due_checks(now=now + lease + timedelta(seconds=1)) == [due.pk]  # its task was lost
    assert queued == [due.pk, due.pk]


def test_the_notice_page_and_api_say_the_answer_was_not_borne_out(
    egress_through_proxy, platform_server, liaison_officer, client, api_client
):
    _case, item, entry = removed_per_platform(liaison_officer, platform_server, path="/stillhere")
    rechecks.make_check(ContentCheck.objects.filter(item=item).order_by("due_at").first().pk)
    client.force_login(liaison_officer)
    assert (
        "not borne out: still there" in client.get(reverse("notices-detail", args=[entry.notice_id])).content.decode()
    )
    api_client.force_authenticate(liaison_officer)
    body = api_client.get(f"/api/v1/notices/{entry.notice_id}/").json()
    assert [row["borne_out"] for row in body["items"]] == [False]


def test_a_rule_that_is_not_a_regular_expression_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        PlatformPageRule(url_rules="x", geo_block_pattern="(", identifier_pattern="(a)(b)").full_clean()
    assert set(refused.value.message_dict) == {"geo_block_pattern", "identifier_pattern"}


def test_administrators_keep_the_rules_in_the_admin(make_user, client):
    administrator = make_user("administrator", is_staff=True)
    client.force_login(administrator)
    response = client.post(
        reverse("admin:notices_platformpagerule_add"),
        {"url_rules": "x", "geo_block_pattern": "(?i)withheld in your country", "identifier_pattern": "", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert PlatformPageRule.objects.get(url_rules="x").geo_block_pattern == "(?i)withheld in your country"
