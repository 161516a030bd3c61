"""Queueing background work when the queue (Redis) may be down.

Every task the tracker queues after a commit has a sweep behind it that finds the work again (queued
deliveries, imports past their lease, orders due, checks due). So a queue that cannot be reached is logged,
not raised: the change the person made is saved, and they get their answer instead of an error.
"""

import logging

import kombu.exceptions
import redis.exceptions

logger = logging.getLogger(__name__)

QUEUE_DOWN = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)


def queue(send, *args, what: str, **options) -> bool:
    """`send(*args, **options)` (a task's `delay` or `apply_async`); False, logged, when the queue is down."""
    try:
        send(*args, **options)
    except QUEUE_DOWN as exc:
        logger.warning("queue unreachable (%s: %s): %s waits for its sweep", type(exc).__name__, exc, what)
        return False
    return True
