import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role is a Django group of the same name; tracker/roles.py says what each may do."""

    ANALYST = "analyst", _("Analyst")
    LIAISON_OFFICER = "liaison_officer", _("Liaison officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    ISP = "isp", _("ISP")


TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractUser):
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Jakarta")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")

    def roles(self) -> set[str]:
        return {group.name for group in self.groups.all()}

    def has_role(self, *roles: str) -> bool:
        return self.groups.filter(name__in=roles).exists()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
