"""ISPs, block proposals and block orders."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.deadlines import DeadlineRule, InvalidDeadlineRule
from tracker.core.states import StateMachine


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
    STATE_MACHINE = StateMachine(
        "status", {Status.OPEN: {Status.ORDERED, Status.DISMISSED}, Status.ORDERED: set(), Status.DISMISSED: set()}
    )
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


class ISP(models.Model):
    """An internet service provider bound by block orders."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    licence_number = models.CharField(_("licence number"), max_length=100, unique=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), help_text=_("where orders and reminders are sent"))
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    resolver_addresses = models.TextField(
        _("resolvers to check"),
        blank=True,
        help_text=_("one address a line, optionally with :port; compliance checks query only these"),
    )
    transfer_addresses = models.TextField(
        _("resolvers that transfer the zone"),
        blank=True,
        help_text=_(
            "one address a line, optionally with #port: told of each new serial (NOTIFY) and allowed to transfer "
            "the ISP's RPZ zone without a key (resolvers without TSIG, such as Unbound)"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ISP")
        verbose_name_plural = _("ISPs")

    def __str__(self) -> str:
        return self.name

    def resolvers(self) -> list[tuple[str, int]]:
        found = []
        for line in self.resolver_addresses.splitlines():
            line = line.strip()
            if not line:
                continue
            host, port = line, 53
            if line.startswith("["):
                host, _sep, rest = line[1:].partition("]")
                port = int(rest.lstrip(":") or 53)
            elif line.count(":") == 1:
                host, port_text = line.split(":")
                port = int(port_text)
            found.append((host, port))
        return found

    def transfer_peers(self) -> list[tuple[str, int]]:
        """(address, port) of the resolvers that transfer the ISP's zone; port 53 unless given as ADDRESS#PORT."""
        found = []
        for line in self.transfer_addresses.splitlines():
            address, _sep, port = line.strip().partition("#")
            if address:
                found.append((address, int(port or 53)))
        return found


class ISPAccount(models.Model):
    """A user (in the "isp" group) who reads and acknowledges orders for one ISP through the API."""

    isp = models.ForeignKey(ISP, on_delete=models.CASCADE, related_name="accounts")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="isp_account")

    def __str__(self) -> str:
        return f"{self.user} @ {self.isp}"


class BlockOrder(models.Model):
    """An instruction to ISPs to block DNS names from a set time (kind "block"), or to stop (kind "lift")."""

    class Kind(models.TextChoices):
        BLOCK = "block", _("block order")
        LIFT = "lift", _("lift order")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        AWAITING_APPROVAL = "awaiting_approval", _("awaiting approval")
        APPROVED = "approved", _("approved")
        ISSUED = "issued", _("issued")
        IN_FORCE = "in_force", _("in force")
        LIFTED = "lifted", _("lifted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.BLOCK)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    STATE_MACHINE = StateMachine(
        "status",
        {
            Status.DRAFT: {Status.AWAITING_APPROVAL, Status.WITHDRAWN},
            Status.AWAITING_APPROVAL: {Status.APPROVED, Status.DRAFT, Status.WITHDRAWN},  # DRAFT: sent back
            Status.APPROVED: {Status.ISSUED, Status.WITHDRAWN},
            Status.ISSUED: {Status.IN_FORCE},
            Status.IN_FORCE: {Status.LIFTED},
            Status.LIFTED: set(),
            Status.WITHDRAWN: set(),
        },
    )
    case = models.ForeignKey(
        "tracker.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="block_orders"
    )
    proposal = models.ForeignKey(BlockProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    lifts = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lift_orders",
        help_text=_("for a lift order: the block order it ends"),
    )
    notices = models.ManyToManyField(
        "notices.Notice", blank=True, related_name="block_orders", verbose_name=_("notices behind it")
    )
    notice_references = models.TextField(
        _("other notices behind it"),
        blank=True,
        help_text=_("notices sent outside the tracker and not recorded in it"),
    )
    justification = models.TextField(_("justification"))
    legal_basis = models.TextField(_("legal basis"))
    binds_all_isps = models.BooleanField(_("binds every ISP"), default=True)
    isps = models.ManyToManyField(ISP, blank=True, related_name="named_in_orders", verbose_name=_("ISPs bound"))
    effective_at = models.DateTimeField(_("effective from"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    in_force_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("lifted or withdrawn"), null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    # An order of the past, recorded with its real times: it takes its place in the blocklist's history and
    # is never mailed to an ISP (services.record_past_order).
    recorded_afterwards = models.BooleanField(_("recorded afterwards"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        permissions = [
            ("approve_blockorder", "Can approve block and lift orders"),
            ("acknowledge_blockorder", "Can acknowledge block orders for an ISP"),
        ]
        indexes = [
            # sweep: next_action_at <= now (approved orders to issue, blocks whose end time came)
            models.Index(fields=["next_action_at"], name="blockorder_next_action"),
            # order list filtered by status, newest first
            models.Index(fields=["status", "effective_at"], name="blockorder_status"),
        ]

    def __str__(self) -> str:
        return self.reference


class OrderName(models.Model):
    """One DNS name an order blocks or lifts."""

    order = models.ForeignKey(BlockOrder, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("DNS name"), max_length=253)
    subtree = models.BooleanField(_("whole subtree"), default=False)

    class Meta:
        ordering = ["name", "subtree"]
        constraints = [models.UniqueConstraint(fields=["order", "name", "subtree"], name="ordername_unique")]

    def __str__(self) -> str:
        return f"*.{self.name}" if self.subtree else self.name


class OrderRecipient(models.Model):
    """An issued order as one ISP received it: delivery, acknowledgement, implementation, deadlines.

    One row per (order, ISP) under a unique constraint, so a retried issue cannot send twice.
    """

    order = models.ForeignKey(BlockOrder, on_delete=models.CASCADE, related_name="recipients")
    isp = models.ForeignKey(ISP, on_delete=models.PROTECT, related_name="orders_received")
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    implement_due_at = models.DateTimeField(_("implement by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implemented_at = models.DateTimeField(_("reported implemented"), null=True, blank=True)
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The rules the two deadlines were computed by (tracker.core.deadlines.DeadlineRule.as_dict()), from issue.
    acknowledge_rule = models.JSONField(_("acknowledgement deadline rule"), default=dict, blank=True)
    implement_rule = models.JSONField(_("implementation deadline rule"), default=dict, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # Every reminder or escalation due at or before this instant is done (or was moot): a second sweep at
    # the same instant finds nothing, and a change of the reminder settings never repeats one.
    chased_until = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the PDF letter attached to the ISP's copy of the order (blocking.letters), set when it is made.
    letter_sha256 = models.CharField(_("SHA-256 of the order letter sent"), max_length=64, blank=True)

    class Meta:
        ordering = ["isp__name"]
        constraints = [models.UniqueConstraint(fields=["order", "isp"], name="orderrecipient_unique")]
        indexes = [
            # sweep: next_action_at <= now (reminders and escalation of late ISPs)
            models.Index(fields=["next_action_at"], name="orderrecipient_next_action"),
        ]

    def __str__(self) -> str:
        return f"{self.order} → {self.isp}"

    def is_overdue(self, now=None) -> bool:
        """A deadline passes at its instant, as a notice's does."""
        now = now or timezone.now()
        return (self.acknowledged_at is None and now >= self.acknowledge_due_at) or (
            self.implemented_at is None and now >= self.implement_due_at
        )

    def acknowledge_rule_text(self) -> str:
        return describe_rule(self.acknowledge_rule)

    def implement_rule_text(self) -> str:
        return describe_rule(self.implement_rule)


def describe_rule(stored: dict) -> str:
    """A stored deadline rule in words ("4 business hours (Mon–Fri 08:00–16:00 …)"); "" for rows without one."""
    if not stored:
        return ""
    try:
        return DeadlineRule.from_dict(stored).describe()
    except InvalidDeadlineRule:
        return ""


# The PostgreSQL advisory lock ("bloc") that orders changes to the blocklist: writers take it exclusively
# (services.change_blocklist), exports shared, so an export reads one consistent version.
BLOCKLIST_LOCK_KEY = 0x626C6F63


class BlocklistVersion(models.Model):
    """One state of the blocklist: the serial goes up by one each time an order comes into force or ends.

    Every ISP's list changes only with a new version, so an ISP that refetches when the serial (the RPZ SOA
    serial) changes misses nothing. `effective_at` is when the change took effect: for an order recorded
    afterwards, its real time, however long before the version was made.
    """

    serial = models.PositiveIntegerField(_("serial"), unique=True)
    created_at = models.DateTimeField(_("made"), default=timezone.now)
    effective_at = models.DateTimeField(_("took effect"), null=True, blank=True)
    order = models.ForeignKey(BlockOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="versions")
    names_in_force = models.PositiveBigIntegerField(_("names in force"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)

    class Meta:
        ordering = ["-serial"]

    def __str__(self) -> str:
        return f"blocklist v{self.serial}"


class BlocklistEntry(models.Model):
    """A name in the national list now (in force through at least one order), with one order that holds it."""

    name = models.CharField(max_length=253)
    subtree = models.BooleanField(default=False)
    order = models.ForeignKey(BlockOrder, on_delete=models.PROTECT, related_name="+")
    since_serial = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "subtree"], name="blocklistentry_unique")]
        indexes = [
            # the order page: the names an order holds in the list
            models.Index(fields=["order"], name="blocklistentry_order"),
        ]

    def __str__(self) -> str:
        return f"*.{self.name}" if self.subtree else self.name


class BlocklistChange(models.Model):
    """A name entering or leaving the national list in one version: the national diff reads these only."""

    serial = models.PositiveIntegerField()
    name = models.CharField(max_length=253)
    subtree = models.BooleanField(default=False)
    added = models.BooleanField()
    order = models.ForeignKey(BlockOrder, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            # diff between versions: serial > from AND serial <= to
            models.Index(fields=["serial"], name="blocklistchange_serial"),
        ]

    def __str__(self) -> str:
        return f"v{self.serial} {'+' if self.added else '-'}{'*.' if self.subtree else ''}{self.name}"


class ISPSet(models.Model):
    """A set of ISPs, stored once however many names share it: those a name is in force for through one order.

    An order's names are in force for the ISPs it was issued to; a lift for some of them leaves the others.
    """

    key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the sorted ISP ids")
    isps = models.ManyToManyField(ISP, blank=True, related_name="sets")

    class Meta:
        verbose_name = _("set of ISPs")

    def __str__(self) -> str:
        return f"ISP set {self.pk}"


class BlocklistPeriod(models.Model):
    """One name in force through one block order for one set of the ISPs it binds, from one version (and
    time) until another: the change rows of the blocklist, per (name, order).

    Never deleted: a change closes the open period (`until`, `until_serial`) and, if the name stays in force
    through the order for other ISPs, opens the next. The list now is the open periods; an ISP's list, those
    whose set holds it; the list as of a version or a time, the periods spanning it. `since` and `until` are
    when the change took effect: for an order recorded afterwards, its real times.
    """

    name = models.CharField(max_length=253)
    subtree = models.BooleanField(default=False)
    order = models.ForeignKey(BlockOrder, on_delete=models.PROTECT, related_name="periods")
    isps = models.ForeignKey(ISPSet, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    since_serial = models.PositiveIntegerField()
    until = models.DateTimeField(null=True, blank=True)
    until_serial = models.PositiveIntegerField(null=True, blank=True)
    opened_by = models.ForeignKey(BlockOrder, on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey(BlockOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            # one open period per (order, name): a change closes it before it opens the next
            models.UniqueConstraint(
                fields=["order", "name", "subtree"],
                condition=models.Q(until_serial__isnull=True),
                name="blocklistperiod_one_open",
            )
        ]
        indexes = [
            # the national list and diffs: the periods of one name, open or not
            models.Index(fields=["name", "subtree"], name="blocklistperiod_name"),
            # an ISP's diff: periods opened or closed after version `from`
            models.Index(fields=["since_serial"], name="blocklistperiod_since_serial"),
            models.Index(fields=["until_serial"], name="blocklistperiod_until_serial"),
            # as of a time: open periods begun by then, and periods closed after it (so the cost follows the
            # list and the changes since, never the whole history)
            models.Index(fields=["since"], condition=models.Q(until_serial__isnull=True), name="blocklistperiod_open"),
            models.Index(fields=["until"], name="blocklistperiod_until"),
        ]

    def __str__(self) -> str:
        return f"{'*.' if self.subtree else ''}{self.name} via {self.order_id} v{self.since_serial}-{self.until_serial}"


class ComplianceCheck(models.Model):
    """What one ISP resolver answered for one name, compared with what the blocklist says."""

    class Expected(models.TextChoices):
        BLOCKED = "blocked", _("blocked")
        RESOLVES = "resolves", _("resolves normally (lifted)")

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("compliant")
        NON_COMPLIANT = "non_compliant", _("non-compliant")
        ERROR = "error", _("no answer")

    isp = models.ForeignKey(ISP, on_delete=models.CASCADE, related_name="compliance_checks")
    resolver = models.CharField(max_length=80)
    name = models.CharField(max_length=253)
    expected = models.CharField(max_length=10, choices=Expected.choices)
    result = models.CharField(max_length=16, choices=Result.choices)
    answer = models.CharField(max_length=300, blank=True)
    serial = models.PositiveIntegerField()
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-checked_at", "name"]
        indexes = [
            # ISP page: latest checks of one ISP
            models.Index(fields=["isp", "checked_at"], name="compliancecheck_isp"),
        ]

    def __str__(self) -> str:
        return f"{self.isp} {self.resolver} {self.name}: {self.result}"


class ComplianceAlert(models.Model):
    """A compliance check found an ISP defying an order: not blocking its names after the ISP's deadline, or
    still blocking names after they were lifted. One row per (order, ISP, problem) — the order and the ISP are
    its recipient row — so the supervisors are told once, however many checks find it again; the ISP is
    reminded until a check finds it compliant.
    """

    class Problem(models.TextChoices):
        NOT_BLOCKING = "not_blocking", _("not blocking after the deadline")
        STILL_BLOCKING = "still_blocking", _("still blocking after a lift")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    recipient = models.ForeignKey(OrderRecipient, on_delete=models.CASCADE, related_name="compliance_alerts")
    problem = models.CharField(_("problem"), max_length=16, choices=Problem.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Resolved when a check finds the ISP compliant (or the order no longer asks it); open again if a later
    # check finds the same problem, without telling the supervisors again.
    STATE_MACHINE = StateMachine("status", {Status.OPEN: {Status.RESOLVED}, Status.RESOLVED: {Status.OPEN}})
    names = models.JSONField(_("names found defying it"), default=list, blank=True)
    first_seen_at = models.DateTimeField(_("first found"))
    last_seen_at = models.DateTimeField(_("last found"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        constraints = [
            # told once per order, ISP and problem: a second check (or a second worker) finds the row
            models.UniqueConstraint(fields=["recipient", "problem"], name="compliancealert_once")
        ]
        indexes = [
            # reminder sweep: next_reminder_at <= now
            models.Index(fields=["next_reminder_at"], name="compliancealert_next_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_problem_display()}"


class ZoneTransferKey(models.Model):
    """A TSIG key (HMAC-SHA256) with which an ISP's resolvers transfer its RPZ zone: shown once when made.

    Rotating makes a new key and revokes the old one; the DNS server's configuration holds only unrevoked keys.
    """

    isp = models.ForeignKey(ISP, on_delete=models.CASCADE, related_name="zone_keys")
    name = models.CharField(_("key name"), max_length=100, unique=True)
    secret = models.CharField(max_length=100)  # base64, as BIND and the ISP's resolver configuration want it
    created_at = models.DateTimeField(_("made"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("zone transfer key")
        verbose_name_plural = _("zone transfer keys")
        constraints = [
            # one key in use per ISP: rotation revokes the old one in the same transaction
            models.UniqueConstraint(
                fields=["isp"], condition=models.Q(revoked_at__isnull=True), name="zonetransferkey_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ZoneTransfer(models.Model):
    """One transfer of an ISP's RPZ zone by its resolvers, read from the DNS server's transfer log."""

    class Kind(models.TextChoices):
        AXFR = "AXFR", _("full (AXFR)")
        IXFR = "IXFR", _("incremental (IXFR)")

    isp = models.ForeignKey(ISP, on_delete=models.CASCADE, related_name="zone_transfers")
    serial = models.PositiveIntegerField(_("serial"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    client = models.CharField(_("resolver"), max_length=80)
    key_name = models.CharField(_("key"), max_length=100, blank=True)
    transferred_at = models.DateTimeField(_("transferred"))
    # from the version's making to the transfer: how long the ISP's resolvers took to have it
    lag = models.DurationField(_("after issue"), null=True, blank=True)

    class Meta:
        ordering = ["-transferred_at", "-id"]
        constraints = [
            # the log is read again after a crash: a line already recorded is not recorded twice
            models.UniqueConstraint(
                fields=["isp", "client", "serial", "kind", "transferred_at"], name="zonetransfer_once"
            )
        ]
        indexes = [
            # order and ISP pages: the latest transfer of each ISP
            models.Index(fields=["isp", "-transferred_at"], name="zonetransfer_isp_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.isp} {self.kind} serial {self.serial} at {self.transferred_at:%Y-%m-%d %H:%M:%S}"
