"""Is every part of the tracker alive? Read by /healthz and by `make run`.

/healthz answers 200 when all is well and 503 naming what is down, never a 500: a monitor must be able to
tell "Redis is restarting" from "the web server is broken".
"""

import logging
from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu.exceptions import KombuError
from kombu.pidbox import Mailbox

from tracker.conf.celery import app as celery_app
from tracker.core.models import Heartbeat

logger = logging.getLogger(__name__)

# What talking to the broker may raise: redis-py's errors, sockets', and kombu's wrapping of both.
BROKER_ERRORS = (redis.RedisError, OSError, KombuError)


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except DatabaseError as exc:
        return False, str(exc)


def check_broker() -> tuple[bool, str]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
        return True, "pong"
    except BROKER_ERRORS as exc:
        return False, str(exc)
    finally:
        client.close()


def check_worker() -> tuple[bool, str]:
    """Ping the workers on the broker just checked, over a connection of this probe's own.

    Not Celery's `control.ping`: it publishes through the app's pooled connections, and one opened before
    Redis restarted is dead. A connection that cannot be made is not retried: the answer is "down", now.
    """
    conf = celery_app.conf
    mailbox = Mailbox(  # Celery's control mailbox, publishing on the connection it is bound to
        conf.control_exchange,
        type="fanout",
        accept=conf.accept_content,
        serializer=conf.task_serializer,
        queue_ttl=conf.control_queue_ttl,
        reply_queue_ttl=conf.control_queue_ttl,
        queue_expires=conf.control_queue_expires,
        reply_queue_expires=conf.control_queue_expires,
    )
    options = {"socket_connect_timeout": 1, "max_retries": 0}
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL, transport_options=options) as broker:
            replies = mailbox(broker).multi_call("ping", timeout=settings.HEALTH_WORKER_TIMEOUT)
    except BROKER_ERRORS as exc:
        return False, str(exc)
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} worker(s)"


def check_beat() -> tuple[bool, str]:
    """Beat schedules `tracker.heartbeat` every minute and a worker stamps it: both must be up."""
    try:
        beat = Heartbeat.objects.filter(component="beat").first()
    except DatabaseError as exc:
        return False, str(exc)
    if beat is None:
        return False, "no heartbeat yet"
    age = timezone.now() - beat.seen_at
    if age > timedelta(seconds=settings.HEALTH_BEAT_MAX_AGE):
        return False, f"last heartbeat {int(age.total_seconds())} s ago"
    return True, f"last heartbeat {int(age.total_seconds())} s ago"


def _run(check) -> tuple[bool, str]:
    try:
        return check()
    except Exception as exc:  # whatever breaks, the answer is "this part is down", never a 500
        logger.exception("health check %s failed", check.__name__)
        return False, f"{type(exc).__name__}: {exc}"


def report() -> tuple[bool, dict]:
    results = {"database": _run(check_database), "broker": _run(check_broker)}
    results["worker"] = _run(check_worker) if results["broker"][0] else (False, "broker unavailable")
    results["beat"] = _run(check_beat) if results["database"][0] else (False, "database unavailable")
    healthy = all(ok for ok, _ in results.values())
    return healthy, {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}


@never_cache
def healthz(request):
    healthy, checks = report()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
