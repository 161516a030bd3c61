"""Writes and transitions of block proposals, block and lift orders, ISP reports and the blocklist.

Every function here is the one door for its change: the UI, the API, the tasks and the demo all call them.
Each runs in one transaction and writes its audit entry in it; mail goes out after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker import audit
from tracker.errors import DomainError, NotPermitted, TransitionNotAllowed, require_permission
from tracker.models import AuditEntry, Case

from .models import (
    ISP,
    BlocklistChange,
    BlocklistEntry,
    BlocklistVersion,
    BlockOrder,
    BlockProposal,
    ISPAccount,
    OrderName,
    OrderRecipient,
)
from .names import BlockedName, parse_names

Status = BlockOrder.Status

# The one state machine of orders: (from, to) pairs the services may take.
TRANSITIONS = {
    (Status.DRAFT, Status.AWAITING_APPROVAL),
    (Status.AWAITING_APPROVAL, Status.APPROVED),
    (Status.AWAITING_APPROVAL, Status.DRAFT),  # sent back for changes
    (Status.APPROVED, Status.ISSUED),
    (Status.ISSUED, Status.IN_FORCE),
    (Status.IN_FORCE, Status.LIFTED),
    (Status.DRAFT, Status.WITHDRAWN),
    (Status.AWAITING_APPROVAL, Status.WITHDRAWN),
    (Status.APPROVED, Status.WITHDRAWN),
}
CHUNK = 5000


def acknowledge_deadline() -> timedelta:
    return timedelta(hours=getattr(settings, "BLOCKING_ACK_DEADLINE_HOURS", 4))


def implement_deadline() -> timedelta:
    return timedelta(hours=getattr(settings, "BLOCKING_IMPLEMENT_DEADLINE_HOURS", 24))


def propose_block(*, case: Case, reason: str, actor=None) -> BlockProposal:
    """Open a block proposal for the case, or return the one already open (safe to call twice)."""
    existing = BlockProposal.objects.filter(case=case, status=BlockProposal.Status.OPEN).first()
    if existing:
        return existing
    label = actor.get_username() if actor is not None else "escalation sweep"
    try:
        with transaction.atomic():
            proposal = BlockProposal.objects.create(
                case=case, reason=reason, proposed_by=actor, proposed_by_label=label
            )
            audit.record(obj=proposal, action=AuditEntry.Action.CREATE, actor=actor, reason=reason)
    except IntegrityError:
        # Another worker opened it between our check and our insert.
        return BlockProposal.objects.get(case=case, status=BlockProposal.Status.OPEN)
    return proposal


def dismiss_proposal(*, proposal: BlockProposal, actor, reason: str) -> BlockProposal:
    require_permission(actor, "blocking.add_blockorder")
    with transaction.atomic():
        proposal = BlockProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != BlockProposal.Status.OPEN:
            raise TransitionNotAllowed(_("This proposal is no longer open."))
        proposal.status = BlockProposal.Status.DISMISSED
        proposal.save(update_fields=["status"])
        audit.record_transition(proposal, actor=actor, from_state="open", to_state="dismissed", reason=reason)
    return proposal


def prefill_names(*, proposal: BlockProposal | None = None, case: Case | None = None) -> list[str]:
    """The platform's owned DNS names, as a block order would list them."""
    case = case or (proposal.case if proposal else None)
    if case is None:
        return []
    return list(case.platform.domains.order_by("name").values_list("name", flat=True))


# --- orders -----------------------------------------------------------------------------------


