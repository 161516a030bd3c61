"""Cases: the takedown effort against one platform for a set of items."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.states import StateMachine
from tracker.items.models import FlaggedItem


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
    STATE_MACHINE = StateMachine(
        "status",
        {
            Status.OPEN: {Status.ESCALATED, Status.BLOCKED, Status.CLOSED},
            Status.ESCALATED: {Status.OPEN, Status.BLOCKED, Status.CLOSED},
            Status.BLOCKED: {Status.ESCALATED, Status.CLOSED},
            Status.CLOSED: {Status.OPEN},
        },
    )
    description = models.TextField(_("description"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    items = models.ManyToManyField(FlaggedItem, through="CaseItem", related_name="cases")

    class Meta:
        app_label = "tracker"
        ordering = ["-opened_at", "-id"]
        indexes = [
            # case list filtered by platform and status, newest first, in its keyset order (opened_at, id)
            models.Index(fields=["platform", "status", "opened_at", "id"], name="case_platform_status"),
            models.Index(fields=["status", "opened_at", "id"], name="case_status_opened"),
            # case list unfiltered: ORDER BY opened_at DESC, id DESC from the cursor's position
            models.Index(fields=["opened_at", "id"], name="case_opened"),
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
        app_label = "tracker"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "item"], condition=Q(removed_at__isnull=True), name="caseitem_one_active_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} / {self.item}"
