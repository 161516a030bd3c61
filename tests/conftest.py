import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.services import CHROMIUM, require_chromium, require_postgresql, require_redis

ROOT = Path(__file__).resolve().parent.parent
# Real SMTP servers on loopback: the smtp_server and lossy_server fixtures.
pytest_plugins = ["tests.smtp_servers"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Without it Chromium still looks up outside hosts at every start.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests make hundreds of users; the production hasher's PBKDF2 rounds (about 0.3 s a user here) would be
    most of the run. Only the tests' own process: the production settings keep the strong hasher."""
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    strong = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    yield
    settings.PASSWORD_HASHERS = strong
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def pytest_addoption(parser):
    parser.addoption("--run-bench", action="store_true", help="run the benchmarks under tests/bench")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-bench"):
        return
    skip = pytest.mark.skip(reason="benchmark: run with make bench")
    for item in items:
        if "bench" in item.keywords:
            item.add_marker(skip)


def pytest_ignore_collect(collection_path, config):
    # Benchmarks are not part of `make test` at all (they are not skipped tests either).
    if not config.getoption("--run-bench") and "bench" in collection_path.parts:
        return True
    return None


SEEDS = [
    ("tracker.core.migrations.0004_categories_and_text_search", "seed_categories"),
    ("tracker.core.migrations.0011_reference_data_translations", "fill"),
    ("platforms.migrations.0003_advisory_reasons", "seed"),
    ("platforms.migrations.0004_reference_data_translations", "fill"),
    ("notices.migrations.0011_telegram_page_rule_and_recheck_sweep", "seed"),
]


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A request activates its user's language for the rest of the thread: a test after one in Bahasa Indonesia
    would otherwise read reference data (and look it up by name) in Indonesian."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _lists_count_afresh():
    """A large list's estimated count is kept a minute in the process; each test's tables are its own."""
    from tracker.core.keyset import forget_estimates

    forget_estimates()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test's flush empties every table, seeded reference data included: seed it again.

    (Role groups come back by themselves: the flush re-sends post_migrate.)
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    for module, function in SEEDS:
        getattr(import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """`force_login` means "signed in", past every step: for supervisors and administrators that includes the
    second factor. tests/core/test_second_factor.py signs in through the real steps."""
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    plain = ClientMixin.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def make_user(db):
    return factories.make_user


@pytest.fixture
def analyst(make_user):
    return make_user("analyst")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def administrator(make_user):
    return make_user("administrator", is_staff=True)


@pytest.fixture
def auditor(make_user):
    return make_user("auditor")


@pytest.fixture
def liaison_officer(make_user):
    return make_user("liaison_officer")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` process on the real broker, writing to this test's database.

    Needs PostgreSQL: another process cannot see an in-memory SQLite test database.
    """
    with running_celery_worker() as node:
        yield node


@pytest.fixture
def celery_worker_processes(transactional_db):
    """`celery_worker_processes(n)`: n real worker processes side by side (stopped at the test's end)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda count: [stack.enter_context(running_celery_worker()) for _ in range(count)]


@contextmanager
def running_celery_worker():
    """A real `celery worker` process (solo pool) on the real broker and this test's database; its node name."""
    require_postgresql()
    require_redis()
    from tracker.conf.celery import app

    node = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_MAIL_QUEUE": settings.CELERY_MAIL_QUEUE,
    }
    log = open(Path(settings.VAR_DIR) / f"{node}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tracker.conf",
            "worker",
            "--pool",
            "solo",
            "--hostname",
            node,
            "--queues",
            f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_MAIL_QUEUE}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the Celery worker did not start: {Path(log.name).read_text()[-3000:]}")
        yield node
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(condition, timeout: float = 30, interval: float = 0.2, message: str = "condition"):
    """Poll until `condition()` is truthy; for work done by another process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Jakarta")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page):
    def sign_in(user, password: str = factories.PASSWORD):
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        give_second_factor(page, user)
        return page

    return sign_in


def give_second_factor(page, user) -> None:
    """Supervisors and administrators are asked for a code after the password."""
    if "/account/second-factor/" in page.url:
        page.fill("#id_otp_code", factories.second_factor_code(user))
        page.click("#second-factor button[type=submit]")
        page.wait_for_url(lambda url: "/account/second-factor/" not in url)
