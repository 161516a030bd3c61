"""The platform registry: who runs a platform, how to reach them, which names are theirs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.states import StateMachine


class UrlRules(models.TextChoices):
    """How a platform's URLs and handles are read (tracker/core/canonical.py holds each rule set)."""

    GENERIC = "generic", _("generic web addresses")
    TELEGRAM = "telegram", "Telegram"
    X = "x", "X (Twitter)"
    YOUTUBE = "youtube", "YouTube"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    WHATSAPP = "whatsapp", "WhatsApp"


class Platform(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    operator_legal_name = models.CharField(_("operator's legal name"), max_length=200, blank=True)
    home_country = models.CharField(_("home country"), max_length=2, blank=True, help_text=_("ISO 3166 code"))
    website = models.URLField(_("website"), blank=True)
    language = models.CharField(_("notice language"), max_length=8, default="en")
    url_rules = models.CharField(
        _("URL rules"),
        max_length=16,
        choices=UrlRules.choices,
        default=UrlRules.GENERIC,
        help_text=_("how its links and @handles are unified into one canonical form"),
    )
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


class AdvisoryReason(models.Model):
    """Why a government restricted a platform: a managed list, so advisories can be filtered by it."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GovernmentAdvisory(models.Model):
    """A government's advisory about platforms: who restricted what, by which letter, why, for whom."""

    class Measure(models.TextChoices):
        PROHIBITED = "prohibited", _("prohibited")
        RESTRICTED = "restricted", _("restricted")
        WARNED = "warned", _("warned against")
        GUIDANCE = "guidance", _("guidance on safe use")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("in force")
        LIFTED = "lifted", _("lifted")

    platforms = models.ManyToManyField(Platform, related_name="advisories", verbose_name=_("platforms"))
    authority = models.CharField(_("authority"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    scope = models.CharField(_("who is bound"), max_length=300)
    measure = models.CharField(_("measure"), max_length=16, choices=Measure.choices)
    reasons = models.ManyToManyField(AdvisoryReason, blank=True, related_name="advisories", verbose_name=_("reasons"))
    alternative = models.TextField(_("what to use instead"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_url = models.URLField(_("source address"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    STATE_MACHINE = StateMachine("status", {Status.IN_FORCE: {Status.LIFTED}, Status.LIFTED: set()})
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("government advisory")
        verbose_name_plural = _("government advisories")
        indexes = [
            # advisory list filtered by country / measure / status, newest first
            models.Index(fields=["country", "issued_on"], name="advisory_country_issued"),
            models.Index(fields=["status", "issued_on"], name="advisory_status_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.reference or self.issued_on}"
