"""Who holds which role, changed only here: administrators act, and the powerful roles need two of them.

Analyst, liaison officer, auditor and ISP are given at once. Supervisor and administrator are requested by
one administrator and take effect only when a second one confirms, each giving a fresh second-factor code;
the supervisors are told of both steps (`powers_changed`, received by notices). Nobody changes their own
roles or account. Every step is in the audit trail.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.errors import DomainError, NotPermitted, require_permission
from tracker.core.models import AuditEntry, Role, User
from tracker.core.states import change_state

from . import second_factor
from .events import powers_changed
from .models import RoleGrant

POWERFUL_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


def _require_administrator(actor, subject=None) -> None:
    require_permission(actor, "accounts.add_rolegrant")
    if subject is not None and subject.pk == actor.pk:
        raise NotPermitted(_("Another administrator changes your own account."), code="own_account")


def _valid_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        message = _("Unknown role: %(role)s") % {"role": role}
        raise DomainError(message, fields={"role": [message]}) from None


def grant_role(*, actor, user: User, role: str, reason: str, otp_code: str = "") -> RoleGrant | None:
    """Give `role` at once, or (supervisor, administrator) ask a second administrator: returns the request."""
    _require_administrator(actor, user)
    role = _valid_role(role)
    if not reason.strip():
        raise DomainError(_("Say why."), fields={"reason": [_("This field is required.")]})
    if user.has_role(role):
        raise DomainError(_("%(user)s already has that role.") % {"user": user.username}, fields={"role": ["-"]})
    if role not in POWERFUL_ROLES:
        with transaction.atomic():
            user.groups.add(Group.objects.get(name=role))
            audit.record(
                obj=user, action=AuditEntry.Action.CHANGE, actor=actor, changes={"roles": [None, role]}, reason=reason
            )
        return None
    second_factor.require_fresh_code(actor, otp_code)
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(user=user, role=role, requested_by=actor, reason=reason)
            audit.record_creation(grant, actor=actor, reason=reason)
    except IntegrityError:
        raise DomainError(_("That role is already waiting for a second administrator.")) from None
    transaction.on_commit(
        lambda: powers_changed.send(sender=RoleGrant, grant=grant, user=grant.user, event="requested")
    )
    return grant


def confirm_grant(*, actor, grant: RoleGrant, otp_code: str) -> RoleGrant:
    _require_administrator(actor, grant.user)
    if actor.pk == grant.requested_by_id:
        raise NotPermitted(_("A second administrator confirms: not the one who asked."), code="four_eyes")
    second_factor.require_fresh_code(actor, otp_code)
    with transaction.atomic():
        grant = change_state(
            grant,
            to=RoleGrant.Status.CONFIRMED,
            actor=actor,
            also={"decided_by": actor, "decided_at": timezone.now()},
            refusal=_("This request was decided already."),
        )
        grant.user.groups.add(Group.objects.get(name=grant.role))
        audit.record(
            obj=grant.user,
            action=AuditEntry.Action.CHANGE,
            actor=actor,
            changes={"roles": [None, grant.role]},
            reason=_("role confirmed by a second administrator (request %(id)s)") % {"id": grant.pk},
        )
    transaction.on_commit(
        lambda: powers_changed.send(sender=RoleGrant, grant=grant, user=grant.user, event="confirmed")
    )
    return grant


def refuse_grant(*, actor, grant: RoleGrant, reason: str) -> RoleGrant:
    _require_administrator(actor)
    if not reason.strip():
        raise DomainError(_("Say why."), fields={"reason": [_("This field is required.")]})
    return change_state(
        grant,
        to=RoleGrant.Status.REFUSED,
        actor=actor,
        reason=reason,
        also={"decided_by": actor, "decided_at": timezone.now()},
        refusal=_("This request was decided already."),
    )


def remove_role(*, actor, user: User, role: str, reason: str) -> None:
    _require_administrator(actor, user)
    role = _valid_role(role)
    if not reason.strip():
        raise DomainError(_("Say why."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        if role == Role.ADMINISTRATOR and _active_administrators().exclude(pk=user.pk).count() == 0:
            raise DomainError(_("The last administrator keeps the role."))
        user.groups.remove(Group.objects.get(name=role))
        audit.record(
            obj=user, action=AuditEntry.Action.CHANGE, actor=actor, changes={"roles": [role, None]}, reason=reason
        )


def set_active(*, actor, user: User, active: bool, reason: str) -> None:
    """Deactivate (ends the person's API tokens) or reactivate an account."""
    _require_administrator(actor, user)
    if not reason.strip():
        raise DomainError(_("Say why."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if (
            not active
            and locked.has_role(Role.ADMINISTRATOR)
            and _active_administrators().exclude(pk=user.pk).count() == 0
        ):
            raise DomainError(_("The last administrator cannot be deactivated."))
        audit.save_changes(locked, {"is_active": active}, actor=actor, reason=reason)


def invite(
    *,
    actor,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str = "",
    otp_code: str = "",
) -> tuple[User, str]:
    """A new account without a password, and the link (to hand over) where its owner chooses one. A powerful
    role is requested like any other grant: it waits for a second administrator."""
    _require_administrator(actor)
    username = username.strip()
    if not username:
        raise DomainError(_("A user name is needed."), fields={"username": [_("This field is required.")]})
    if User.objects.filter(username__iexact=username).exists():
        message = _("That user name is taken.")
        raise DomainError(message, fields={"username": [message]})
    with transaction.atomic():
        user = User(username=username, email=email.strip(), first_name=first_name.strip(), last_name=last_name.strip())
        user.set_unusable_password()
        user.save()
        audit.record_creation(user, actor=actor, reason=_("invited"))
        if role:
            grant_role(actor=actor, user=user, role=role, reason=_("invited"), otp_code=otp_code)
    return user, set_password_link(user)


def set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})


def _active_administrators():
    return User.objects.filter(groups__name=Role.ADMINISTRATOR, is_active=True)
