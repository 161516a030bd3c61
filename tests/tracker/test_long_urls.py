"""Addresses longer than the tracker takes (REQUEST_URL_MAX_LENGTH) are refused by the tracker itself: 414 in
the API's error shape under /api/, a readable page elsewhere; gunicorn lets them through to it."""

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def long_query(total: int, path: str = "/api/v1/items/?q=") -> str:
    return path + "a" * (total - len(path))


def test_an_api_address_over_the_limit_is_refused_with_414_in_the_error_shape(client, settings):
    settings.REQUEST_URL_MAX_LENGTH = 4096
    response = client.get(long_query(5000))
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["status"], error["code"], error["fields"]) == (414, "uri_too_long", {})
    assert "5000 characters" in error["message"] and "4096" in error["message"]


def test_a_page_address_over_the_limit_gets_a_readable_page(client, settings):
    settings.REQUEST_URL_MAX_LENGTH = 4096
    response = client.get(long_query(5000, "/items/?q="))
    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "address is too long" in page and "aaaa" not in page  # the address is not shown back
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_limit_is_inclusive(client, settings, analyst):
    settings.REQUEST_URL_MAX_LENGTH = 200
    client.force_login(analyst)
    assert client.get(long_query(200)).status_code == 200
    assert client.get(long_query(201)).status_code == 414


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn():
    """The production web server, started with deploy/gunicorn.conf.py on a loopback port."""
    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "tracker.conf.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-3000:]}")
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stderr.close()


def test_gunicorn_lets_a_6000_character_address_through_to_the_tracker_s_own_414(gunicorn):
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
    connection.request("GET", long_query(6000), headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 414, body[:300]
    assert response.getheader("Content-Type") == "application/json"
    assert b'"code": "uri_too_long"' in body
