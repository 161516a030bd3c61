"""/healthz while Redis restarts: 503 naming what is down, never a 500, and 200 again once it is back.

The broker is a real redis-server the test starts and stops on a free loopback port, with a real Celery
worker consuming from it.
"""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ROOT, wait_for
from tests.services import require_program
from tracker.conf import health
from tracker.core.models import Heartbeat

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on one loopback port, stopped and started again on the same port."""

    def __init__(self, program: str, port: int):
        self.program, self.port, self.process = program, port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, interval=0.05, message="redis-server to start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
        except (redis.RedisError, OSError):
            return False


@pytest.fixture
def broker(settings):
    """A redis-server of the test's own, and the health check pointed at it."""
    server = RedisServer(require_program("redis-server", "redis-server"), free_port())
    server.start()
    settings.CELERY_BROKER_URL = server.url
    settings.HEALTH_WORKER_TIMEOUT = 0.5
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture
def worker(broker):
    """A real Celery worker consuming from that redis-server."""
    node = f"health-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "CELERY_BROKER_URL": broker.url, "REDIS_URL": broker.url}
    log = open(Path(settings.VAR_DIR) / f"{node}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tracker.conf", "worker", "--pool", "solo", "--hostname", node,
         "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: process.poll() is not None or health.check_worker()[0], message="the worker to answer")
        assert process.poll() is None, Path(log.name).read_text()[-3000:]
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def healthz(client):
    response = client.get(reverse("healthz"))
    assert response.status_code in (200, 503), response.content[:500]
    return response.status_code, response.json()["checks"]


@pytest.mark.worker
def test_healthz_answers_503_naming_redis_while_it_restarts_and_200_once_it_is_back(client, broker, worker):
    Heartbeat.objects.create(component="beat", seen_at=timezone.now())
    assert healthz(client)[0] == 200

    broker.stop()
    status, checks = healthz(client)
    assert status == 503
    assert checks["broker"]["ok"] is False and "Connection refused" in checks["broker"]["detail"]
    assert checks["worker"] == {"ok": False, "detail": "broker unavailable"}
    assert checks["database"]["ok"] is True and checks["beat"]["ok"] is True

    broker.start()
    wait_for(lambda: healthz(client)[0] == 200, timeout=30, message="/healthz to answer 200 again")


def test_a_connection_lost_while_workers_answer_is_a_503_naming_it(client, broker, monkeypatch):
    def connection_lost(self, *args, **kwargs):
        raise redis.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(health.Mailbox, "multi_call", connection_lost)
    status, checks = healthz(client)
    assert status == 503
    assert checks["broker"]["ok"] is True
    assert checks["worker"] == {"ok": False, "detail": "Connection closed by server."}


def test_a_check_that_breaks_unexpectedly_is_a_503_naming_it(client, broker, monkeypatch):
    def database_gone(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(health, "check_beat", database_gone)
    status, checks = healthz(client)
    assert status == 503
    assert checks["beat"] == {"ok": False, "detail": "DatabaseError: server closed the connection unexpectedly"}
