"""Notices to platforms, the escalation ladder they climb, their delivery evidence and the platforms' replies."""

import re
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platforms.models import UrlRules
from tracker.core.states import StateMachine
from tracker.items.models import Urgency


class EscalationPolicy(models.Model):
    """An ordered ladder of steps. One policy is the default; a platform may have its own."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    platform = models.OneToOneField(
        "platforms.Platform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation_policy",
        help_text=_("empty: a policy any platform may use"),
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    time_zone = models.CharField(_("deadline time zone"), max_length=64, default="Asia/Jakarta")
    holiday_country = models.CharField(_("public holidays of"), max_length=2, default="ID")
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_policy")
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One rung of a ladder: what is sent, how long the platform has to answer, and who decides to send it."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("notice")
        REMINDER = "reminder", _("reminder")
        FINAL_WARNING = "final_warning", _("final warning")
        BLOCK_PROPOSAL = "block_proposal", _("block proposal")

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject_template = models.CharField(_("subject"), max_length=300, blank=True)
    body_template = models.TextField(_("body"), blank=True)
    urgent_response_minutes = models.PositiveIntegerField(_("response time for urgent items (minutes)"), default=240)
    normal_response_minutes = models.PositiveIntegerField(_("response time for other items (minutes)"), default=1440)
    business_hours = models.BooleanField(_("count office hours only"), default=False)
    automatic = models.BooleanField(
        _("sent automatically"),
        default=True,
        help_text=_("off: prepared when the previous deadline lapses, for a liaison officer to confirm"),
    )
    sanction_amount = models.DecimalField(
        _("administrative sanction"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="step_position_unique")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def save(self, *args, **kwargs):
        from .placeholders import check_step

        check_step(self)  # an unknown placeholder is refused here, not when the sweep renders it at 3 a.m.
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        from .placeholders import UnknownPlaceholder, check_step

        try:
            check_step(self)
        except UnknownPlaceholder as exc:
            raise ValidationError(exc.fields) from exc

    def response_minutes(self, urgency: str) -> int:
        return self.urgent_response_minutes if urgency == Urgency.URGENT else self.normal_response_minutes


class StepTranslation(models.Model):
    """A step's subject and body in another language; platforms get notices in their notice language."""

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8)
    subject_template = models.CharField(_("subject"), max_length=300)
    body_template = models.TextField(_("body"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["step", "language"], name="step_translation_unique")]

    def __str__(self) -> str:
        return f"{self.step} [{self.language}]"

    def save(self, *args, **kwargs):
        from .placeholders import check_template

        check_template(self.subject_template, field="subject_template")
        check_template(self.body_template, field="body_template")
        super().save(*args, **kwargs)


