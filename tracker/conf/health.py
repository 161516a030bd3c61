"""Is every part of the tracker alive? Read by /healthz and by `make run`."""

from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from tracker.conf.celery import app as celery_app
from tracker.core.models import Heartbeat


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except DatabaseError as exc:
        return False, str(exc)


def check_broker() -> tuple[bool, str]:
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        return True, "pong"
    except (redis.RedisError, OSError) as exc:
        return False, str(exc)


def check_worker() -> tuple[bool, str]:
    try:
        replies = celery_app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT)
    except (redis.RedisError, OSError, celery_app.connection().connection_errors) as exc:
        return False, str(exc)
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} worker(s)"


def check_beat() -> tuple[bool, str]:
    """Beat schedules `tracker.heartbeat` every minute and a worker stamps it: both must be up."""
    beat = Heartbeat.objects.filter(component="beat").first()
    if beat is None:
        return False, "no heartbeat yet"
    age = timezone.now() - beat.seen_at
    if age > timedelta(seconds=settings.HEALTH_BEAT_MAX_AGE):
        return False, f"last heartbeat {int(age.total_seconds())} s ago"
    return True, f"last heartbeat {int(age.total_seconds())} s ago"


def report() -> tuple[bool, dict]:
    results = {"database": check_database(), "broker": check_broker()}
    results["worker"] = check_worker() if results["broker"][0] else (False, "broker unavailable")
    results["beat"] = check_beat() if results["database"][0] else (False, "database unavailable")
    healthy = all(ok for ok, _ in results.values())
    return healthy, {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}


@never_cache
def healthz(request):
    healthy, checks = report()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
