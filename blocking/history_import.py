"""Bringing in a ministry's history: cases with their items, the notices sent, the platforms' answers, meetings
and statements, and the block and lift orders of past years, from one JSON document, through the same
services a person uses (so every rule, refusal and audit entry is the same as at the desk or the API).

The document is a list of cases, or an object {"cases": [...]}. Times are ISO 8601 with their offset
("2017-07-14T11:30:00+07:00"); a field this format does not name is refused, so a misspelt one is not lost.

    case      platform        slug of a platform in the registry                                  required
              title           the case's title (with the platform, what makes a second run skip it) required
              description     text
              owner           username of the case owner (default: the --as user)
              items           [item]; notices: [notice]; contacts: [contact]; orders: [order]
    item      url             URL or @handle, as entered (canonicalised like any other)            required
              category        category slug                                                        required
              source          patrol | public_complaint | agency_referral | crawler                required
              logged_at       when it was first found: kept in the note of its sighting (the tracker
                              logs the item at import time; it cannot backdate a log)
              urgency, language, description                                      as on the item form
    notice    sent_at         when it was sent                                                     required
              deadline_at     its deadline (default: computed from its rung, as the ladder does)
              step            position of the ladder rung it was (default: the next rung; once the
                              rungs have run out it is recorded beyond the ladder)
              recipients      [email] (default: the platform's active contacts)
              subject, body   as sent (default: the rung's templates)
              sent_by         who sent it, in words (default: the --as user)
              replies         [reply]
    reply     received_at     when it arrived (after its notice was sent; after the deadline: late) required
              channel         email | letter | portal | phone | meeting | other                    required
              summary         what the platform said                                               required
              outcomes        {item url: outcome}; outcome "removed" | "restricted" | "no_action" |
                              "more_information", or {"outcome": "refused", "reason": "…"}
    contact   kind            meeting | phone_call | letter | public_statement | email | other     required
              occurred_at     when it happened                                                     required
              summary         what was said                                                        required
              ministry_participants, platform_participants   [name]
    order     names           [DNS name] (or one string, a name a line)                            required
              justification, legal_basis                                                           required
              effective_at    when the block took effect                                           required
              ends_at         when it ended by itself, if it did
              isps            [ISP name] | "all" (default "all": every active ISP)
              notices         [index into the case's notices] it cites (default: every notice of the
                              case sent before effective_at)
              notice_references  free text for notices sent outside this file
              lifts           [lift]
    lift      effective_at    when the lift took effect                                            required
              names           [DNS name]: some of the block's names (default: all)
              isps            [ISP name]: some of the ISPs the block bound (default: all of them)
              ends_at         when the names were blocked again, if they were
              justification, legal_basis   (default: the block's)

For example:

    [{"platform": "telegram", "title": "Terror channels on Telegram",
      "items": [{"url": "https://t.me/channel_one", "category": "terrorism", "source": "patrol"}],
      "notices": [{"sent_at": "2016-03-29T10:00:00+07:00",
                   "replies": [{"received_at": "2017-07-15T08:00:00+07:00", "channel": "email",
                                "summary": "Removed.", "outcomes": {"https://t.me/channel_one": "removed"}}]}],
      "contacts": [{"kind": "meeting", "occurred_at": "2017-08-01T10:00:00+07:00",
                    "summary": "The CEO met the minister", "platform_participants": ["CEO"]}],
      "orders": [{"names": ["t.me", "telegram.org"], "justification": "six notices unanswered",
                  "legal_basis": "Law 19/2016 art. 40", "effective_at": "2017-07-14T11:30:00+07:00",
                  "lifts": [{"effective_at": "2017-08-10T12:00:00+07:00"}]}]}]

How it runs:

1. Everything is recorded by one person (`actor`, who needs an analyst's, a liaison officer's and the
   supervisor's right to draft orders: a supervisor has them all); a second person (`verifier`, another analyst
   or a supervisor) verifies each new item, since the one who logs an item never verifies it and only verified
   items go in a notice.
2. Per case: its items, the case, then notices and replies in the order they happened (an item removed by an
   answer leaves the notices after it), contacts, and orders.
3. Orders are recorded as drafts of the past submitted for approval, never approved here: a second supervisor
   approves each, with password and second-factor code, lifts before their blocks (`Imported.awaiting_approval`
   is in that order).
4. The whole document is one transaction: a refusal names where it is (`cases[2].notices[5].sent_at: …`), with
   the service's own message, and nothing is kept. A dry run does everything and rolls it back.
5. A case whose platform and title exist already is skipped whole, so importing a file again adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from blocking import services as order_services
from blocking.models import ISP, BlockOrder
from notices import contacts, replies, sending
from notices.ladder import policy_for
from notices.models import EscalationStep, Notice
from platforms.models import Platform
from tracker.cases.models import Case
from tracker.cases.services import open_case
from tracker.core.canonical import InvalidItem
from tracker.core.errors import DomainError
from tracker.core.models import User
from tracker.items.models import Category, FlaggedItem
from tracker.items.services import HostRegistry, log_item, recognise, verify_item

CASE_FIELDS = {"platform", "title", "description", "owner", "items", "notices", "contacts", "orders"}
ITEM_FIELDS = {"url", "category", "source", "logged_at", "urgency", "language", "description"}
NOTICE_FIELDS = {"sent_at", "deadline_at", "step", "recipients", "subject", "body", "sent_by", "replies"}
REPLY_FIELDS = {"received_at", "channel", "summary", "outcomes"}
CONTACT_FIELDS = {"kind", "occurred_at", "summary", "ministry_participants", "platform_participants"}
ORDER_FIELDS = {
    "names",
    "justification",
    "legal_basis",
    "effective_at",
    "ends_at",
    "isps",
    "notices",
    "notice_references",
    "lifts",
}
LIFT_FIELDS = {"effective_at", "ends_at", "names", "isps", "justification", "legal_basis"}


class HistoryRefused(Exception):
    """The document cannot be imported: `where` names the place, the message says why."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class AwaitingApproval:
    """An order recorded by the import, as the command lists it (a dry run keeps no order to read it from)."""

    pk: int
    reference: str
    kind: str
    names: int
    effective_at: datetime
    lifts: str  # the reference of the block a lift lifts, else ""
    case: str