class ReferenceSequence(models.Model):
    """The last notice number used in a year: locked row by row, so two senders never get the same number."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Notice(models.Model):
    """A formal request to a platform: reference, items, legal basis, deadline; a rung of the ladder."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("prepared, awaiting confirmation")
        SENT = "sent", _("sent, awaiting reply")
        PARTLY_ANSWERED = "partly_answered", _("partly answered")
        ANSWERED = "answered", _("answered")
        LAPSED = "lapsed", _("deadline passed unanswered")

    AWAITING_REPLY = (Status.SENT, Status.PARTLY_ANSWERED)
    # Not a column: after a send commits, whether its mail was queued (False: the queue was down, the sweep
    # sends it); None until then. Set by `sending.issue`.
    mail_queued: bool | None = None

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    case = models.ForeignKey("tracker.Case", on_delete=models.PROTECT, related_name="notices")
    step = models.ForeignKey(EscalationStep, on_delete=models.PROTECT, related_name="notices")
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_up",
        help_text=_("the notice whose lapsed deadline this one follows"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    # A past notice is recorded straight into the state it ended in; the rest follows the ladder and replies.
    STATE_MACHINE = StateMachine(
        "status",
        {
            Status.PREPARED: {Status.SENT},
            Status.SENT: {Status.PARTLY_ANSWERED, Status.ANSWERED, Status.LAPSED},
            Status.PARTLY_ANSWERED: {Status.ANSWERED, Status.LAPSED},
            Status.ANSWERED: set(),
            Status.LAPSED: set(),
        },
    )
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices)
    language = models.CharField(_("language"), max_length=8, default="en")
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=400)
    body = models.TextField(_("body"))
    legal_basis = models.TextField(_("legal basis"))
    deadline_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    deadline_rule = models.JSONField(_("deadline rule"), default=dict, blank=True)
    prepared_at = models.DateTimeField(_("prepared"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_by_label = models.CharField(_("sent by"), max_length=150, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed"), null=True, blank=True)
    # How many of the owner's pre-deadline reminders (settings NOTICES_OWNER_REMINDERS) are done.
    owner_reminders_done = models.PositiveSmallIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True)
    recorded_afterwards = models.BooleanField(_("recorded afterwards"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    # A past notice recorded after the ladder ran out repeats a rung: it lapses, but nothing follows it.
    beyond_ladder = models.BooleanField(
        _("extra, beyond the ladder"),
        default=False,
        help_text=_("a past notice recorded after the ladder's notice steps ran out; it never escalates"),
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        permissions = [("send_notice", "Can send, prepare, confirm and record notices")]
        indexes = [
            # sweep: next_action_at <= now (owner reminders before a deadline, lapsed deadlines)
            models.Index(fields=["next_action_at"], name="notice_next_action"),
            # case page and ladder: a case's notices in order
            models.Index(fields=["case", "sent_at"], name="notice_case_sent"),
            # liaison home: notices awaiting a reply by nearest deadline
            models.Index(fields=["status", "deadline_at"], name="notice_status_deadline"),
            # notice list (API and page): ORDER BY sent_at DESC, prepared_at DESC, id DESC from the cursor
            models.Index(fields=["sent_at", "prepared_at", "id"], name="notice_list"),
            # notice list ?ordering=deadline_at (and -deadline_at)
            models.Index(fields=["deadline_at", "id"], name="notice_deadline"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_awaiting_reply(self) -> bool:
        return self.status in self.AWAITING_REPLY

    def is_overdue(self, now=None) -> bool:
        return self.is_awaiting_reply and self.deadline_at is not None and self.deadline_at <= (now or timezone.now())


class NoticeItem(models.Model):
    """One item as a notice covered it when sent, and what the platform did about it."""

    class Outcome(models.TextChoices):
        PENDING = "", _("no answer yet")
        REMOVED = "removed", _("removed")
        RESTRICTED = "restricted", _("restricted in the country")
        REFUSED = "refused", _("refused")
        MORE_INFORMATION = "more_information", _("more information requested")
        NO_ACTION = "no_action", _("no action")

    # Outcomes that end escalation for the item; the others leave it for the next step.
    RESOLVED = (Outcome.REMOVED, Outcome.RESTRICTED)

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="notice_items")
    item = models.ForeignKey("tracker.FlaggedItem", on_delete=models.PROTECT, related_name="notice_entries")
    canonical = models.CharField(_("canonical form"), max_length=2048)
    display = models.CharField(_("as shown"), max_length=2048)
    category = models.CharField(_("category"), max_length=100)
    legal_basis = models.TextField(_("legal basis"))
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_reason = models.TextField(_("platform's reason"), blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    reply = models.ForeignKey("PlatformReply", null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes")
    # What re-checks of the content found (notices/rechecks.py): None not yet known, True the content was found
    # gone or restricted, False found still there: the platform's answer is not borne out.
    borne_out = models.BooleanField(_("answer borne out"), null=True, blank=True)

    class Meta:
        ordering = ["notice", "id"]
        constraints = [models.UniqueConstraint(fields=["notice", "item"], name="noticeitem_once_per_notice")]
        indexes = [
            # item page: the notices an item was in
            models.Index(fields=["item", "notice"], name="noticeitem_item"),
        ]

    def __str__(self) -> str:
        return f"{self.notice} / {self.display}"

    @property
    def is_resolved(self) -> bool:
        return self.outcome in self.RESOLVED


class Delivery(models.Model):
    """A message as sent to one recipient: the exact bytes, their hash and what the receiving server said.

    Every message that leaves the tracker is one: a notice to a platform, a block or lift order to an ISP,
    a reminder or escalation to an ISP, a notification emailed to a person. One row per (message,
    recipient) under a unique constraint, and sending claims the row with a conditional UPDATE, so a retry
    or a second worker cannot send it twice (notices/delivery.py).
    """

    class Kind(models.TextChoices):
        NOTICE = "notice", _("notice to a platform")
        ISP_ORDER = "isp_order", _("order to an ISP")
        ISP_REMINDER = "isp_reminder", _("reminder to an ISP")
        NOTIFICATION = "notification", _("notification email")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("accepted by the receiving server")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("outcome unknown")
        BOUNCED = "bounced", _("bounced after acceptance")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NOTICE)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    # What any other message is about (an ISP's copy of an order, a notification), by content type and id:
    # notices sit below blocking and cannot name its models.
    about_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # Which message about it: "order", "acknowledge_soon-60", ... ("" for a notice).
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    recipient = models.EmailField(_("recipient"))
    sender = models.EmailField(_("sender"))
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    raw_message = models.BinaryField(_("message as sent"))
    sha256 = models.CharField(_("SHA-256 of the message"), max_length=64)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    # Sending is claimed (queued/unknown -> sending) so no two workers send one message; see delivery.py.
    STATE_MACHINE = StateMachine(
        "state",
        {
            State.QUEUED: {State.SENDING, State.FAILED},
            # Unknown: sent again, or the worker that had it reports after all.
            State.UNKNOWN: {State.SENDING, State.SENT, State.QUEUED, State.FAILED, State.BOUNCED},
            State.SENDING: {State.SENT, State.QUEUED, State.UNKNOWN, State.FAILED},
            State.SENT: {State.BOUNCED},
            State.FAILED: {State.BOUNCED},
            State.BOUNCED: set(),
        },
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    accepted_at = models.DateTimeField(_("accepted by the server"), null=True, blank=True)
    server_reply = models.TextField(_("server's reply"), blank=True)
    error = models.TextField(_("last error"), blank=True)
    needs_check = models.BooleanField(_("needs a person to check"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # When the sweep should look again if no worker has finished it (a lost task, a killed worker).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notice", "id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notice", "recipient"], name="delivery_once_per_recipient"),
            models.UniqueConstraint(
                fields=["about_type", "about_id", "purpose", "recipient"],
                condition=Q(notice__isnull=True),
                name="delivery_once_per_message_recipient",
            ),
            models.CheckConstraint(
                condition=(Q(kind="notice") & Q(notice__isnull=False) & Q(about_id__isnull=True))
                | (
                    ~Q(kind="notice") & Q(notice__isnull=True) & Q(about_type__isnull=False) & Q(about_id__isnull=False)
                ),
                name="delivery_is_about_one_thing",
            ),
        ]
        indexes = [
            # an order's or a notification's page: the deliveries about it
            models.Index(fields=["about_type", "about_id"], name="delivery_about"),
            # sweep: next_attempt_at <= now (deliveries whose task was lost or whose worker died)
            models.Index(fields=["next_attempt_at"], name="delivery_next_attempt"),
            # notice page and operators: deliveries someone must check
            models.Index(fields=["needs_check"], condition=Q(needs_check=True), name="delivery_needs_check"),
        ]

    def __str__(self) -> str:
        return f"{self.notice or self.purpose or self.get_kind_display()} → {self.recipient}"

    @property
    def subject(self) -> str:
        """The Subject header of the message as sent."""
        return str(message_from_bytes(bytes(self.raw_message), policy=email_policy.default)["Subject"] or "")


class DeliveryAttempt(models.Model):
    """One try at handing a delivery to the mail server, and how it ended."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        TRANSIENT = "transient", _("temporary failure, will retry")
        FAILED = "failed", _("permanent failure")
        UNKNOWN = "unknown", _("connection lost after the message was sent")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=Result.choices)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery}: {self.result}"


class PlatformReply(models.Model):
    """What a platform answered to a notice, when it arrived and by which channel."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        LETTER = "letter", _("letter")
        PORTAL = "portal", _("platform's portal")
        PHONE = "phone", _("phone")
        MEETING = "meeting", _("meeting")
        OTHER = "other", _("other")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="replies")
    received_at = models.DateTimeField(_("arrived"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_afterwards = models.BooleanField(_("recorded afterwards"), default=False)
    # Recorded after the notice lapsed: kept, shown as late; the lapse and what followed it stand.
    late = models.BooleanField(_("late: recorded after the notice lapsed"), default=False)
    inbound_mail = models.OneToOneField(
        "InboundMail",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recorded_reply",
        help_text=_("the email this reply was recorded from"),
    )

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name_plural = _("platform replies")
        indexes = [models.Index(fields=["notice", "received_at"], name="reply_notice_received")]

    def __str__(self) -> str:
        return f"{self.notice}: reply of {timezone.localdate(self.received_at):%Y-%m-%d}"

    @property
    def late_by(self) -> timedelta | None:
        """How long after the notice's deadline a late reply arrived (negative: it arrived in time but was
        recorded only after the notice lapsed); None for a reply that is not late."""
        if not self.late or self.notice.deadline_at is None:
            return None
        return self.received_at - self.notice.deadline_at


class Notification(models.Model):
    """An in-app message to a person (also emailed): a deadline coming, a step to confirm, an escalation."""

    class Kind(models.TextChoices):
        DEADLINE_REMINDER = "deadline_reminder", _("deadline coming")
        STEP_PREPARED = "step_prepared", _("step waiting for confirmation")
        STEP_SENT = "step_sent", _("next step sent")
        BLOCK_PROPOSED = "block_proposed", _("block proposed")
        REPLY_RECEIVED = "reply_received", _("email from the platform")
        MAIL_TRIAGE = "mail_triage", _("email waiting for triage")
        DELIVERY_PROBLEM = "delivery_problem", _("notice bounced or not delivered")
        REBUTTAL = "rebuttal", _("rebuttal to decide")
        ISP_LATE = "isp_late", _("ISP late with a block order")
        POWERS_CHANGED = "powers_changed", _("roles or superuser changed")
        CONTENT_BACK = "content_back", _("content removed by the platform is still there")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(
        "tracker.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # Where the notification leads when the notice and case do not say (e.g. a block order's page).
    link = models.CharField(_("link"), max_length=300, blank=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # a user's notifications, unread first
            models.Index(fields=["user", "read_at", "created_at"], name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryReport(models.Model):
    """What a bounce or delivery status notification said later about one delivery (RFC 3464 action)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="reports")
    inbound_mail = models.ForeignKey("InboundMail", on_delete=models.PROTECT, related_name="delivery_reports")
    action = models.CharField(_("action"), max_length=16)  # failed, delayed, delivered, relayed, expanded
    status = models.CharField(_("status code"), max_length=16, blank=True)
    diagnostic = models.TextField(_("diagnostic"), blank=True)
    reported_at = models.DateTimeField(_("reported"))

    class Meta:
        ordering = ["delivery", "reported_at", "id"]
        constraints = [
            # the same report read twice (IMAP re-fetch, a second upload) is one row
            models.UniqueConstraint(fields=["delivery", "inbound_mail"], name="deliveryreport_once_per_mail")
        ]

    def __str__(self) -> str:
        return f"{self.delivery}: {self.action} {self.status}"


class InboundMail(models.Model):
    """One email that reached the ministry's notices mailbox, kept whole, read, and matched to a notice.

    The raw bytes are stored once by SHA-256 (in the evidence store), so polling a mailbox twice or
    uploading the same file again finds the existing row. A message that cannot be matched, or that
    arrives for a closed notice, waits in the triage queue; nothing is dropped.
    """

    class Source(models.TextChoices):
        IMAP = "imap", _("mailbox (IMAP)")
        UPLOAD = "upload", _("uploaded in the tracker")
        COMMAND = "command", _("management command")

    class State(models.TextChoices):
        ATTACHED = "attached", _("attached to a notice")
        TRIAGE = "triage", _("waiting for triage")
        RECORDED = "recorded", _("reply recorded")
        DISMISSED = "dismissed", _("dismissed")

    class MatchedBy(models.TextChoices):
        NONE = "", _("not matched")
        IN_REPLY_TO = "in_reply_to", _("In-Reply-To header")
        REFERENCES = "references", _("References header")
        SUBJECT = "subject", _("reference in the subject")
        REPORTED_MESSAGE = "reported_message", _("the returned notice inside a report")
        PERSON = "person", _("a person in triage")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("reply")
        AUTO_REPLY = "auto-reply", _("auto-reply")
        BOUNCE = "bounce", _("bounce")
        DELIVERY_REPORT = "delivery-report", _("delivery report")
        COMPLAINT = "complaint", _("complaint")
        READ_RECEIPT = "read-receipt", _("read receipt")
        UNREADABLE = "unreadable", _("unreadable")

    # Kinds that are not the platform answering: they never count as a reply.
    NOT_ANSWERS = (
        Kind.AUTO_REPLY,
        Kind.BOUNCE,
        Kind.DELIVERY_REPORT,
        Kind.COMPLAINT,
        Kind.READ_RECEIPT,
        Kind.UNREADABLE,
    )

    raw_file = models.ForeignKey(
        "tracker.EvidenceFile", on_delete=models.PROTECT, related_name="inbound_mails", verbose_name=_("raw message")
    )
    sha256 = models.CharField(_("SHA-256 of the message"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    mailbox = models.CharField(_("mailbox"), max_length=200, blank=True)
    imap_uid = models.PositiveBigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("received by the tracker"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    why = models.CharField(_("why this kind"), max_length=300, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    date = models.DateTimeField(_("dated"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    defects = models.JSONField(_("problems reading it"), default=list, blank=True)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_mails")
    matched_by = models.CharField(_("matched by"), max_length=20, choices=MatchedBy.choices, blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    STATE_MACHINE = StateMachine(
        "state",
        {
            State.TRIAGE: {State.ATTACHED, State.RECORDED, State.DISMISSED},
            State.ATTACHED: {State.RECORDED, State.DISMISSED},
            State.RECORDED: set(),
            State.DISMISSED: set(),
        },
    )
    triage_reason = models.CharField(_("why it needs triage"), max_length=500, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handling_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        permissions = [("triage_inboundmail", "Can upload, match and dismiss inbound email")]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "imap_uid"], condition=Q(imap_uid__isnull=False), name="inboundmail_imap_uid"
            )
        ]
        indexes = [
            # triage queue and "to record" list: by state, newest first, in the keyset order (received_at, id)
            models.Index(fields=["state", "received_at", "id"], name="inboundmail_state"),
            # inbound mail list unfiltered: ORDER BY received_at DESC, id DESC from the cursor's position
            models.Index(fields=["received_at", "id"], name="inboundmail_received"),
            # notice page: the mail about a notice
            models.Index(fields=["notice", "received_at"], name="inboundmail_notice"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id or self.sha256[:12]

    @property
    def counts_as_answer(self) -> bool:
        return self.kind not in self.NOT_ANSWERS


class StoredAttachment(models.Model):
    """A file that came with something the platform sent, kept in the evidence store under its own name."""

    file = models.ForeignKey("tracker.EvidenceFile", on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(_("file name"), max_length=255)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class ReplyAttachment(StoredAttachment):
    reply = models.ForeignKey(PlatformReply, on_delete=models.PROTECT, related_name="attachments")

    class Meta:
        ordering = ["reply", "id"]


class Rebuttal(models.Model):
    """A platform's objection to one item of a notice; a supervisor upholds the item or withdraws it."""

    class Decision(models.TextChoices):
        PENDING = "", _("waiting for a supervisor")
        UPHELD = "upheld", _("item upheld: escalation goes on")
        WITHDRAWN = "withdrawn", _("item withdrawn: escalation stops for it")

    notice_item = models.ForeignKey(NoticeItem, on_delete=models.PROTECT, related_name="rebuttals")
    reply = models.ForeignKey(PlatformReply, null=True, blank=True, on_delete=models.PROTECT, related_name="rebuttals")
    received_at = models.DateTimeField(_("arrived"))
    reasons = models.TextField(_("the platform's reasons"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True, default="")
    STATE_MACHINE = StateMachine(
        "decision",
        {Decision.PENDING: {Decision.UPHELD, Decision.WITHDRAWN}, Decision.UPHELD: set(), Decision.WITHDRAWN: set()},
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        permissions = [("decide_rebuttal", "Can uphold or withdraw an item a platform objected to")]
        constraints = [
            models.UniqueConstraint(
                fields=["notice_item"], condition=Q(decision=""), name="rebuttal_one_pending_per_item"
            )
        ]
        indexes = [models.Index(fields=["decision", "received_at"], name="rebuttal_decision")]

    def __str__(self) -> str:
        return f"{self.notice_item}: rebuttal of {timezone.localdate(self.received_at):%Y-%m-%d}"


class RebuttalAttachment(StoredAttachment):
    rebuttal = models.ForeignKey(Rebuttal, on_delete=models.PROTECT, related_name="attachments")

    class Meta:
        ordering = ["rebuttal", "id"]


class Sanction(models.Model):
    """An administrative fine on a case, imposed by a ladder step, and how it stands."""

    class State(models.TextChoices):
        IMPOSED = "imposed", _("imposed")
        COMMITTED = "committed", _("platform committed to pay")
        PAID = "paid", _("paid")
        WAIVED = "waived", _("waived")

    case = models.ForeignKey("tracker.Case", on_delete=models.PROTECT, related_name="sanctions")
    notice = models.OneToOneField(
        Notice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanction",
        help_text=_("the notice whose step imposed it"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.IMPOSED)
    STATE_MACHINE = StateMachine(
        "state",
        {
            State.IMPOSED: {State.COMMITTED, State.PAID, State.WAIVED},
            State.COMMITTED: {State.PAID, State.WAIVED},
            State.PAID: set(),
            State.WAIVED: set(),
        },
    )
    imposed_at = models.DateTimeField(_("imposed"))
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    waived_at = models.DateTimeField(_("waived"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["case", "imposed_at", "id"]
        permissions = [("manage_sanction", "Can record a sanction's commitment, payment or waiver")]
        indexes = [models.Index(fields=["state", "imposed_at"], name="sanction_state")]

    def __str__(self) -> str:
        return f"{self.case}: {self.amount} {self.currency} ({self.state})"


class ContactLogImmutable(Exception):
    """A contact log entry, once recorded, is never changed or deleted; a correction is a new entry."""


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ContactLogImmutable("the contact log cannot be changed: record a correction")

    def delete(self):
        raise ContactLogImmutable("the contact log cannot be deleted")


class _AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ContactLogImmutable("the contact log cannot be changed: record a correction")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ContactLogImmutable("the contact log cannot be deleted")


class ContactEntry(_AppendOnly):
    """A contact with the platform outside the notices: a meeting, a call, a letter, a public statement, an
    email sent or received outside the tracker. Append-only (model, queryset and, on PostgreSQL, a trigger):
    a correction is a new entry that names the one it corrects."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("meeting")
        PHONE_CALL = "phone_call", _("phone call")
        LETTER = "letter", _("letter")
        PUBLIC_STATEMENT = "public_statement", _("public statement by the platform")
        EMAIL = "email", _("email outside the tracker")
        OTHER = "other", _("other contact")

    case = models.ForeignKey("tracker.Case", on_delete=models.PROTECT, related_name="contact_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    ministry_participants = models.JSONField(_("from the ministry"), default=list, blank=True)
    platform_participants = models.JSONField(_("from the platform"), default=list, blank=True)
    summary = models.TextField(_("summary"))
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log entries")
        indexes = [
            # case page, case timeline and the API's ?case=: a case's contacts in order
            models.Index(fields=["case", "occurred_at"], name="contactentry_case"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {timezone.localdate(self.occurred_at):%Y-%m-%d}"


class ContactAttachment(StoredAttachment, _AppendOnly):
    entry = models.ForeignKey(ContactEntry, on_delete=models.PROTECT, related_name="attachments")

    class Meta:
        ordering = ["entry", "id"]


class PlatformPageRule(models.Model):
    """How to read a platform's public pages when re-checking content: data, kept by administrators.

    One rule per kind of platform (its URL rules: Telegram, X, ...), so the rule holds for every platform row of
    that kind; items on platforms without a rule are judged by their status code alone.
    """

    url_rules = models.CharField(_("platform kind"), max_length=16, choices=UrlRules.choices, unique=True)
    geo_block_pattern = models.TextField(
        _("geo-block page pattern"),
        blank=True,
        help_text=_("A regular expression; a page that matches it is the platform's 'not available in your country'."),
    )
    identifier_pattern = models.TextField(
        _("identifier pattern"),
        blank=True,
        help_text=_(
            "A regular expression with one group: the channel or post identifier the page shows. A page that "
            "shows none, or another one, no longer shows the item."
        ),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("platform page rule")
        verbose_name_plural = _("platform page rules")

    def __str__(self) -> str:
        return self.get_url_rules_display()

    def clean(self):
        problems = {}
        for name in ("geo_block_pattern", "identifier_pattern"):
            try:
                compiled = re.compile(getattr(self, name))
            except re.error as exc:
                problems[name] = [_("Not a regular expression: %(error)s") % {"error": exc}]
                continue
            if name == "identifier_pattern" and self.identifier_pattern and compiled.groups != 1:
                problems[name] = [_("Give exactly one group: the identifier.")]
        if problems:
            raise ValidationError(problems)


class ContentCheck(models.Model):
    """One re-check of an item a platform said it removed or restricted: what fetching its address found."""

    class Outcome(models.TextChoices):
        PENDING = "", _("not made yet")
        NOT_CONFIGURED = "not_configured", _("not made: no egress proxy configured")
        GONE = "gone", _("gone")
        RESTRICTED = "restricted", _("restricted in the country")
        PRESENT = "present", _("still there")
        UNREACHABLE = "unreachable", _("unreachable")

    class Occasion(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        ON_DEMAND = "on_demand", _("on demand")

    # Outcomes that confirm a "removed" or "restricted" answer.
    CONFIRMING = (Outcome.GONE, Outcome.RESTRICTED)

    item = models.ForeignKey("tracker.FlaggedItem", on_delete=models.PROTECT, related_name="content_checks")
    notice_item = models.ForeignKey(
        NoticeItem, null=True, blank=True, on_delete=models.PROTECT, related_name="content_checks"
    )
    occasion = models.CharField(_("occasion"), max_length=16, choices=Occasion.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    final_url = models.CharField(_("final URL"), max_length=2048, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, blank=True)
    elapsed_ms = models.PositiveIntegerField(_("time taken (ms)"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    saved_copy = models.ForeignKey(
        "tracker.EvidenceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        permissions = [("request_contentcheck", "Can ask for a re-check of an item's content")]
        indexes = [
            # sweep: unclaimed checks with due_at <= now, oldest first
            models.Index(fields=["due_at"], condition=Q(claimed_at__isnull=True), name="contentcheck_due"),
            # sweep: claimed checks whose task was lost (claimed_at < now - lease, no outcome yet)
            models.Index(
                fields=["claimed_at"], condition=Q(outcome="", claimed_at__isnull=False), name="contentcheck_claimed"
            ),
            # item page: an item's checks in time order
            models.Index(fields=["item", "due_at"], name="contentcheck_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_outcome_display()} {self.due_at:%Y-%m-%d %H:%M}"