def create_block_order(
    *,
    actor,
    names,
    justification: str,
    legal_basis: str,
    effective_at: datetime,
    ends_at: datetime | None = None,
    case: Case | None = None,
    proposal: BlockProposal | None = None,
    notice_references: str = "",
    isps: list[ISP] | None = None,
    now: datetime | None = None,
) -> BlockOrder:
    """A draft block order. `isps=None` binds every active ISP; `names` is text or a list of lines."""
    require_permission(actor, "blocking.add_blockorder")
    parsed = parse_names(names)
    if proposal is not None and case is None:
        case = proposal.case
    with transaction.atomic():
        if proposal is not None:
            proposal = BlockProposal.objects.select_for_update().get(pk=proposal.pk)
            if proposal.status != BlockProposal.Status.OPEN:
                raise TransitionNotAllowed(_("This proposal was already turned into an order or dismissed."))
        order = _create_order(
            kind=BlockOrder.Kind.BLOCK,
            actor=actor,
            names=parsed,
            justification=justification,
            legal_basis=legal_basis,
            effective_at=effective_at,
            ends_at=ends_at,
            case=case,
            proposal=proposal,
            notice_references=notice_references,
            isps=isps,
            now=now,
        )
        if proposal is not None:
            proposal.status = BlockProposal.Status.ORDERED
            proposal.save(update_fields=["status"])
            audit.record_transition(
                proposal, actor=actor, from_state="open", to_state="ordered", reason=order.reference
            )
    return order


def create_lift_order(
    *,
    actor,
    justification: str,
    legal_basis: str,
    effective_at: datetime,
    block_order: BlockOrder | None = None,
    names=None,
    ends_at: datetime | None = None,
    isps: list[ISP] | None = None,
    now: datetime | None = None,
) -> BlockOrder:
    """A draft lift order for some names in force (default: all the names `block_order` put in force).

    With `ends_at`, the lift holds only until then and the names are blocked again.
    """
    require_permission(actor, "blocking.add_blockorder")
    if names is None or (isinstance(names, str) and not names.strip()):
        if block_order is None:
            raise DomainError(_("Name the names to lift."), fields={"names": [_("Name the names to lift.")]})
        parsed = [
            BlockedName(name, subtree)
            for name, subtree in BlocklistEntry.objects.filter(order=block_order).values_list("name", "subtree")
        ]
        if not parsed:
            raise DomainError(_("None of this order's names is in force."), fields={"names": [_("none in force")]})
    else:
        parsed = parse_names(names)
    missing = _not_in_force(parsed)
    if missing:
        message = _("Not in force, so cannot be lifted: %(names)s") % {"names": ", ".join(map(str, missing[:20]))}
        raise DomainError(message, fields={"names": [message]})
    with transaction.atomic():
        return _create_order(
            kind=BlockOrder.Kind.LIFT,
            actor=actor,
            names=parsed,
            justification=justification,
            legal_basis=legal_basis,
            effective_at=effective_at,
            ends_at=ends_at,
            case=block_order.case if block_order else None,
            lifts=block_order,
            isps=isps,
            now=now,
        )


def _create_order(*, kind, actor, names, effective_at, ends_at, isps, now, **fields) -> BlockOrder:
    now = now or timezone.now()
    problems = {}
    if effective_at is None:
        problems["effective_at"] = [_("Give the time the order takes effect.")]
    elif effective_at < now - timedelta(minutes=1):
        problems["effective_at"] = [_("The effective time is in the past.")]
    if ends_at is not None and effective_at is not None and ends_at <= effective_at:
        problems["ends_at"] = [_("The end time must come after the effective time.")]
    if isps is not None and not isps:
        problems["isps"] = [_("Choose the ISPs bound, or bind every ISP.")]
    if not fields.get("justification", "").strip():
        problems["justification"] = [_("State the justification.")]
    if not fields.get("legal_basis", "").strip():
        problems["legal_basis"] = [_("State the legal basis.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    order = BlockOrder.objects.create(
        reference=f"new-{uuid4().hex}",
        kind=kind,
        proposed_by=actor,
        created_at=now,
        effective_at=effective_at,
        ends_at=ends_at,
        binds_all_isps=isps is None,
        **fields,
    )
    prefix = "BO" if kind == BlockOrder.Kind.BLOCK else "LO"
    order.reference = f"{prefix}-{effective_at.year}-{order.pk:04d}"
    order.save(update_fields=["reference"])
    if isps is not None:
        order.isps.set(isps)
    OrderName.objects.bulk_create(
        [OrderName(order=order, name=name.name, subtree=name.subtree) for name in names], batch_size=CHUNK
    )
    audit.record(
        obj=order,
        action=AuditEntry.Action.CREATE,
        actor=actor,
        at=now,
        changes={
            "names": [None, [str(name) for name in names[:200]]],
            "effective_at": [None, effective_at.isoformat()],
            "isps": [None, "all" if isps is None else [isp.name for isp in isps]],
        },
    )
    return order


def submit_for_approval(*, order: BlockOrder, actor, now=None) -> BlockOrder:
    require_permission(actor, "blocking.add_blockorder")
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.AWAITING_APPROVAL, actor=actor, at=now)
    return order


