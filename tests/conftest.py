import os
import subprocess
import sys
import time
import uuid
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
    ("platforms.migrations.0003_advisory_reasons", "seed"),
]


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
    require_postgresql()
    require_redis()
    from tracker.conf.celery import app

    node = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE}
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
            settings.CELERY_TASK_DEFAULT_QUEUE,
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
        return page

    return sign_in
