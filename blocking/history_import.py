"""Bringing in a ministry's history: cases with their items, the notices sent, the platforms' answers, meetings
and statements, and the block and lift orders of past years, from one JSON document, through the same
services a person uses (so every rule and every audit entry is the same).

The document:

    {"cases": [{
        "platform": "telegram", "title": "Terror channels on Telegram", "owner": "lina",
        "items": [{"url": "https://t.me/channel_one", "category": "terrorism", "source": "patrol"}],
        "notices": [{"sent_at": "2016-03-29T10:00:00+07:00", "deadline_at": null, "recipients": ["abuse@…"],
                     "subject": "", "body": "",
                     "replies": [{"received_at": "2017-07-15T08:00:00+07:00", "channel": "email",
                                  "summary": "…", "outcomes": {"https://t.me/channel_one": "removed"}}]}],
        "contacts": [{"kind": "meeting", "occurred_at": "2017-08-01T10:00:00+07:00", "summary": "…",
                      "ministry_participants": ["…"], "platform_participants": ["…"]}],
        "orders": [{"names": ["t.me", "…"], "justification": "…", "legal_basis": "…",
                    "effective_at": "2017-07-14T11:30:00+07:00", "isps": ["Telkom"],
                    "lifts": [{"effective_at": "2017-08-10T12:00:00+07:00", "names": null, "ends_at": null}]}]
    }]}

Everything runs as one person (`--as`: a supervisor may do all of it); a second person verifies the items
(`--verified-by`), since the one who logs an item never verifies it. Orders are recorded as drafts submitted for
approval, never approved here: a second supervisor approves each (lifts before their blocks) with password and
second-factor code, as for any order. The whole document is one transaction; a refusal names where it is
(`cases[2].notices[5].sent_at: …`) and nothing is kept. A case whose platform and title exist already is skipped,
so importing a file again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from blocking import services as order_services
from blocking.models import ISP, BlockOrder
from notices import contacts, replies, sending
from platforms.models import Platform
from tracker.cases.models import Case
from tracker.cases.services import open_case
from tracker.core.errors import DomainError
from tracker.core.models import User
from tracker.items.models import Category, FlaggedItem
from tracker.items.services import log_item, verify_item


class HistoryRefused(Exception):
    """The document cannot be imported: `where` names the place, the message says why."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass
class Imported:
    cases: int = 0
    skipped: int = 0
    items: int = 0
    notices: int = 0
    replies: int = 0
    contacts: int = 0
    awaiting_approval: list[BlockOrder] = field(default_factory=list)


class _DryRun(Exception):
    pass


