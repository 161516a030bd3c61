"""The platform registry: who runs a platform, how to reach them, which names are theirs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    operator_legal_name = models.CharField(_("operator's legal name"), max_length=200, blank=True)
    home_country = models.CharField(_("home country"), max_length=2, blank=True, help_text=_("ISO 3166 code"))
    website = models.URLField(_("website"), blank=True)
    language = models.CharField(_("notice language"), max_length=8, default="en")
    has_government_channel = models.BooleanField(_("government channel exists"), default=False)
    has_representative_office = models.BooleanField(_("representative office in the country"), default=False)
    representative_office_address = models.TextField(_("representative office address"), blank=True)
    trusted_flagger_since = models.DateField(_("trusted flagger since"), null=True, blank=True)
    trusted_flagger_granted_by = models.CharField(_("trusted flagger granted by"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlatformHost(models.Model):
    """A host whose URLs are this platform's content (t.me, telegram.me, ...)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(_("host"), max_length=255, unique=True)

    class Meta:
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host


class PlatformDomain(models.Model):
    """A DNS name the platform owns: what a block order would list."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(_("DNS name"), max_length=253)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["platform", "name"], name="platformdomain_unique")]

    def __str__(self) -> str:
        return self.name


class PlatformContact(models.Model):
    class Role(models.TextChoices):
        LEGAL = "legal", _("legal")
        ABUSE = "abuse", _("abuse")
        GOVERNMENT_LIAISON = "government_liaison", _("government liaison")

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["role", "email"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"
