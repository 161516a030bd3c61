"""Every sign-in and every failed one goes into the audit trail, with the address it came from.

django-axes (settings, "Sign-in") counts the failures and locks an account or address out; this module
only records. A failure is recorded on the account it named, if there is one; a guess at a name nobody has
is kept by django-axes alone, so the trail never lists names that are not people's.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from tracker.core import audit
from tracker.core.actors import SystemActor
from tracker.core.models import AuditEntry

SIGN_IN = SystemActor("sign-in")


def record_sign_in(sender, request, user, **kwargs) -> None:
    if not getattr(request, "path", ""):
        return  # not through a page (a test client's force_login): nobody signed in
    audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=user, reason="signed in")


def record_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    username = (credentials or {}).get("username") or ""
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=SIGN_IN, reason="sign-in failed")


def connect() -> None:
    user_logged_in.connect(record_sign_in, dispatch_uid="tracker.record_sign_in")
    user_login_failed.connect(record_failed_sign_in, dispatch_uid="tracker.record_failed_sign_in")
