"""Bulk import of flagged items: thousands of addresses at once, with the semantics of `log_item`.

A new canonical form becomes a FlaggedItem with its first Sighting and an audit entry; a known one gets
a Sighting more, its sighting count and last report time move, and its urgency may rise to urgent.
`create_import` checks and stores the upload and queues the task; `run_import` does the work in chunks,
each chunk one transaction that also moves the import's progress, so a crash resumes where it stopped.
`requeue_stuck_imports` queues again an import whose task was lost (Redis down) or whose worker died.

Rows are written set-wise. On PostgreSQL new items go through COPY into a temporary staging table and
`INSERT … SELECT … ON CONFLICT (canonical) DO NOTHING`, and sightings and audit entries through COPY;
any other database takes `bulk_create`. Everything else (reading, recognising, deciding) is shared.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, InterfaceError, OperationalError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from platforms.models import Platform
from tracker.cases.models import Case, CaseItem
from tracker.core import actors, audit, audit_chain, queueing
from tracker.core.canonical import InvalidItem
from tracker.core.errors import DomainError, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import claim_state
from tracker.imports.models import ImportRejection, ItemImport
from tracker.items.models import Category, FlaggedItem, Sighting, Urgency
from tracker.items.services import HostRegistry, effective_urgency, recognise

from . import parsing

logger = logging.getLogger(__name__)
Status = ItemImport.Status
LANGUAGE_MAX = FlaggedItem._meta.get_field("language").max_length
VALUE_MAX = ImportRejection._meta.get_field("value").max_length
ENTERED_MAX = FlaggedItem._meta.get_field("entered_as").max_length
_JSON = DjangoJSONEncoder()
LOOKUP_BATCH = 10_000  # canonical forms per lookup query; SQLite allows 32,766 parameters
REQUEUE_BATCH = 500  # stuck imports queued again per sweep; the next sweep takes the rest


# --- creating an import -----------------------------------------------------------------------------


def create_import(
    *,
    actor,
    uploaded_file=None,
    text: str | None = None,
    default_category: Category | None,
    default_source: str,
    default_platform: Platform | None = None,
    case: Case | None = None,
) -> ItemImport:
    """Check and store a pasted list (`text`) or an uploaded file, and queue its import.

    Nothing is saved when the upload is refused (UploadRefused, DomainError). An uploaded file is a CSV
    with a header unless its name ends in .txt, which is read as a list like pasted text.
    """
    require_permission(actor, "tracker.add_flaggeditem")
    if (uploaded_file is None) == (text is None):
        message = _("Paste a list or upload a file (one of the two).")
        raise DomainError(message, fields={"file": [message], "text": [message]})
    field = "file" if uploaded_file is not None else "text"
    # A CSV may name each row's category; a list (pasted, or a .txt file) cannot, so it needs the form's.
    is_csv = uploaded_file is not None and not (uploaded_file.name or "").lower().endswith(".txt")
    _check_choices(actor=actor, category=default_category, source=default_source, case=case, rows_name_category=is_csv)
    if uploaded_file is not None:
        name = Path(uploaded_file.name or "upload.csv").name
        fmt = parsing.LIST if name.lower().endswith(".txt") else parsing.CSV
        if uploaded_file.size is not None and uploaded_file.size > settings.IMPORT_MAX_BYTES:
            raise parsing.UploadRefused(parsing.too_large_message(), field=field)
        chunks: Iterable[bytes] = uploaded_file.chunks()
    else:
        name, fmt = _("pasted list"), parsing.LIST
        chunks = [text.encode("utf-8")]
    folder = Path(settings.VAR_DIR) / "imports"
    incoming = folder / f"incoming-{uuid.uuid4().hex}{parsing.SUFFIXES[fmt]}"
    final = None
    try:
        parsing.store(chunks, incoming, field=field)
        total = parsing.check(incoming, fmt=fmt, field=field)
        with transaction.atomic():
            item_import = ItemImport.objects.create(
                created_by=actor,
                source_name=name[:255],
                stored_path="",
                default_category=default_category,
                default_source=default_source,
                default_platform=default_platform,
                case=case,
                total_rows=total,
                lease_until=timezone.now() + _queued_grace(),
            )
            relative = f"imports/{item_import.pk}{parsing.SUFFIXES[fmt]}"
            final = folder / f"{item_import.pk}{parsing.SUFFIXES[fmt]}"
            os.replace(incoming, final)
            item_import.stored_path = relative
            item_import.save(update_fields=["stored_path"])
            audit.record_creation(item_import, actor=actor, reason=_("%(rows)s rows to import") % {"rows": total})
            transaction.on_commit(lambda: _queue(item_import.pk))
    except BaseException:
        incoming.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise
    return item_import


def _queue(import_id: int) -> None:
    from tracker.imports.tasks import run_item_import

    # Saved and queued: if the queue is down, requeue_stuck_imports queues it when its lease runs out.
    queueing.queue(run_item_import.delay, import_id, what=f"import {import_id}")


def _queued_grace() -> timedelta:
    """How long a queued import waits for its task before the sweep queues it again."""
    return timedelta(seconds=settings.IMPORT_QUEUED_SECONDS)


def _lease() -> timedelta:
    """How long a running import stays with its worker without committing a chunk."""
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def _check_choices(*, actor, category, source, case, rows_name_category: bool) -> None:
    problems = {}
    if category is None and not rows_name_category:
        problems["category"] = [_("A list has no category column: choose the category of its items.")]
    elif category is not None and not category.is_active:
        problems["category"] = [_("Choose an active category.")]
    if source not in FlaggedItem.Source.values:
        problems["source"] = [_("Choose a source: %(choices)s") % {"choices": ", ".join(FlaggedItem.Source.values)}]
    if case is not None:
        if not actor.has_perm("tracker.change_case"):
            problems["case"] = [_("You may not add items to cases.")]
        elif case.status == Case.Status.CLOSED:
            problems["case"] = [_("The case is closed; items can no longer be added to it.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)


# --- running an import ------------------------------------------------------------------------------


def run_import(import_id: int) -> ItemImport | None:
    """Import the rows of an import; safe to run twice, and resumes after the last committed chunk.

    1. Claim: queued -> running with a conditional UPDATE, taking the lease. A running import is resumed
       (the sweep queued it again after its worker died); a done or failed one is left alone.
    2. Read the rows after `processed_rows` and understand each chunk outside any transaction.
    3. Each chunk's transaction first moves `processed_rows` from where this run read to the chunk's
       end, again conditionally, and renews the lease: a second worker on the same import waits on that
       row, then finds nothing to claim and stops, so no row is ever imported twice.
    4. Done when the rows run out; the lease ends with the run.
    """
    now = timezone.now()
    claim_state(
        ItemImport.objects.filter(pk=import_id),
        to=Status.RUNNING,
        also={"started_at": now, "lease_until": now + _lease()},
    )
    item_import = (
        ItemImport.objects.select_related("created_by", "default_category", "default_platform", "case")
        .filter(pk=import_id, status=Status.RUNNING)
        .first()
    )
    if item_import is None:
        return None
    try:
        context = _Context.load(item_import)
        offset = item_import.processed_rows
        rows = parsing.read(Path(settings.VAR_DIR) / item_import.stored_path, skip=offset)
        for chunk in _chunks(rows, settings.IMPORT_CHUNK_ROWS):
            valid, rejected = context.understand(chunk)
            with transaction.atomic():
                context.store.begin_chunk()
                advanced = ItemImport.objects.filter(pk=import_id, status=Status.RUNNING, processed_rows=offset).update(
                    processed_rows=offset + len(chunk), lease_until=timezone.now() + _lease()
                )
                if not advanced:
                    logger.info("import %s: chunk at row %s taken by another run", import_id, offset)
                    return None
                created = _write_chunk(context, valid, rejected)
                ItemImport.objects.filter(pk=import_id).update(
                    imported_count=F("imported_count") + created,
                    merged_count=F("merged_count") + len(valid) - created,
                    rejected_count=F("rejected_count") + len(rejected),
                    raised_count=F("raised_count") + sum(row.raised for row in valid),
                )
            offset += len(chunk)
            if settings.IMPORT_CHUNK_PAUSE_SECONDS:
                time.sleep(settings.IMPORT_CHUNK_PAUSE_SECONDS)
        claim_state(
            ItemImport.objects.filter(pk=import_id),
            to=Status.DONE,
            also={"finished_at": timezone.now(), "lease_until": None},
        )
    except (OperationalError, InterfaceError):
        raise  # the database went away: still running, and the task's retry resumes it
    except Exception as exc:
        failure = {"finished_at": timezone.now(), "error": f"{type(exc).__name__}: {exc}"[:2000], "lease_until": None}
        claim_state(ItemImport.objects.filter(pk=import_id), to=Status.FAILED, also=failure)
        raise
    item_import.refresh_from_db()
    return item_import


def requeue_stuck_imports(*, now: datetime | None = None, limit: int = REQUEUE_BATCH) -> list[int]:
    """Queue again the imports no task is on; returns their ids. The system acts (actors.IMPORT).

    An import is stuck when its lease has run out: queued for IMPORT_QUEUED_SECONDS without a task
    starting it (its message was lost, e.g. Redis was down when it was created), or running for
    IMPORT_LEASE_SECONDS without committing a chunk (its worker died; the broker would redeliver the
    task only after its visibility timeout, an hour).

    1. One indexed query finds them and locks them, skipping any whose chunk is being committed.
    2. Each gets a fresh lease of IMPORT_QUEUED_SECONDS, for the task queued now to start, so the next
       sweep leaves it alone; and an audit entry says why it was queued again.
    3. After commit its task is queued. The run resumes after the last committed chunk, and a worker
       thought dead that is still on it loses the next chunk's claim and stops (see run_import).
    """
    now = now or timezone.now()
    with transaction.atomic():
        stuck = list(
            ItemImport.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.QUEUED, Status.RUNNING], lease_until__lte=now)
            .order_by("lease_until")
            .only("pk", "source_name", "status", "lease_until", "processed_rows")[:limit]
        )
        if not stuck:
            return []
        ids = [item_import.pk for item_import in stuck]
        ItemImport.objects.filter(pk__in=ids).update(lease_until=now + _queued_grace())
        for item_import in stuck:
            audit.record(
                obj=item_import, action=AuditEntry.Action.EVENT, actor=actors.IMPORT, reason=_stuck_reason(item_import)
            )
        transaction.on_commit(lambda: [_queue(import_id) for import_id in ids])
    logger.warning("imports queued again (no task was on them): %s", ids)
    return ids


def _stuck_reason(item_import: ItemImport) -> str:
    if item_import.status == Status.QUEUED:
        return _("Queued again: no worker started it within %(seconds)s seconds (its task was lost).") % {
            "seconds": settings.IMPORT_QUEUED_SECONDS
        }
    return _(
        "Queued again: its worker stopped renewing its lease (until %(lease)s) after row %(rows)s; "
        "the import resumes from there."
    ) % {"lease": item_import.lease_until.isoformat(timespec="seconds"), "rows": item_import.processed_rows}


def _chunks(rows: Iterator[parsing.Row], size: int) -> Iterator[list[parsing.Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class _Valid:
    line: int
    entered: str
    canonical: str
    display: str
    kind: str
    host: str
    platform_id: int | None
    category_id: int
    source: str
    urgency: str
    language: str
    description: str
    raised: bool = False  # asked for normal urgency in a category that is always urgent: raised, and said so


@dataclass
class _Context:
    """What every chunk of one import needs, loaded once: the registry, categories, platforms."""

    item_import: ItemImport
    registry: HostRegistry
    categories: dict[str, Category]
    platforms: dict[str, Platform]
    platform_names: dict[int, str]
    sources: dict[str, str]
    item_type_id: int
    case_type_id: int
    store: _PortableStore
    _urgencies: dict[tuple[int, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, item_import: ItemImport) -> _Context:
        categories = {}
        for category in Category.objects.all():
            categories[category.name.lower()] = category
            categories[category.slug.lower()] = category
        platforms = {platform.slug.lower(): platform for platform in Platform.objects.all()}
        sources = {}
        for value, label in FlaggedItem.Source.choices:
            sources[value] = value
            sources[str(label).lower()] = value
            sources[value.replace("_", " ")] = value
        return cls(
            item_import=item_import,
            registry=HostRegistry.load(),
            categories=categories,
            platforms=platforms,
            platform_names={platform.pk: platform.name for platform in platforms.values()},
            sources=sources,
            item_type_id=ContentType.objects.get_for_model(FlaggedItem).pk,
            case_type_id=ContentType.objects.get_for_model(Case).pk,
            store=_CopyStore() if connection.vendor == "postgresql" else _PortableStore(),
        )

    def understand(self, rows: list[parsing.Row]) -> tuple[list[_Valid], list[dict]]:
        """The rows that can be imported, and a rejection for each of the others."""
        valid, rejected = [], []
        for row in rows:
            try:
                valid.append(self._understand(row))
            except _Rejected as exc:
                rejected.append(
                    {
                        "item_import_id": self.item_import.pk,
                        "line": row.line,
                        "value": row.url[:VALUE_MAX],
                        "reason": exc.reason,
                    }
                )
        return valid, rejected

    def _understand(self, row: parsing.Row) -> _Valid:
        item_import = self.item_import
        if row.problem:
            raise _Rejected(row.problem)
        category = item_import.default_category
        if row.category:
            category = self.categories.get(row.category.lower())
            if category is None:
                raise _Rejected(_("Unknown category “%(value)s”.") % {"value": row.category[:100]})
        if category is None:
            raise _Rejected(_("The line has no category, and the import none by default."))
        if not category.is_active:
            raise _Rejected(_("The category %(name)s is no longer in use.") % {"name": category})
        source = item_import.default_source
        if row.source:
            source = self.sources.get(row.source.lower().strip())
            if source is None:
                raise _Rejected(
                    _("Unknown source “%(value)s”; use one of: %(choices)s.")
                    % {"value": row.source[:100], "choices": ", ".join(FlaggedItem.Source.values)}
                )
        platform = item_import.default_platform
        if row.platform:
            platform = self.platforms.get(row.platform.lower())
            if platform is None:
                raise _Rejected(_("Unknown platform “%(value)s”.") % {"value": row.platform[:100]})
        requested = row.urgency.lower()
        raised = requested == Urgency.NORMAL and category.default_urgency == Urgency.URGENT
        urgency = self._urgency(category, Urgency.URGENT if raised else requested)
        if len(row.language) > LANGUAGE_MAX:
            raise _Rejected(
                _("The language “%(value)s” is longer than %(limit)s characters.")
                % {"value": row.language[:50], "limit": LANGUAGE_MAX}
            )
        try:
            canonical, platform_id = recognise(row.url, registry=self.registry, handle_platform=platform)
        except InvalidItem as exc:
            raise _Rejected(exc.message) from None
        case = item_import.case
        if case is not None and platform_id != case.platform_id:
            raise _Rejected(
                _("This is an item of %(platform)s, not of %(case_platform)s, the platform of the case.")
                % {
                    "platform": self.platform_names.get(platform_id, _("an unknown platform")),
                    "case_platform": self.platform_names.get(case.platform_id, case.platform_id),
                }
            )
        return _Valid(
            line=row.line,
            entered=row.url[:ENTERED_MAX],
            canonical=canonical.canonical,
            display=canonical.display,
            kind=canonical.kind,
            host=canonical.host,
            platform_id=platform_id,
            category_id=category.pk,
            source=source,
            urgency=urgency,
            language=row.language,
            description=row.description,
            raised=raised,
        )

    def _urgency(self, category: Category, requested: str) -> str:
        key = (category.pk, requested)
        if key not in self._urgencies:
            try:
                self._urgencies[key] = effective_urgency(category, requested)
            except DomainError as exc:
                self._urgencies[key] = _Rejected(exc.message)
        found = self._urgencies[key]
        if isinstance(found, _Rejected):
            raise found
        return found


def _row_note(row: _Valid, *, first_of_new_item: bool) -> str:
    """The sighting's note: the row's description (the new item holds the first one), and why its urgency rose."""
    parts = [] if first_of_new_item else [row.description]
    if row.raised:
        parts.append(_("urgency raised to urgent: items of this category are always urgent"))
    return "; ".join(part for part in parts if part)


class _Rejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _write_chunk(context: _Context, valid: list[_Valid], rejected: list[dict]) -> int:
    """Write one chunk's items, sightings, audit entries and case memberships; returns the new items."""
    item_import, store = context.item_import, context.store
    actor = item_import.created_by
    now = timezone.now()
    rows_of: dict[str, list[_Valid]] = {}
    for row in valid:
        rows_of.setdefault(row.canonical, []).append(row)

    # 1. Which canonical forms are known already (one query), and the new ones inserted set-wise.
    known = _known(rows_of)
    new_items = []
    for canonical, rows in rows_of.items():
        if canonical in known:
            continue
        first = rows[0]
        new_items.append(
            {
                "canonical": canonical,
                "display": first.display,
                "entered_as": first.entered,
                "kind": first.kind,
                "platform_id": first.platform_id,
                "host": first.host,
                "category_id": first.category_id,
                "urgency": _highest(row.urgency for row in rows),
                "source": first.source,
                "language": first.language,
                "description": first.description,
                "status": FlaggedItem.Status.NEW,
                "logged_by_id": actor.pk,
                "logged_at": now,
                "verified_by_id": None,
                "verified_at": None,
                "status_changed_at": now,
                "sighting_count": len(rows),
                "last_reported_at": now,
            }
        )
    created = store.insert_items(new_items)
    lost = [item["canonical"] for item in new_items if item["canonical"] not in created]
    if lost:  # logged by someone else since the lookup: these rows are sightings of their items
        known.update(_known(lost))

    # 2. A sighting for every row.
    sightings = []
    for canonical, rows in rows_of.items():
        item_id = created.get(canonical) or known[canonical][0]
        for index, row in enumerate(rows):
            sightings.append(
                {
                    "item_id": item_id,
                    "entered_as": row.entered,
                    "source": row.source,
                    "reported_by_id": actor.pk,
                    "reported_at": now,
                    "note": _row_note(row, first_of_new_item=not index and canonical in created),
                    "item_import_id": item_import.pk,
                }
            )
    store.append(Sighting, sightings)

    # 3. Known items: counts and last report time, set-wise by how many rows each got; urgency may rise.
    entries = []
    reported: dict[int, list[int]] = {}
    urgent = []
    again_reason = _("reported again by import %(import)s, line %(lines)s")
    for canonical, (item_id, urgency, display) in known.items():
        rows = rows_of[canonical]
        reported.setdefault(len(rows), []).append(item_id)
        changes = {}
        if urgency != Urgency.URGENT and _highest(row.urgency for row in rows) == Urgency.URGENT:
            urgent.append(item_id)
            changes["urgency"] = [urgency, Urgency.URGENT]
        reason = again_reason % {
            "import": item_import.pk,
            "lines": ", ".join(str(row.line) for row in rows[:20]) + ("…" if len(rows) > 20 else ""),
        }
        entries.append(_entry(context, AuditEntry.Action.EVENT, item_id, display, now, changes=changes, reason=reason))
    for count, item_ids in reported.items():
        FlaggedItem.objects.filter(pk__in=item_ids).update(
            sighting_count=F("sighting_count") + count, last_reported_at=now
        )
    if urgent:
        FlaggedItem.objects.filter(pk__in=urgent).update(urgency=Urgency.URGENT)

    # 4. An audit entry for every new item, as record_creation would write it (its JSON built once here).
    stamp = _JSON.default(now)
    created_reason = _("imported by import %(import)s, line %(lines)s")
    for item in new_items:
        item_id = created.get(item["canonical"])
        if item_id is None:
            continue
        changes = {"id": [None, item_id]}
        for name, value in item.items():
            changes[name.removesuffix("_id")] = [None, stamp if value is now else value]
        lines = ", ".join(str(row.line) for row in rows_of[item["canonical"]][:20])
        reason = created_reason % {"import": item_import.pk, "lines": lines}
        entries.append(
            _entry(context, AuditEntry.Action.CREATE, item_id, item["display"], now, changes=changes, reason=reason)
        )

    # 5. The case: every item of the chunk not in it yet, audited as cases.add_items does.
    if item_import.case_id is not None:
        canonical_of = {item_id: canonical for canonical, item_id in created.items()}
        canonical_of.update({item_id: canonical for canonical, (item_id, _u, _d) in known.items()})
        already = set(
            CaseItem.objects.filter(
                case_id=item_import.case_id, item_id__in=list(canonical_of), removed_at__isnull=True
            ).values_list("item_id", flat=True)
        )
        joining = sorted(set(canonical_of) - already)
        if joining:
            CaseItem.objects.bulk_create(
                [
                    CaseItem(case_id=item_import.case_id, item_id=item_id, added_by_id=actor.pk, added_at=now)
                    for item_id in joining
                ],
                ignore_conflicts=True,  # added by hand meanwhile: one active membership is enough
            )
            entries.append(
                _entry(
                    context,
                    AuditEntry.Action.CHANGE,
                    item_import.case_id,
                    str(item_import.case),
                    now,
                    content_type_id=context.case_type_id,
                    changes={"items_added": [canonical_of[item_id] for item_id in joining[:1000]]},
                    reason=_("%(count)d items added by import %(import)s")
                    % {"count": len(joining), "import": item_import.pk},
                )
            )
    store.append(AuditEntry, entries)
    audit_chain.seal_after_commit()
    store.append(ImportRejection, rejected)
    return len(created)


