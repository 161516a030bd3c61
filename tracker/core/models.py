"""Models of the core: people and their roles, the audit trail, the workers' heartbeat."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role is a Django group of the same name; tracker/core/roles.py and each app's roles.py say what each may do."""

    ANALYST = "analyst", _("Analyst")
    LIAISON_OFFICER = "liaison_officer", _("Liaison officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    ISP = "isp", _("ISP")


TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractUser):
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Jakarta")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._password_was_changed = True

    def save(self, *args, **kwargs):
        # Receivers of post_save see `_password_was_changed` (tracker/accounts/signals.py ends API tokens).
        super().save(*args, **kwargs)
        self._password_was_changed = False

    def roles(self) -> set[str]:
        return {group.name for group in self.groups.all()}

    def has_role(self, *roles: str) -> bool:
        return self.groups.filter(name__in=roles).exists()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AuditEntryImmutable(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEntryImmutable("audit entries cannot be changed")

    def delete(self):
        raise AuditEntryImmutable("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """One append-only row per create, change or state transition of a domain record.

    Timelines and record histories read these rows. Nothing edits or deletes them:
    the model refuses, and on PostgreSQL a trigger refuses too (migration 0002).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        TRANSITION = "transition", _("state changed")
        DELETE = "delete", _("deleted")
        EVENT = "event", _("event")

    class Source(models.TextChoices):
        UI = "ui", _("web interface")
        API = "api", _("API")
        TASK = "task", _("background task")
        COMMAND = "command", _("command line")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=150)
    source = models.CharField(_("from"), max_length=16, choices=Source.choices)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=255)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), blank=True)
    # The hash chain (tracker/core/audit_chain.py): set once, after commit, and never again.
    seal = models.BigIntegerField(_("link number"), null=True, blank=True, unique=True, editable=False)
    chain_hash = models.CharField(_("link hash"), max_length=64, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # record history: one object's entries in time order
            models.Index(fields=["content_type", "object_id", "at"], name="audit_record_history"),
            # auditor's list, newest first, filtered by time range: the keyset order (at, id)
            models.Index(fields=["at", "id"], name="audit_at"),
            # auditor's filter: what did this person do
            models.Index(fields=["actor", "at", "id"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M %Z} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEntryImmutable("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEntryImmutable("audit entries cannot be deleted")

    @property
    def record_model(self) -> type[models.Model] | None:
        # get_for_id is served from ContentType's cache: no query per row of a list.
        return ContentType.objects.get_for_id(self.content_type_id).model_class()

    @property
    def record_kind(self) -> str:
        """The kind of record in the ministry's words ("flagged item"), not its internal name."""
        model = self.record_model
        return str(model._meta.verbose_name) if model else ""

    @property
    def from_state_label(self) -> str:
        return self._state_label(self.from_state)

    @property
    def to_state_label(self) -> str:
        return self._state_label(self.to_state)

    @property
    def changes_shown(self) -> list[tuple[str, object, object]]:
        """(field's verbose name, before, after) for each changed field; state codes as their labels."""
        model = self.record_model
        shown = []
        for name, values in (self.changes or {}).items():
            before, after = [*values, None, None][:2] if isinstance(values, list | tuple) else (None, values)
            try:
                field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                field = None
            label = str(getattr(field, "verbose_name", name)) if field is not None else name
            if field is not None and getattr(field, "choices", None):
                choices = dict(field.flatchoices)
                before, after = choices.get(before, before), choices.get(after, after)
            shown.append((label, before, after))
        return shown

    def _state_label(self, code: str) -> str:
        """A stored state code as its label, from the choices of the record's state field."""
        model = self.record_model
        if not code or model is None:
            return code
        fields = sorted(
            (field for field in model._meta.concrete_fields if field.choices),
            key=lambda field: field.name not in ("status", "state"),
        )
        for field in fields:
            label = dict(field.flatchoices).get(code)
            if label is not None:
                return str(label)
        return code


class Heartbeat(models.Model):
    """Last time a background component proved it was alive (read by /healthz)."""

    component = models.CharField(max_length=32, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} @ {self.seen_at}"
