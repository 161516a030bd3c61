"""Issuing, revoking and reading calendar feeds.

Who may: every signed-in person, for themself (a feed shows only what their role lets them read). The secret
is the credential: 256 random bits, kept as a SHA-256 like API tokens, looked up by that hash, revocable.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.errors import NotPermitted
from tracker.core.models import AuditEntry

from .models import CalendarFeed

PREFIX_LENGTH = 8


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_feed(*, user) -> tuple[CalendarFeed, str]:
    """A new feed for `user` (their live one, if any, revoked); returns it with its secret, never shown again."""
    _require_person(user)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        _revoke_live(user, now=now, reason=_("replaced by a new calendar address"))
        feed = CalendarFeed.objects.create(
            user=user, secret_hash=_hash(secret), prefix=secret[:PREFIX_LENGTH], created_at=now
        )
        audit.record(obj=feed, action=AuditEntry.Action.CREATE, actor=user, reason=_("calendar address issued"))
    return feed, secret


def revoke_feed(*, user) -> bool:
    """Revoke `user`'s live feed; False if there was none."""
    _require_person(user)
    with transaction.atomic():
        return _revoke_live(user, now=timezone.now(), reason=_("calendar address revoked"))


def live_feed(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The live feed with this secret, its owner still active; None for anything else (revoked, unknown)."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(secret_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=timezone.now())
    return feed


def _revoke_live(user, *, now, reason: str) -> bool:
    feed = CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    if feed is None:
        return False
    audit.save_changes(feed, {"revoked_at": now}, actor=user, reason=reason)
    return True


def _require_person(user) -> None:
    if not user.is_authenticated or not user.is_active:
        raise NotPermitted(_("Sign in first."))
