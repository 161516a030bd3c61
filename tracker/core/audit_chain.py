"""The audit trail as one hash chain: each entry's hash covers its content and the previous entry's hash.

Entries are written unsealed inside the transaction of the change they record, so no lock is held for
the length of a domain transaction. Sealing runs after commit (and every minute, for anything missed):
under one lock it numbers the unsealed entries 1, 2, 3… in id order after the current head and stores
each link's hash. The database accepts exactly that update and no other (migration 0007).

A broken link shows an entry altered, or (by a gap in the numbers) removed. A trail rewritten and
resealed from the start is consistent again; the daily digest, kept outside the tracker, catches it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max

from tracker.core.models import AuditEntry

CHAIN_LOCK_KEY = 0x41554454  # "AUDT": one sealer at a time
HASHED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "source",
    "remote_addr",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "from_state",
    "to_state",
    "changes",
    "reason",
)
SEAL_BATCH = 2000
SEAL_SQL = "UPDATE tracker_auditentry SET seal = %s, chain_hash = %s WHERE id = %s AND seal IS NULL"


def link_hash(values: dict, previous: str) -> str:
    """SHA-256 of the previous link's hash and this entry's fields in a canonical JSON form."""
    fields = {name: values[name] for name in HASHED_FIELDS}
    if isinstance(fields["at"], datetime):
        fields["at"] = fields["at"].astimezone(UTC).isoformat()
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def sealed_values(queryset) -> list[dict]:
    return list(queryset.values(*HASHED_FIELDS, "seal", "chain_hash"))


def seal_pending() -> int:
    """Seal every unsealed entry, in id order, after the head of the chain. Returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            _hold_chain()
            head = AuditEntry.objects.filter(seal__isnull=False).order_by("-seal").values("seal", "chain_hash").first()
            number, previous = (head["seal"], head["chain_hash"]) if head else (0, "")
            batch = sealed_values(AuditEntry.objects.filter(seal__isnull=True).order_by("id")[:SEAL_BATCH])
            if not batch:
                return sealed
            links = []
            for values in batch:
                number += 1
                previous = link_hash(values, previous)
                links.append((number, previous, values["id"]))
            with connection.cursor() as cursor:
                # The model refuses every update; this is the one the database trigger lets through.
                cursor.executemany(SEAL_SQL, links)
            sealed += len(links)


def seal_after_commit() -> None:
    """Seal once the current transaction commits (once per transaction, however many entries it wrote)."""
    if not connection.in_atomic_block:
        seal_pending()
    elif not any(callback is _seal_committed for _, callback, _ in connection.run_on_commit):
        # robust: a failed seal is logged and retried by the periodic task; the change itself has committed.
        transaction.on_commit(_seal_committed, robust=True)


def _seal_committed() -> None:
    seal_pending()


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    first_broken: int | None = None  # the id of the first entry whose link does not hold
    problem: str = ""


def verify() -> Verification:
    """Walk the chain in seal order, recomputing each link; stop at the first that does not hold."""
    previous, expected, checked = "", 1, 0
    rows = AuditEntry.objects.filter(seal__isnull=False).order_by("seal").values(*HASHED_FIELDS, "seal", "chain_hash")
    for values in rows.iterator(chunk_size=SEAL_BATCH):
        if values["seal"] != expected:
            problem = f"links {expected} to {values['seal'] - 1} are missing before it"
            return Verification(checked, _unsealed(), values["id"], problem)
        if link_hash(values, previous) != values["chain_hash"]:
            return Verification(checked, _unsealed(), values["id"], "its content or the link before it was altered")
        previous, expected, checked = values["chain_hash"], expected + 1, checked + 1
    return Verification(checked, _unsealed())


def daily_digest(day: date) -> dict:
    """What to keep outside the tracker for a day (UTC): how many entries it had and the chain's head at its end."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    head_seal = AuditEntry.objects.filter(at__lt=end, seal__isnull=False).aggregate(Max("seal"))["seal__max"]
    head_hash = AuditEntry.objects.filter(seal=head_seal).values_list("chain_hash", flat=True).first() or ""
    return {
        "day": day.isoformat(),
        "time_zone": "UTC",
        "entries": AuditEntry.objects.filter(at__gte=start, at__lt=end).count(),
        "head_seal": head_seal or 0,
        "head_hash": head_hash,
    }


def matches_digest(digest: dict) -> bool:
    """Does the chain still end, at the digest's seal, in the digest's hash?"""
    if not digest.get("head_seal"):
        return True
    stored = AuditEntry.objects.filter(seal=digest["head_seal"]).values_list("chain_hash", flat=True).first()
    return stored == digest.get("head_hash")


def _unsealed() -> int:
    return AuditEntry.objects.filter(seal__isnull=True).count()


def _hold_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