def approve_order(*, order: BlockOrder, actor, password: str, now=None, schedule: bool = True) -> BlockOrder:
    """Four eyes: a second supervisor approves, confirming their password again.

    After commit the issue task is queued for the effective time (the sweep catches it too);
    `schedule=False` leaves it to the sweep (the demo's historical records).
    """
    require_permission(actor, "blocking.approve_blockorder")
    if actor.pk == order.proposed_by_id:
        raise NotPermitted(_("The supervisor who proposed an order cannot approve it."), code="four_eyes")
    if not password or not actor.check_password(password):
        raise DomainError(_("The password is not correct."), fields={"password": [_("The password is not correct.")]})
    now = now or timezone.now()
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.APPROVED, actor=actor, at=now)
        order.approved_by, order.approved_at, order.next_action_at = actor, now, order.effective_at
        order.save(update_fields=["approved_by", "approved_at", "next_action_at"])
        order_id, eta = order.pk, order.effective_at
        if schedule:
            transaction.on_commit(lambda: _queue_issue(order_id, eta))
    return order


def _queue_issue(order_id: int, eta: datetime) -> None:
    from .tasks import issue_order_task

    issue_order_task.apply_async(args=[order_id], eta=eta)


def send_back(*, order: BlockOrder, actor, reason: str) -> BlockOrder:
    require_permission(actor, "blocking.approve_blockorder")
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.DRAFT, actor=actor, reason=reason)
    return order


def withdraw_order(*, order: BlockOrder, actor, reason: str) -> BlockOrder:
    require_permission(actor, "blocking.add_blockorder")
    if not reason.strip():
        raise DomainError(_("Say why the order is withdrawn."), fields={"reason": [_("required")]})
    with transaction.atomic():
        order = _locked(order)
        _move(order, Status.WITHDRAWN, actor=actor, reason=reason)
        order.ended_at, order.next_action_at = timezone.now(), None
        order.save(update_fields=["ended_at", "next_action_at"])
    return order