def _known(canonicals: Iterable[str]) -> dict[str, tuple[int, str, str]]:
    """canonical -> (id, urgency, display) of the items already stored."""
    canonicals = list(canonicals)
    found = {}
    for start in range(0, len(canonicals), LOOKUP_BATCH):
        rows = FlaggedItem.objects.filter(canonical__in=canonicals[start : start + LOOKUP_BATCH]).values_list(
            "canonical", "pk", "urgency", "display"
        )
        found.update({canonical: (pk, urgency, display) for canonical, pk, urgency, display in rows})
    return found


def _highest(urgencies: Iterable[str]) -> str:
    return Urgency.URGENT if Urgency.URGENT in set(urgencies) else Urgency.NORMAL


def _entry(context: _Context, action, object_id, shown, at, *, changes, reason, content_type_id=None) -> dict:
    actor = context.item_import.created_by
    return {
        "at": at,
        "actor_id": actor.pk,
        "actor_label": actor.get_username(),
        "source": AuditEntry.Source.TASK,
        "remote_addr": None,
        "action": action,
        "content_type_id": content_type_id or context.item_type_id,
        "object_id": str(object_id),
        "object_repr": shown[:255],
        "from_state": "",
        "to_state": "",
        "changes": changes,
        "reason": reason,
        "chain_hash": "",  # sealed after commit, like every entry (tracker/core/audit_chain.py)
    }


