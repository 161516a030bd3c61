"""Evidence: files stored once by SHA-256 and attached to items; never changed or deleted."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.items.models import FlaggedItem


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

    class Meta:
        app_label = "tracker"

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
        app_label = "tracker"
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
