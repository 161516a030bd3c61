from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
        ordering = ["-logged_at", "-id"]
        permissions = [("verify_flaggeditem", "Can verify a flagged item logged by someone else")]
        indexes = [
            # item list filtered by platform / status / category, newest first
            models.Index(fields=["platform", "status", "logged_at"], name="item_platform_status"),
            models.Index(fields=["status", "logged_at"], name="item_status_logged"),
            models.Index(fields=["category", "logged_at"], name="item_category_logged"),
            models.Index(fields=["urgency", "logged_at"], name="item_urgency_logged"),
            models.Index(fields=["logged_at"], name="item_logged_at"),
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
        ordering = ["reported_at", "id"]
        indexes = [
            # item page: an item's sightings in time order
            models.Index(fields=["item", "reported_at"], name="sighting_item_reported"),
        ]

    def __str__(self) -> str:
        return f"{self.entered_as} ({self.reported_at:%Y-%m-%d})"


class EvidenceImmutable(Exception):
    """Evidence, once attached, is never changed or deleted; a correction adds a new file."""


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise EvidenceImmutable("evidence cannot be changed")

    def delete(self):
        raise EvidenceImmutable("evidence cannot be deleted")


class EvidenceFile(models.Model):
    """The bytes of one evidence file, stored once under EVIDENCE_ROOT by SHA-256 however often attached."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("detected type"), max_length=100)
    stored_path = models.CharField(max_length=300, help_text="relative to EVIDENCE_ROOT")
    stored_at = models.DateTimeField(default=timezone.now)

    objects = _AppendOnlyQuerySet.as_manager()

    def __str__(self) -> str:
        return self.sha256

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EvidenceImmutable("evidence files cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EvidenceImmutable("evidence files cannot be deleted")


class Evidence(models.Model):
    """An evidence file attached to an item: who captured it, when, and what it corrects, if anything."""

    item = models.ForeignKey(FlaggedItem, on_delete=models.PROTECT, related_name="evidence")
    file = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    captured_at = models.DateTimeField(_("captured at"))
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["attached_at", "id"]
        verbose_name_plural = _("evidence")
        constraints = [models.UniqueConstraint(fields=["item", "file"], name="evidence_once_per_item")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.file.sha256[:12]})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EvidenceImmutable("evidence cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EvidenceImmutable("evidence cannot be deleted")


class ItemImport(models.Model):
    """A pasted list or an uploaded CSV of items, imported by a Celery task in chunks with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    source_name = models.CharField(_("from"), max_length=255)
    stored_path = models.CharField(max_length=300, help_text="the rows as uploaded, relative to VAR_DIR")
    default_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    default_source = models.CharField(_("source"), max_length=20, choices=FlaggedItem.Source.choices, blank=True)
    default_platform = models.ForeignKey(
        "platforms.Platform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("platform of @handles"),
    )
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.PROTECT, related_name="imports", verbose_name=_("add to case")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    imported_count = models.PositiveIntegerField(_("new items"), default=0)
    merged_count = models.PositiveIntegerField(_("merged into existing items"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.source_name})"

    @property
    def percent_done(self) -> int:
        return 100 if not self.total_rows else min(100, self.processed_rows * 100 // self.total_rows)


class ImportRejection(models.Model):
    """One row an import could not take, with its line number and why."""

    item_import = models.ForeignKey(ItemImport, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField(_("line"))
    value = models.CharField(_("value"), max_length=2048)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["line"]
        indexes = [models.Index(fields=["item_import", "line"], name="importrejection_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class Case(models.Model):
    """The takedown effort against one platform for a set of items."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ESCALATED = "escalated", _("escalated")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    title = models.CharField(_("title"), max_length=200)
    platform = models.ForeignKey("platforms.Platform", on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    description = models.TextField(_("description"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    items = models.ManyToManyField(FlaggedItem, through="CaseItem", related_name="cases")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # case list filtered by platform and status, newest first
            models.Index(fields=["platform", "status", "opened_at"], name="case_platform_status"),
            models.Index(fields=["status", "opened_at"], name="case_status_opened"),
        ]

    def __str__(self) -> str:
        return self.title


class CaseItem(models.Model):
    """An item's membership of a case; removal keeps the row so history stays."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    item = models.ForeignKey(FlaggedItem, on_delete=models.PROTECT, related_name="memberships")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "item"], condition=Q(removed_at__isnull=True), name="caseitem_one_active_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} / {self.item}"