# --- storage: portable, and COPY on PostgreSQL --------------------------------------------------------


class _PortableStore:
    """Set-wise writes any database Django supports can take."""

    def begin_chunk(self) -> None:
        pass

    def insert_items(self, items: list[dict]) -> dict[str, int]:
        """Insert the items whose canonical form is still free; canonical -> id of those inserted."""
        while items:
            objects = [FlaggedItem(**item) for item in items]
            try:
                with transaction.atomic():
                    FlaggedItem.objects.bulk_create(objects, batch_size=500)
            except IntegrityError:
                # Someone logged one of them since the lookup: leave those out and try again.
                taken = _known(item["canonical"] for item in items)
                if not taken:
                    raise  # not a canonical form taken meanwhile
                items = [item for item in items if item["canonical"] not in taken]
                continue
            if all(obj.pk is not None for obj in objects):
                return {obj.canonical: obj.pk for obj in objects}
            # Databases that do not return ids from bulk inserts.
            return {canonical: pk for canonical, (pk, _u, _d) in _known(obj.canonical for obj in objects).items()}
        return {}

    def append(self, model: type[models.Model], rows: list[dict]) -> None:
        if rows:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=500)


class _CopyStore(_PortableStore):
    """PostgreSQL: COPY, and a staging table so a canonical form logged meanwhile is skipped, not an error."""

    STAGING = "tracker_import_staging"

    def begin_chunk(self) -> None:
        # A chunk's commit need not wait for the disk: were it lost in a server crash, its progress
        # would be lost with it and the chunk imported again. The final "done" commit waits, and
        # makes every chunk before it durable.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")

    def insert_items(self, items: list[dict]) -> dict[str, int]:
        if not items:
            return {}
        names = list(items[0])
        columns = ", ".join(_column(FlaggedItem, name) for name in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.STAGING} ON COMMIT DELETE ROWS"  # noqa: S608
                f" AS SELECT {columns} FROM {FlaggedItem._meta.db_table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {self.STAGING}")
            _copy(cursor, self.STAGING, columns, ([item[name] for name in names] for item in items))
            cursor.execute(
                f"INSERT INTO {FlaggedItem._meta.db_table} ({columns}) SELECT {columns} FROM {self.STAGING}"  # noqa: S608
                " ON CONFLICT (canonical) DO NOTHING RETURNING canonical, id"
            )
            return dict(cursor.fetchall())

    def append(self, model: type[models.Model], rows: list[dict]) -> None:
        if not rows:
            return
        names = list(rows[0])
        columns = ", ".join(_column(model, name) for name in names)
        json_names = {name for name in names if isinstance(model._meta.get_field(name), models.JSONField)}
        if json_names:
            rows = [{**row, **{name: _JSON.encode(row[name]) for name in json_names}} for row in rows]
        with connection.cursor() as cursor:
            _copy(cursor, model._meta.db_table, columns, ([row[name] for name in names] for row in rows))


def _column(model: type[models.Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _copy(cursor, table: str, columns: str, rows: Iterable[list]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
