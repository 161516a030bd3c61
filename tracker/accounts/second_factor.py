"""The second factor: a TOTP app (django-otp), with single-use recovery codes.

Supervisors and administrators must have one: they sign in with it, and give a fresh code again to approve
a block order or confirm a role grant. Others may set one up. A recovery code works once, anywhere a code
is asked. An administrator can reset a person's second factor (a lost phone); it is audited.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.core import audit
from tracker.core.actors import is_system, require_actor
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry, Role

ROLES_NEEDING_IT = (Role.SUPERVISOR, Role.ADMINISTRATOR)
RECOVERY_CODES = 10
SESSION_REQUIRED_KEY = "second_factor_required"
CODE_FIELD = "otp_code"


def required_for(user) -> bool:
    return user.is_authenticated and user.has_role(*ROLES_NEEDING_IT)


def has_second_factor(user) -> bool:
    """An authenticator, or recovery codes left (the demo's accounts have only those)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def session_is_verified(request) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up (not confirmed yet): the same one until confirmed, so a reload keeps its QR."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def confirm_setup(request, code: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns the recovery codes, shown once."""
    user = request.user
    device = pending_device(user)
    if not device.verify_token(_digits(code)):
        raise DomainError(
            _("That code is not right. Check the phone's clock."), fields={CODE_FIELD: [_("Wrong code.")]}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=user, reason="second factor set up")
    otp_login(request, device)
    return codes


def verify_sign_in(request, code: str) -> None:
    """The second step of signing in."""
    device = match(request.user, code)
    if device is None:
        audit.record(
            obj=request.user, action=AuditEntry.Action.EVENT, actor=request.user, reason="wrong second-factor code"
        )
        raise DomainError(_("That code is not right."), fields={CODE_FIELD: [_("Wrong code.")]})
    otp_login(request, device)


def require_fresh_code(user, code: str) -> None:
    """Asked again for grave acts (approving a block order, confirming a role): a code, not a session."""
    if not has_second_factor(user):
        message = _("Set up a second factor (an authenticator app) before you do this.")
        raise NotPermitted(message)
    if not code or match(user, code) is None:
        message = _("Give a current code from your authenticator app (or a recovery code).")
        raise DomainError(message, fields={CODE_FIELD: [message]})


def match(user, code: str):
    """The confirmed device that accepts this code, or None: six digits go to the authenticator, anything else
    is taken as a recovery code (used up). Each device throttles its own failures, so one is tried, not both."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        return None
    if code.isdigit() and len(code) == 6:
        devices, token = TOTPDevice.objects.filter(user=user, confirmed=True), code
    else:
        devices, token = StaticDevice.objects.filter(user=user, confirmed=True), code.lower()
    for device in devices:
        if device.verify_token(token):
            return device
    return None


def reset(*, actor, user, reason: str) -> None:
    """Remove a person's second factor (a lost phone): they set up a new one at their next sign-in."""
    if not actor.has_perm("accounts.change_rolegrant") or actor.pk == user.pk:
        raise NotPermitted(_("Another administrator resets your second factor."))
    if not reason.strip():
        raise DomainError(_("Say why."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=actor, reason=f"second factor reset: {reason}")


def new_recovery_codes(user, code: str) -> list[str]:
    require_fresh_code(user, code)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=user, reason="new recovery codes")
    return codes


def issue_recovery_codes(*, actor, user, count: int = RECOVERY_CODES) -> list[str]:
    """More recovery codes, given by the system (the demo's accounts, which have no phone to scan with);
    codes the person holds stay valid."""
    require_actor(actor)
    if not is_system(actor):
        raise NotPermitted(_("Recovery codes are made by their owner."))
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        device = device or StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [secrets.token_hex(5) for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=actor, reason="recovery codes issued")
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())