@dataclass
class Imported:
    cases: int = 0
    skipped: int = 0
    items: int = 0
    notices: int = 0
    replies: int = 0
    contacts: int = 0
    blocks: int = 0
    lifts: int = 0
    # In the order a second supervisor should approve them: each block's lifts, then the block.
    awaiting_approval: list[AwaitingApproval] = field(default_factory=list)


class _DryRun(Exception):
    pass


@dataclass
class _Run:
    actor: User
    verifier: User
    registry: HostRegistry
    imported: Imported
    report: Callable[[str], object]


def import_history(
    document, *, actor: User, verifier: User, dry_run: bool = False, report: Callable[[str], object] = print
) -> Imported:
    """Import `document` (see the module docstring) in one transaction; with `dry_run`, roll it all back.

    Raises HistoryRefused naming the first place refused; then nothing is kept.
    """
    if isinstance(document, list):
        cases = document
    elif isinstance(document, dict):
        _object(document, "document", {"cases"})
        cases = _list(document, "cases", "document")
    else:
        raise HistoryRefused("document", 'should be a list of cases, or {"cases": [...]}')
    run = _Run(actor=actor, verifier=verifier, registry=HostRegistry.load(), imported=Imported(), report=report)
    try:
        with transaction.atomic():
            for index, case in enumerate(cases):
                _import_case(case, f"cases[{index}]", run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return run.imported


def _import_case(data, where: str, run: _Run) -> None:
    _object(data, where, CASE_FIELDS)
    platform = _get(Platform, f"{where}.platform", slug=_text(data, "platform", where))
    title = _text(data, "title", where).strip()
    if Case.objects.filter(platform=platform, title=title).exists():
        run.imported.skipped += 1
        run.report(f"{where}: {title!r} ({platform.slug}) exists already: skipped")
        return
    items = _import_items(data, where, platform, run)
    owner = None
    if data.get("owner"):
        owner = _get(User, f"{where}.owner", username=_text(data, "owner", where), is_active=True)
    case = _call(
        where,
        open_case,
        actor=run.actor,
        platform=platform,
        title=title,
        owner=owner,
        items=items.values(),
        description=data.get("description") or "",
    )
    notices = _import_notices_and_replies(data, where, case, items, run)
    for number, row in enumerate(_list(data, "contacts", where)):
        at = f"{where}.contacts[{number}]"
        _object(row, at, CONTACT_FIELDS)
        _call(
            at,
            contacts.record_contact,
            case=case,
            actor=run.actor,
            kind=_text(row, "kind", at),
            occurred_at=_when(row, "occurred_at", at),
            summary=_text(row, "summary", at),
            ministry_participants=_texts(row, "ministry_participants", at),
            platform_participants=_texts(row, "platform_participants", at),
        )
        run.imported.contacts += 1
    orders = _list(data, "orders", where)
    for number, row in enumerate(orders):
        _import_order(row, f"{where}.orders[{number}]", case=case, notices=notices, run=run)
    run.imported.cases += 1
    lifts = sum(len(row.get("lifts") or []) for row in orders)
    run.report(
        f"{where}: {title!r} ({platform.slug}): {len(set(items.values()))} items, {len(notices)} notices, "
        f"{sum(len(row.get('replies') or []) for row in data.get('notices') or [])} replies, "
        f"{len(data.get('contacts') or [])} contacts, {len(orders)} block orders, {lifts} lifts"
    )


def _import_items(data: dict, where: str, platform: Platform, run: _Run) -> dict[str, FlaggedItem]:
    """The case's items, logged (or found, as a sighting) and verified by the second person; by canonical form."""
    items: dict[str, FlaggedItem] = {}
    for number, row in enumerate(_list(data, "items", where)):
        at = f"{where}.items[{number}]"
        _object(row, at, ITEM_FIELDS)
        category = _get(Category, f"{at}.category", slug=_text(row, "category", at))
        note = "imported history"
        if row.get("logged_at"):
            note += f"; first logged {_when(row, 'logged_at', at).isoformat()}"
        item, _created = _call(
            at,
            log_item,
            actor=run.actor,
            url=_text(row, "url", at),
            category=category,
            source=_text(row, "source", at),
            urgency=row.get("urgency") or "",
            language=row.get("language") or "",
            description=row.get("description") or "",
            handle_platform=platform,
            note=note,
            registry=run.registry,
        )
        if item.status == FlaggedItem.Status.NEW:
            item = _call(at, verify_item, item, actor=run.verifier, reason="verified when the history was imported")
        if item.canonical not in items:
            run.imported.items += 1
        items[item.canonical] = item
    return items


def _import_notices_and_replies(
    data: dict, where: str, case: Case, items: dict[str, FlaggedItem], run: _Run
) -> list[Notice]:
    # In the order they happened: an item removed by an answer leaves the notices after it.
    events = []
    for number, row in enumerate(_list(data, "notices", where)):
        at = f"{where}.notices[{number}]"
        _object(row, at, NOTICE_FIELDS)
        events.append((_when(row, "sent_at", at), 0, at, row, number))
        for reply_number, reply in enumerate(_list(row, "replies", at)):
            place = f"{at}.replies[{reply_number}]"
            _object(reply, place, REPLY_FIELDS)
            events.append((_when(reply, "received_at", place), 1, place, reply, number))
    notices: dict[int, Notice] = {}
    for when, is_reply, at, row, number in sorted(events, key=lambda event: event[:2]):
        if not is_reply:
            notices[number] = _call(
                at,
                sending.record_past_notice,
                case=case,
                actor=run.actor,
                sent_at=when,
                items=_still_noticeable(items.values()),
                step=_step(row, at, case),
                recipients=_texts(row, "recipients", at) or None,
                subject=row.get("subject") or "",
                body=row.get("body") or "",
                deadline_at=_when(row, "deadline_at", at) if row.get("deadline_at") else None,
                sent_by_label=row.get("sent_by") or "",
            )
            run.imported.notices += 1
            continue
        if number not in notices:
            raise HistoryRefused(f"{at}.received_at", "received before its notice was sent")
        _call(
            at,
            replies.record_platform_reply,
            notice=notices[number],
            actor=run.actor,
            received_at=when,
            channel=_text(row, "channel", at),
            summary=_text(row, "summary", at),
            outcomes=_outcomes(row, at, case, items, run),
            recorded_afterwards=True,
        )
        run.imported.replies += 1
    return [notices[number] for number in sorted(notices)]


def _outcomes(row: dict, where: str, case: Case, items: dict[str, FlaggedItem], run: _Run) -> dict:
    outcomes = row.get("outcomes") or {}
    if not isinstance(outcomes, dict):
        raise HistoryRefused(f"{where}.outcomes", "should be an object: {item url: outcome}")
    by_item = {}
    for url, outcome in outcomes.items():
        at = f"{where}.outcomes[{url!r}]"
        try:
            canonical, _platform = recognise(url, registry=run.registry, handle_platform=case.platform)
        except InvalidItem as refused:
            raise HistoryRefused(at, refused.message) from None
        if canonical.canonical not in items:
            raise HistoryRefused(at, "not one of the case's items")
        if isinstance(outcome, dict):
            if not set(outcome) <= {"outcome", "reason"}:
                raise HistoryRefused(at, 'give "removed", … or {"outcome": "refused", "reason": "…"}')
            outcome = replies.ItemOutcome(str(outcome.get("outcome") or ""), str(outcome.get("reason") or ""))
        elif not isinstance(outcome, str):
            raise HistoryRefused(at, 'give "removed", … or {"outcome": "refused", "reason": "…"}')
        by_item[items[canonical.canonical].pk] = outcome
    return by_item


def _step(row: dict, where: str, case: Case) -> EscalationStep | None:
    position = row.get("step")
    if position is None:
        return None
    rungs = policy_for(case.platform).steps.exclude(kind=EscalationStep.Kind.BLOCK_PROPOSAL)
    step = rungs.filter(position=position).first() if isinstance(position, int) else None
    if step is None:
        positions = ", ".join(str(each) for each in rungs.order_by("position").values_list("position", flat=True))
        raise HistoryRefused(f"{where}.step", f"not a notice rung of the platform's ladder ({positions})")
    return step


def _import_order(row, where: str, *, case: Case, notices: list[Notice], run: _Run) -> None:
    _object(row, where, ORDER_FIELDS)
    effective_at = _when(row, "effective_at", where)
    common = {"justification": _text(row, "justification", where), "legal_basis": _text(row, "legal_basis", where)}
    if "notices" in row:
        cited = [
            _indexed(notices, index, f"{where}.notices[{n}]") for n, index in enumerate(_list(row, "notices", where))
        ]
    else:
        cited = [notice for notice in notices if notice.sent_at < effective_at]
    block = _call(
        where,
        order_services.record_past_order,
        actor=run.actor,
        names=_names(row, where),
        case=case,
        notices=cited,
        notice_references=row.get("notice_references") or "",
        effective_at=effective_at,
        ends_at=_when(row, "ends_at", where) if row.get("ends_at") else None,
        isps=_isps(row, where),
        **common,
    )
    run.imported.blocks += 1
    lifts = []
    for number, lift in enumerate(_list(row, "lifts", where)):
        at = f"{where}.lifts[{number}]"
        _object(lift, at, LIFT_FIELDS)
        lifts.append(
            _call(
                at,
                order_services.record_past_order,
                actor=run.actor,
                block_order=block,
                names=_names(lift, at) if lift.get("names") else None,
                isps=_isps(lift, at),
                effective_at=_when(lift, "effective_at", at),
                ends_at=_when(lift, "ends_at", at) if lift.get("ends_at") else None,
                justification=lift.get("justification") or common["justification"],
                legal_basis=lift.get("legal_basis") or common["legal_basis"],
            )
        )
        run.imported.lifts += 1
    # Lifts first: approving a past block after its lifts puts both in force together (README).
    for order in [*lifts, block]:
        order = _call(where, order_services.submit_for_approval, order=order, actor=run.actor)
        run.imported.awaiting_approval.append(
            AwaitingApproval(
                pk=order.pk,
                reference=order.reference,
                kind=order.kind,
                names=order.names.count(),
                effective_at=order.effective_at,
                lifts=block.reference if order.kind == BlockOrder.Kind.LIFT else "",
                case=case.title,
            )
        )


def _still_noticeable(items) -> list[FlaggedItem]:
    """The case's items a notice may still name: those an answer before it has not removed, restricted or closed."""
    return list(FlaggedItem.objects.filter(pk__in=[item.pk for item in items], status__in=sending.NOTICEABLE))


def _names(row: dict, where: str):
    names = row.get("names")
    if isinstance(names, str) or (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        return names
    raise HistoryRefused(f"{where}.names", "give a list of DNS names")


def _isps(row: dict, where: str) -> list[ISP] | None:
    """None (every ISP: for a block, all active ones; for a lift, all its block bound) or the ISPs named."""
    named = row.get("isps")
    if named is None or named == "all":
        return None
    if not isinstance(named, list):
        raise HistoryRefused(f"{where}.isps", 'give a list of ISP names, or "all"')
    return [_get(ISP, f"{where}.isps[{number}]", name=name) for number, name in enumerate(named)]


def _indexed(notices: list[Notice], index, where: str) -> Notice:
    if not isinstance(index, int) or not 0 <= index < len(notices):
        raise HistoryRefused(where, f"give the index of one of the case's {len(notices)} notices")
    return notices[index]


def _call(where: str, service, *args, **kwargs):
    try:
        return service(*args, **kwargs)
    except DomainError as refused:
        # One field at fault extends the place (`….replies[0].channel`); the others' problems follow the message.
        if len(refused.fields) == 1:
            where += f".{next(iter(refused.fields))}"
        others = [f"{name}: {problem}" for name, problems in refused.fields.items() for problem in problems]
        others = [other for other in others if not other.endswith(f": {refused.message}")]
        message = refused.message + (f" ({'; '.join(others[:5])})" if others else "")
        raise HistoryRefused(where, message) from None


def _get(model, where: str, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        shown = ", ".join(f"{key} {value!r}" for key, value in lookup.items() if key != "is_active")
        raise HistoryRefused(where, f"no {model._meta.verbose_name} with {shown}")
    return found


def _object(value, where: str, fields: set[str]) -> None:
    if not isinstance(value, dict):
        raise HistoryRefused(where, "should be an object")
    unknown = sorted(set(value) - fields)
    if unknown:
        raise HistoryRefused(where, f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise HistoryRefused(f"{where}.{key}", "should be a list")
    return value


def _texts(data: dict, key: str, where: str) -> list[str]:
    values = _list(data, key, where)
    if not all(isinstance(value, str) for value in values):
        raise HistoryRefused(f"{where}.{key}", "should be a list of texts")
    return values


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HistoryRefused(f"{where}.{key}", "is required")
    return value


def _when(data: dict, key: str, where: str) -> datetime:
    value = data.get(key)
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise HistoryRefused(f"{where}.{key}", "give a date and time with its offset, e.g. 2017-07-14T11:30:00+07:00")
    return parsed
