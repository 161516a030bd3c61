"""Bulk imports of items and the rows they refused."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.states import StateMachine
from tracker.items.models import Category, FlaggedItem


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
    # Claimed by the task that runs it (see services.run_import); a failed import is not retried by hand.
    STATE_MACHINE = StateMachine(
        "status",
        {
            Status.QUEUED: {Status.RUNNING},
            Status.RUNNING: {Status.DONE, Status.FAILED},
            Status.DONE: set(),
            Status.FAILED: set(),
        },
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    imported_count = models.PositiveIntegerField(_("new items"), default=0)
    merged_count = models.PositiveIntegerField(_("merged into existing items"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    # rows asking for normal urgency in a category that is always urgent: imported as urgent, each one's
    # sighting saying so
    raised_count = models.PositiveIntegerField(_("raised to urgent"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # While queued or running, the time after which no task is trusted to be on it: a queued import's
    # message was lost (Redis was down) or a running import's worker died. Set when queued, renewed by
    # every committed chunk, cleared when done or failed; the sweep (services.requeue_stuck_imports)
    # queues it again once it has passed.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "tracker"
        ordering = ["-created_at", "-id"]
        indexes = [
            # sweep: status in (queued, running) and lease_until <= now
            models.Index(
                fields=["lease_until"],
                name="itemimport_lease_due",
                condition=models.Q(status__in=["queued", "running"]),
            )
        ]

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
        app_label = "tracker"
        ordering = ["line"]
        indexes = [models.Index(fields=["item_import", "line"], name="importrejection_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"
