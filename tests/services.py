"""Real services the tests talk to, and how a test says it needs one.

Outside CI a missing service skips the test with the reason; in CI (CI=true)
nothing may be skipped, so a missing service fails the test instead.
"""

import os
import shutil
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def require(service: str, available: bool, why: str) -> None:
    if available:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{service} is required in CI but is missing: {why}")
    pytest.skip(f"{service} not available: {why}")


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def require_redis() -> None:
    require("Redis", redis_is_up(), f"no answer at {settings.CELERY_BROKER_URL} (set REDIS_URL)")


def require_postgresql() -> None:
    require("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://... to run this test")


def require_chromium() -> None:
    require("Chromium", CHROMIUM.exists(), f"{CHROMIUM} not found (apt-get install chromium)")


def require_program(name: str, package: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    require(name, path is not None, f"apt-get install {package}")
    return path
