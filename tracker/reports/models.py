from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.states import StateMachine


class TransparencyReport(models.Model):
    """A periodic public report of the figures and the registers, drafted by a supervisor and approved by another.

    The approved edition is kept as it was published: its JSON, printable HTML and PDF, with their SHA-256. Nothing
    changes it afterwards (the service refuses, and `save` refuses too)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft, awaiting approval")
        APPROVED = "approved", _("approved and published")

    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    STATE_MACHINE = StateMachine("status", {Status.DRAFT: {Status.APPROVED}, Status.APPROVED: set()})
    content = models.JSONField(_("contents"), default=dict)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_json = models.BinaryField(_("published JSON"), blank=True, default=b"")
    published_html = models.BinaryField(_("published HTML"), blank=True, default=b"")
    published_pdf = models.BinaryField(_("published PDF"), blank=True, default=b"")
    json_sha256 = models.CharField(_("SHA-256 of the JSON"), max_length=64, blank=True)
    html_sha256 = models.CharField(_("SHA-256 of the HTML"), max_length=64, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)

    class Meta:
        ordering = ["-last_day", "-id"]
        permissions = [("approve_transparencyreport", "Can approve a transparency report for publication")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk and TransparencyReport.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            raise ValueError("an approved transparency report is kept as published")
        super().save(*args, **kwargs)
