"""Reading people for the user pages and the API: roles and whether a second factor is set, in one query."""

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Prefetch
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.core.models import User


def people():
    return User.objects.annotate(
        has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    ).prefetch_related(Prefetch("groups", queryset=Group.objects.only("name")))


def role_names(user) -> list[str]:
    return sorted(group.name for group in user.groups.all())
