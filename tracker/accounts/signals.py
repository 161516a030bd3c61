"""A new password or a deactivated account ends every API token the person held; signing in notes whether
the person must give a second factor."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .middleware import IDLE_KEY
from .second_factor import SESSION_REQUIRED_KEY, required_for
from .tokens import revoke_all_tokens_of


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.end_tokens")
def end_tokens_on_new_password_or_deactivation(sender, instance, created, **kwargs):
    if created:
        return
    if getattr(instance, "_password_was_changed", False):
        revoke_all_tokens_of(instance, reason="password changed")
    elif not instance.is_active:
        revoke_all_tokens_of(instance, reason="account deactivated")


@receiver(user_logged_in, dispatch_uid="accounts.second_factor_required")
def remember_whether_a_second_factor_is_required(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_REQUIRED_KEY] = required_for(user)
        request.session[IDLE_KEY] = int(time.time())
