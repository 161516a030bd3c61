"""Issuing and revoking API tokens.

A token is a random key shown once; the tracker keeps its SHA-256 (a 256-bit random key needs no slow
hash) and its first characters, to tell tokens apart in lists. Each has a name and an expiry. A person
issues and revokes their own; an administrator issues and revokes anyone's (ISP accounts, scripts). An
ISP rotates without downtime by issuing the new token before revoking the old one: both work meanwhile.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import is_system
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry
from tracker.core.prepared import from_row, read_row

from .backends import keep_permissions, permission_ids_column, permission_names
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
    """The usable token with this key, or None. Marks when it was last used, at most once an hour.

    It is the cost every API request pays, so the token, its holder and (on PostgreSQL) the holder's
    permissions are read by one statement (`usable_token_statement`), written once rather than composed by the
    ORM on each request, and on PostgreSQL prepared once per database session; elsewhere the permissions are
    read on the first check, as usual."""
    now = timezone.now()
    token = _read_usable_token(hash_key(key), now)
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@functools.cache
def usable_token_statement(alias: str) -> str:
    """SQL for ApiToken.objects.usable().select_related("user").get(key_hash=…): the token's columns, then its
    holder's, then (PostgreSQL) the ids of the holder's permissions, their own and their groups'."""
    User, connection = get_user_model(), connections[alias]
    quote_name = connection.ops.quote_name
    token_table, user_table = ApiToken._meta.db_table, User._meta.db_table
    columns = [f"t.{quote_name(field.column)}" for field in ApiToken._meta.concrete_fields]
    columns += [f"u.{quote_name(field.column)}" for field in User._meta.concrete_fields]
    if connection.vendor == "postgresql":
        columns.append(permission_ids_column(connection, "t.user_id"))
    return (
        f"SELECT {', '.join(columns)} FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "  # noqa: S608
        "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active"
    )


def _read_usable_token(key_hash: str, now) -> ApiToken | None:
    User = get_user_model()
    connection = connections[router.db_for_read(ApiToken)]
    params = [key_hash, connection.ops.adapt_datetimefield_value(now)]
    row = read_row(
        connection, "tracker_usable_token", usable_token_statement(connection.alias), ["text", "timestamptz"], params
    )
    if row is None:
        return None
    token_fields, user_fields = ApiToken._meta.concrete_fields, User._meta.concrete_fields
    token = from_row(ApiToken, connection, row[: len(token_fields)])
    user = from_row(User, connection, row[len(token_fields) : len(token_fields) + len(user_fields)])
    token.user = user
    if len(row) > len(token_fields) + len(user_fields):
        keep_permissions(user, permission_names(row[-1]))
    return token