def import_history(document: dict, *, actor, verifier, dry_run: bool = False, report=print) -> Imported:
    imported = Imported()
    try:
        with transaction.atomic():
            for index, case in enumerate(_list(document, "cases", "document")):
                _import_case(case, f"cases[{index}]", actor=actor, verifier=verifier, imported=imported, report=report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return imported


def _import_case(data: dict, where: str, *, actor, verifier, imported: Imported, report) -> None:
    platform = _get(Platform, f"{where}.platform", slug=_text(data, "platform", where))
    title = _text(data, "title", where)
    if Case.objects.filter(platform=platform, title=title).exists():
        imported.skipped += 1
        report(f"{where}: {title!r} ({platform.slug}) exists already: skipped")
        return
    items = {}
    for number, row in enumerate(_list(data, "items", where)):
        at = f"{where}.items[{number}]"
        category = _get(Category, f"{at}.category", slug=_text(row, "category", at))
        item, _created = _call(
            at, log_item, actor=actor, url=_text(row, "url", at), category=category, source=_text(row, "source", at)
        )
        if item.status == item.Status.NEW:
            item = _call(at, verify_item, item, actor=verifier, reason="verified when the history was imported")
        items[row["url"]] = item
        imported.items += 1
    owner = _get(User, f"{where}.owner", username=data["owner"]) if data.get("owner") else None
    case = _call(
        where,
        open_case,
        actor=actor,
        platform=platform,
        title=title,
        owner=owner,
        items=items.values(),
        description=data.get("description", ""),
    )
    # Notices and replies in the order they happened: an item removed by an answer leaves the notices after it.
    events = []
    for number, row in enumerate(_list(data, "notices", where)):
        at = f"{where}.notices[{number}]"
        events.append((_when(row, "sent_at", at), 0, at, row, number))
        for reply_number, reply in enumerate(_list(row, "replies", at)):
            place = f"{at}.replies[{reply_number}]"
            events.append((_when(reply, "received_at", place), 1, place, reply, number))
    notices = {}
    for when, is_reply, at, row, number in sorted(events, key=lambda event: event[:2]):
        if not is_reply:
            notices[number] = _call(
                at,
                sending.record_past_notice,
                case=case,
                actor=actor,
                sent_at=when,
                items=_still_pending(items.values()),
                recipients=row.get("recipients") or None,
                subject=row.get("subject", ""),
                body=row.get("body", ""),
                deadline_at=_when(row, "deadline_at", at) if row.get("deadline_at") else None,
            )
            imported.notices += 1
            continue
        if number not in notices:
            raise HistoryRefused(at, "received before its notice was sent")
        outcomes = {}
        for url, outcome in (row.get("outcomes") or {}).items():
            if url not in items:
                raise HistoryRefused(f"{at}.outcomes", f"{url} is not one of the case's items")
            outcomes[items[url].pk] = outcome
        _call(
            at,
            replies.record_platform_reply,
            notice=notices[number],
            actor=actor,
            received_at=when,
            channel=_text(row, "channel", at),
            summary=_text(row, "summary", at),
            outcomes=outcomes,
            recorded_afterwards=True,
        )
        imported.replies += 1
    for number, row in enumerate(_list(data, "contacts", where)):
        at = f"{where}.contacts[{number}]"
        _call(
            at,
            contacts.record_contact,
            case=case,
            actor=actor,
            kind=_text(row, "kind", at),
            occurred_at=_when(row, "occurred_at", at),
            summary=_text(row, "summary", at),
            ministry_participants=row.get("ministry_participants", []),
            platform_participants=row.get("platform_participants", []),
        )
        imported.contacts += 1
    for number, row in enumerate(_list(data, "orders", where)):
        _import_order(row, f"{where}.orders[{number}]", case=case, actor=actor, imported=imported)
    imported.cases += 1
    report(
        f"{where}: {title!r}: {len(items)} items, {len(data.get('notices', []))} notices, "
        f"{len(data.get('contacts', []))} contacts, {len(data.get('orders', []))} orders"
    )


def _import_order(row: dict, where: str, *, case: Case, actor, imported: Imported) -> None:
    isps = [_get(ISP, f"{where}.isps", name=name) for name in row.get("isps") or []] or None
    common = {"justification": _text(row, "justification", where), "legal_basis": _text(row, "legal_basis", where)}
    block = _call(
        where,
        order_services.record_past_order,
        actor=actor,
        names=row.get("names"),
        case=case,
        effective_at=_when(row, "effective_at", where),
        isps=isps,
        **common,
    )
    lifts = []
    for number, lift in enumerate(_list(row, "lifts", where)):
        at = f"{where}.lifts[{number}]"
        lifts.append(
            _call(
                at,
                order_services.record_past_order,
                actor=actor,
                block_order=block,
                names=lift.get("names"),
                effective_at=_when(lift, "effective_at", at),
                ends_at=_when(lift, "ends_at", at) if lift.get("ends_at") else None,
                justification=lift.get("justification") or common["justification"],
                legal_basis=lift.get("legal_basis") or common["legal_basis"],
            )
        )
    # Lifts first: approving a past block after its lifts puts both in force together (README).
    for order in [*lifts, block]:
        imported.awaiting_approval.append(_call(where, order_services.submit_for_approval, order=order, actor=actor))


def _still_pending(items) -> list[FlaggedItem]:
    """The case's items a notice may still name: not removed, restricted or closed by an answer before it."""
    done = [FlaggedItem.Status.REMOVED, FlaggedItem.Status.RESTRICTED, FlaggedItem.Status.CLOSED]
    return list(FlaggedItem.objects.filter(pk__in=[item.pk for item in items]).exclude(status__in=done))


def _call(where: str, service, *args, **kwargs):
    try:
        return service(*args, **kwargs)
    except DomainError as refused:
        fields = "; ".join(f"{name}: {' '.join(map(str, problems))}" for name, problems in refused.fields.items())
        raise HistoryRefused(where, refused.message + (f" ({fields})" if fields else "")) from None


def _get(model, where: str, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise HistoryRefused(where, f"no {model._meta.verbose_name} with {lookup}")
    return found


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise HistoryRefused(f"{where}.{key}", "should be a list")
    return value


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HistoryRefused(f"{where}.{key}", "is required")
    return value


def _when(data: dict, key: str, where: str) -> datetime:
    value = parse_datetime(str(data.get(key) or ""))
    if value is None or value.tzinfo is None:
        raise HistoryRefused(f"{where}.{key}", "give a date and time with its offset, e.g. 2017-07-14T11:30:00+07:00")
    return value