def issue_order(*, order_id: int, now=None, notify: bool = True) -> BlockOrder | None:
    """Issue an approved order whose effective time has come, and put it in force. Safe to run twice.

    1. Claim the order (approved, due) with a row lock, skipping one another worker holds.
    2. Make one recipient row per bound ISP, with its deadlines.
    3. Change the blocklist (a new version) and move the order to in force.
    4. After commit, mail the order to each ISP (unless `notify=False`: the demo's historical records).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            BlockOrder.objects.select_for_update(skip_locked=True)
            .filter(pk=order_id, status=Status.APPROVED, effective_at__lte=now)
            .first()
        )
        if order is None:
            return None
        _move(order, Status.ISSUED, actor=None, at=now)
        order.issued_at = now
        isps = ISP.objects.filter(is_active=True) if order.binds_all_isps else order.isps.all()
        recipients = OrderRecipient.objects.bulk_create(
            [
                OrderRecipient(
                    order=order,
                    isp=isp,
                    acknowledge_due_at=now + acknowledge_deadline(),
                    implement_due_at=now + implement_deadline(),
                    next_action_at=now + acknowledge_deadline(),
                )
                for isp in isps
            ]
        )
        names = [BlockedName(n, s) for n, s in order.names.values_list("name", "subtree")]
        if order.kind == BlockOrder.Kind.BLOCK:
            change_blocklist(order=order, add=names, now=now)
        else:
            change_blocklist(order=order, remove=names, now=now)
        _move(order, Status.IN_FORCE, actor=None, at=now)
        order.in_force_at = now
        order.next_action_at = order.ends_at
        order.save(update_fields=["issued_at", "in_force_at", "next_action_at"])
        if order.kind == BlockOrder.Kind.LIFT and order.ends_at is None:
            # A lift for some days only suspends the block: its order stays in force to resume.
            _mark_lifted_orders(now=now, reason=order.reference)
        recipient_ids = [recipient.pk for recipient in recipients]
        if notify:
            transaction.on_commit(lambda: _queue_order_emails(recipient_ids))
    return order


def end_order(*, order_id: int, now=None) -> BlockOrder | None:
    """The end time of an order in force has come: a block's names leave the list; a lift's come back."""
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            BlockOrder.objects.select_for_update(skip_locked=True)
            .filter(pk=order_id, status=Status.IN_FORCE, ends_at__lte=now)
            .first()
        )
        if order is None:
            return None
        names = [BlockedName(n, s) for n, s in order.names.values_list("name", "subtree")]
        if order.kind == BlockOrder.Kind.BLOCK:
            change_blocklist(order=order, remove=names, only_from_order=True, now=now)
        else:
            blocker = order.lifts or order
            change_blocklist(order=blocker, add=names, now=now)
        _move(order, Status.LIFTED, actor=None, at=now, reason=_("end time reached"))
        order.ended_at, order.next_action_at = now, None
        order.save(update_fields=["ended_at", "next_action_at"])
        _stop_chasing(order)
    return order


def _mark_lifted_orders(*, now, reason: str) -> None:
    """Block orders in force with no name left in the list are lifted."""
    in_force = BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK, status=Status.IN_FORCE)
    still = set(BlocklistEntry.objects.filter(order__in=in_force).values_list("order_id", flat=True).distinct())
    for order in in_force.exclude(pk__in=still).select_for_update():
        _move(order, Status.LIFTED, actor=None, at=now, reason=reason)
        order.ended_at, order.next_action_at = now, None
        order.save(update_fields=["ended_at", "next_action_at"])
        _stop_chasing(order)


def _stop_chasing(order: BlockOrder) -> None:
    """An order no longer in force: late ISPs are not reminded of it any more (overdue stays on record)."""
    OrderRecipient.objects.filter(order=order, next_action_at__isnull=False).update(next_action_at=None)


def _queue_order_emails(recipient_ids: list[int]) -> None:
    from .tasks import send_order_email

    for recipient_id in recipient_ids:
        send_order_email.delay(recipient_id)


# --- ISP reports -------------------------------------------------------------------------------


def acknowledge_order(*, recipient: OrderRecipient, actor, now=None) -> OrderRecipient:
    return _isp_report(recipient=recipient, actor=actor, field="acknowledged", now=now)


def report_implemented(*, recipient: OrderRecipient, actor, now=None) -> OrderRecipient:
    return _isp_report(recipient=recipient, actor=actor, field="implemented", now=now)


def _isp_report(*, recipient, actor, field: str, now) -> OrderRecipient:
    require_permission(actor, "blocking.acknowledge_blockorder")
    account = getattr(actor, "isp_account", None)
    if account is None or account.isp_id != recipient.isp_id:
        raise NotPermitted(_("Only the ISP the order was sent to can report on it."))
    now = now or timezone.now()
    with transaction.atomic():
        recipient = OrderRecipient.objects.select_for_update().get(pk=recipient.pk)
        if getattr(recipient, f"{field}_at") is not None:
            return recipient  # reported already: the first report stands
        setattr(recipient, f"{field}_at", now)
        setattr(recipient, f"{field}_by", actor)
        if field == "implemented" and recipient.acknowledged_at is None:
            recipient.acknowledged_at, recipient.acknowledged_by = now, actor
        recipient.next_action_at = next_recipient_action(recipient)
        recipient.save()
        audit.record(
            obj=recipient.order,
            action=AuditEntry.Action.EVENT,
            actor=actor,
            at=now,
            reason=f"{recipient.isp.name}: {field}",
        )
    return recipient


def next_recipient_action(recipient: OrderRecipient) -> datetime | None:
    if recipient.implemented_at is not None:
        return None
    if recipient.acknowledged_at is None and recipient.reminders_sent == 0:
        return recipient.acknowledge_due_at
    if recipient.escalated_at is None:
        return recipient.implement_due_at
    return None


def chase_recipient(*, recipient_id: int, now=None) -> str | None:
    """A deadline of one ISP passed: remind it (acknowledgement late) or escalate (implementation late)."""
    now = now or timezone.now()
    with transaction.atomic():
        recipient = (
            OrderRecipient.objects.select_for_update(skip_locked=True)
            .select_related("order", "isp")
            .filter(pk=recipient_id, next_action_at__lte=now)
            .first()
        )
        if recipient is None:
            return None
        done = None
        if recipient.implemented_at is None and now >= recipient.implement_due_at and not recipient.escalated_at:
            recipient.escalated_at, done = now, "escalated"
        elif (
            recipient.acknowledged_at is None and recipient.reminders_sent == 0 and now >= recipient.acknowledge_due_at
        ):
            recipient.reminders_sent, done = 1, "reminded"
        recipient.next_action_at = next_recipient_action(recipient)
        recipient.save(update_fields=["escalated_at", "reminders_sent", "next_action_at"])
        if done:
            audit.record(
                obj=recipient.order,
                action=AuditEntry.Action.EVENT,
                actor=None,
                at=now,
                reason=f"{recipient.isp.name}: {done}",
            )
            recipient_pk = recipient.pk
            transaction.on_commit(lambda: _queue_reminder(recipient_pk, done))
    return done


def _queue_reminder(recipient_id: int, kind: str) -> None:
    from .tasks import send_reminder_email

    send_reminder_email.delay(recipient_id, kind)


# --- the blocklist -------------------------------------------------------------------------------


def change_blocklist(
    *, order: BlockOrder, add=(), remove=(), only_from_order: bool = False, now=None
) -> BlocklistVersion | None:
    """Apply one order's change to the names in force; a real change makes the next version.

    Must run inside the caller's transaction. Versions are serialised by a lock, so serials have no gaps.
    """
    now = now or timezone.now()
    _lock_blocklist()
    latest = BlocklistVersion.objects.order_by("-serial").first()
    serial = (latest.serial if latest else 0) + 1
    in_force = latest.names_in_force if latest else 0
    added = _absent(add)
    removed = _present(remove, order if only_from_order else None)
    if not added and not removed:
        return None
    for chunk in _chunks(removed):
        for subtree in (False, True):
            names = [n.name for n in chunk if n.subtree is subtree]
            if names:
                BlocklistEntry.objects.filter(name__in=names, subtree=subtree).delete()
    BlocklistEntry.objects.bulk_create(
        [BlocklistEntry(name=n.name, subtree=n.subtree, order=order, since_serial=serial) for n in added],
        batch_size=CHUNK,
    )
    BlocklistChange.objects.bulk_create(
        [BlocklistChange(serial=serial, name=n.name, subtree=n.subtree, added=True, order=order) for n in added]
        + [BlocklistChange(serial=serial, name=n.name, subtree=n.subtree, added=False, order=order) for n in removed],
        batch_size=CHUNK,
    )
    version = BlocklistVersion.objects.create(
        serial=serial,
        created_at=now,
        order=order,
        names_in_force=in_force + len(added) - len(removed),
        added=len(added),
        removed=len(removed),
    )
    audit.record(
        obj=version,
        action=AuditEntry.Action.CREATE,
        actor=None,
        at=now,
        reason=_("%(order)s: %(added)s added, %(removed)s removed")
        % {"order": order.reference, "added": len(added), "removed": len(removed)},
    )
    return version


def _lock_blocklist() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x626C6F63])  # "bloc"
    # SQLite: IMMEDIATE transactions already serialise writers.


def _absent(names) -> list[BlockedName]:
    wanted = sorted(set(names))
    present = set()
    for chunk in _chunks(wanted):
        present.update(BlocklistEntry.objects.filter(name__in={n.name for n in chunk}).values_list("name", "subtree"))
    return [n for n in wanted if (n.name, n.subtree) not in present]


def _present(names, order: BlockOrder | None) -> list[BlockedName]:
    wanted = sorted(set(names))
    present = set()
    for chunk in _chunks(wanted):
        rows = BlocklistEntry.objects.filter(name__in={n.name for n in chunk})
        if order is not None:
            rows = rows.filter(order=order)
        present.update(rows.values_list("name", "subtree"))
    return [n for n in wanted if (n.name, n.subtree) in present]


def _not_in_force(names) -> list[BlockedName]:
    present = {(n.name, n.subtree) for n in _present(names, None)}
    return [n for n in names if (n.name, n.subtree) not in present]


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- helpers ---------------------------------------------------------------------------------


def _locked(order: BlockOrder) -> BlockOrder:
    return BlockOrder.objects.select_for_update().get(pk=order.pk)


def _move(order: BlockOrder, to: str, *, actor, at=None, reason: str = "") -> None:
    if (order.status, to) not in TRANSITIONS:
        raise TransitionNotAllowed(
            _("An order that is %(state)s cannot become %(to)s.")
            % {"state": order.get_status_display(), "to": Status(to).label}
        )
    before = order.status
    order.status = to
    order.save(update_fields=["status"])
    audit.record_transition(order, actor=actor, from_state=before, to_state=to, reason=reason, at=at)


# --- the ISP registry ----------------------------------------------------------------------------

ISP_FIELDS = [
    "name",
    "licence_number",
    "contact_name",
    "contact_email",
    "contact_phone",
    "resolver_addresses",
    "is_active",
]


def save_isp(*, actor, isp: ISP | None = None, account_usernames: list[str] | None = None, **values) -> ISP:
    """Register an ISP or change it; `account_usernames` (users in the "isp" role) replaces its API accounts."""
    require_permission(actor, "blocking.change_isp" if isp else "blocking.add_isp")
    problems = {}
    resolvers = values.get("resolver_addresses", isp.resolver_addresses if isp else "")
    bad = _bad_resolver_lines(resolvers)
    if bad:
        problems["resolver_addresses"] = [_("Not an IP address (with optional :port): %(line)s") % {"line": bad}]
    users = []
    if account_usernames is not None:
        from tracker.models import User

        found = {user.username: user for user in User.objects.filter(username__in=account_usernames)}
        for username in account_usernames:
            user = found.get(username)
            if user is None or not user.groups.filter(name="isp").exists():
                problems.setdefault("accounts", []).append(
                    _("%(user)s is not a user in the ISP role") % {"user": username}
                )
            elif _reports_elsewhere(user, isp):
                problems.setdefault("accounts", []).append(
                    _("%(user)s already reports for another ISP") % {"user": username}
                )
            else:
                users.append(user)
    others = ISP.objects.exclude(pk=isp.pk) if isp else ISP.objects.all()
    for field in ("name", "licence_number"):
        if field in values and others.filter(**{f"{field}__iexact": values[field]}).exists():
            problems[field] = [_("Another ISP already has this %(field)s.") % {"field": field.replace("_", " ")}]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    with transaction.atomic():
        if isp is None:
            isp = ISP.objects.create(**{name: values[name] for name in ISP_FIELDS if name in values})
            audit.record_creation(isp, actor=actor)
        else:
            isp = ISP.objects.select_for_update().get(pk=isp.pk)
            before = audit.snapshot(isp)
            for name in ISP_FIELDS:
                if name in values:
                    setattr(isp, name, values[name])
            isp.save()
            changes = audit.diff(before, audit.snapshot(isp))
            if changes:
                audit.record(obj=isp, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes)
        if account_usernames is not None:
            current = set(isp.accounts.values_list("user__username", flat=True))
            wanted = {user.username for user in users}
            if current != wanted:
                isp.accounts.exclude(user__username__in=wanted).delete()
                for user in users:
                    ISPAccount.objects.get_or_create(isp=isp, user=user)
                audit.record(
                    obj=isp,
                    action=AuditEntry.Action.CHANGE,
                    actor=actor,
                    changes={"api_accounts": [sorted(current), sorted(wanted)]},
                )
    return isp


def _reports_elsewhere(user, isp: ISP | None) -> bool:
    taken = ISPAccount.objects.filter(user=user)
    if isp is not None:
        taken = taken.exclude(isp=isp)
    return taken.exists()


def _bad_resolver_lines(text: str) -> str | None:
    import ipaddress

    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        host, port = line, "53"
        if line.startswith("["):
            host, _sep, rest = line[1:].partition("]")
            port = rest.lstrip(":") or "53"
        elif line.count(":") == 1:
            host, port = line.split(":")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return line
        if not port.isdigit() or not 0 < int(port) < 65536:
            return line
    return None
