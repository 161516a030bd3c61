"""Flagged items: one row per piece of content, with every report of it (sightings)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.states import StateMachine


class Urgency(models.TextChoices):
    URGENT = "urgent", _("urgent")
    NORMAL = "normal", _("normal")


class Category(models.Model):
    """A managed category of unlawful content, with the law that makes it so."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    legal_basis = models.TextField(_("legal basis"))
    default_urgency = models.CharField(_("default urgency"), max_length=8, choices=Urgency.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        app_label = "tracker"
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class FlaggedItem(models.Model):
    """One piece of content reported as unlawful, stored once per canonical form."""

    class Kind(models.TextChoices):
        CHANNEL = "channel", _("channel")
        GROUP = "group", _("group")
        ACCOUNT = "account", _("account")
        POST = "post", _("post")
        BOT = "bot", _("bot")
        WEB_PAGE = "web_page", _("web page")
        DOMAIN = "domain", _("domain")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        VERIFIED = "verified", _("verified")
        IN_NOTICE = "in_notice", _("in a notice")
        REMOVED = "removed", _("removed")
        RESTRICTED = "restricted", _("restricted in the country")
        REFUSED = "refused", _("refused")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    class Source(models.TextChoices):
        PATROL = "patrol", _("patrol")
        PUBLIC_COMPLAINT = "public_complaint", _("public complaint")
        AGENCY_REFERRAL = "agency_referral", _("agency referral")
        CRAWLER = "crawler", _("automated crawler")

    canonical = models.CharField(_("canonical form"), max_length=2048, unique=True)
    display = models.CharField(_("as shown"), max_length=2048)
    entered_as = models.CharField(_("as entered"), max_length=2048)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    host = models.CharField(_("host"), max_length=255, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    language = models.CharField(_("language"), max_length=16, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    # from-state -> states it may move to
    STATE_MACHINE = StateMachine(
        "status",
        {
            Status.NEW: {Status.VERIFIED, Status.CLOSED},
            Status.VERIFIED: {Status.IN_NOTICE, Status.CLOSED},
            Status.IN_NOTICE: {Status.REMOVED, Status.RESTRICTED, Status.REFUSED, Status.BLOCKED, Status.CLOSED},
            Status.REFUSED: {Status.IN_NOTICE, Status.BLOCKED, Status.CLOSED},
            # back in a notice: a re-check found the content still there (notices/rechecks.py)
            Status.REMOVED: {Status.IN_NOTICE, Status.CLOSED},
            Status.RESTRICTED: {Status.IN_NOTICE, Status.CLOSED},
            Status.BLOCKED: {Status.REMOVED, Status.RESTRICTED, Status.CLOSED},
            Status.CLOSED: set(),
        },
    )
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Kept on the item so lists show them without counting sightings row by row.
    sighting_count = models.PositiveIntegerField(_("reports"), default=1)
    last_reported_at = models.DateTimeField(_("last reported"), default=timezone.now)

    class Meta:
        app_label = "tracker"
        ordering = ["-logged_at", "-id"]
        permissions = [("verify_flaggeditem", "Can verify a flagged item logged by someone else")]
        indexes = [
            # item list (API and page) filtered by platform / status / category / urgency, newest first: each
            # ends in (logged_at, id), the list's keyset order, so a page is one index range scan, either way
            models.Index(fields=["platform", "status", "logged_at", "id"], name="item_platform_status"),
            models.Index(fields=["status", "logged_at", "id"], name="item_status_logged"),
            models.Index(fields=["category", "logged_at", "id"], name="item_category_logged"),
            models.Index(fields=["urgency", "logged_at", "id"], name="item_urgency_logged"),
            # item list unfiltered: ORDER BY logged_at DESC, id DESC LIMIT 51 from the cursor's position
            models.Index(fields=["logged_at", "id"], name="item_logged_at"),
            # item list ?ordering=last_reported_at (and -last_reported_at)
            models.Index(fields=["last_reported_at", "id"], name="item_last_reported"),
            # text search: trigram GIN indexes on UPPER(canonical) and UPPER(description), PostgreSQL only
            # (migration 0004), because icontains compiles to UPPER(col) LIKE UPPER(%s) there.
        ]

    def __str__(self) -> str:
        return self.display


class Sighting(models.Model):
    """One report of an item: the first report and every later one of the same canonical form."""

    item = models.ForeignKey(FlaggedItem, on_delete=models.CASCADE, related_name="sightings")
    entered_as = models.CharField(_("as entered"), max_length=2048)
    source = models.CharField(_("source"), max_length=20, choices=FlaggedItem.Source.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    item_import = models.ForeignKey(
        "ItemImport", null=True, blank=True, on_delete=models.PROTECT, related_name="sightings"
    )

    class Meta:
        app_label = "tracker"
        ordering = ["reported_at", "id"]
        indexes = [
            # item page: an item's sightings in time order
            models.Index(fields=["item", "reported_at"], name="sighting_item_reported"),
        ]

    def __str__(self) -> str:
        return f"{self.entered_as} ({timezone.localdate(self.reported_at):%Y-%m-%d})"
