"""ISPs, block proposals and block orders."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BlockProposal(models.Model):
    """A proposal to block a platform's DNS names, made when a case's escalation ladder runs out.

    Made by the escalation sweep (or a person); a supervisor turns it into a block order
    or dismisses it.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ORDERED = "ordered", _("turned into an order")
        DISMISSED = "dismissed", _("dismissed")

    case = models.ForeignKey("tracker.Case", on_delete=models.PROTECT, related_name="block_proposals")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_label = models.CharField(_("proposed by"), max_length=150)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            # the sweep may run twice: one open proposal per case
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="open"), name="blockproposal_one_open_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"Block proposal for {self.case}"
