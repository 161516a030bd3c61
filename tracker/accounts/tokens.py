"""Issuing and revoking API tokens.

A token is a random key shown once; the tracker keeps its SHA-256 (a 256-bit random key needs no slow
hash) and its first characters, to tell tokens apart in lists. Each has a name and an expiry. A person
issues and revokes their own; an administrator issues and revokes anyone's (ISP accounts, scripts). An
ISP rotates without downtime by issuing the new token before revoking the old one: both work meanwhile.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import is_system
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry

from .models import ApiToken

PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def may_manage_tokens_of(actor, owner) -> bool:
    """A person manages their own tokens; an administrator manages everyone's."""
    if is_system(actor):
        return True
    return actor.is_authenticated and (actor.pk == owner.pk or actor.has_perm("accounts.change_apitoken"))


def issue_token(*, actor, owner, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `owner`; returns it with the key, which is never shown again."""
    if not may_manage_tokens_of(actor, owner):
        raise NotPermitted(_("You may issue tokens only for yourself."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Say what the token is for."), fields={"name": [_("This field is required.")]})
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        message = _("A token lasts from 1 to %(max)s days.") % {"max": settings.API_TOKEN_MAX_DAYS}
        raise DomainError(message, fields={"days": [message]})
    if not owner.is_active:
        raise DomainError(_("The account is deactivated."))
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=owner,
            name=name[:100],
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_key(key),
            created_by=actor if actor.is_authenticated else None,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            obj=token,
            action=AuditEntry.Action.CREATE,
            actor=actor,
            changes={
                "user": [None, owner.username],
                "name": [None, token.name],
                "expires_at": [None, token.expires_at],
            },
            reason=_("API token issued"),
        )
    return token, key


def revoke_token(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    if not may_manage_tokens_of(actor, token.user):
        raise NotPermitted(_("You may revoke only your own tokens."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            audit.save_changes(
                locked,
                {"revoked_at": timezone.now(), "revoked_reason": (reason or _("revoked"))[:200]},
                actor=actor,
                reason=reason,
            )
    return locked


def revoke_all_tokens_of(user, *, reason: str) -> int:
    """Every token the person holds stops working (a new password, a deactivated account)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )


def authenticate_key(key: str) -> ApiToken | None:
    """The usable token with this key, or None. Marks when it was last used, at most once an hour."""
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
