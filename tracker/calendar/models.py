from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarFeed(models.Model):
    """A person's secret feed address. Only the SHA-256 of its secret is kept; the address is shown once, when
    issued. Issuing a new one revokes the old one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    secret_hash = models.CharField(max_length=64, unique=True)  # the feed's lookup: one indexed equality
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # at most one live feed a person
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(revoked_at__isnull=True), name="calendarfeed_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
