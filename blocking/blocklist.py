"""What is in force: the blocklist's periods per (name, order), the national list, and its versions.

Writes only, in the caller's transaction, serialised by one lock so that serials have no gaps; services.py
calls them when an order comes into force or ends, and nothing else writes these tables.

The rule: a name of a block order in force is in force through it for each ISP the order was issued to,
except the ISPs that an in-force lift of that order names it for. A lift ending gives back exactly what no
other lift still holds, in whatever order lifts were issued or ended. The national list is every name in
force through some order; an ISP's list, the names in force for it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import BLOCKING_SCHEDULE
from tracker.core.dns_names import BlockedName
from tracker.core.models import AuditEntry

from . import zone_transfer
from .models import (
    BLOCKLIST_LOCK_KEY,
    BlocklistChange,
    BlocklistEntry,
    BlocklistPeriod,
    BlocklistVersion,
    BlockOrder,
    ISPSet,
    OrderName,
    OrderRecipient,
)

CHUNK = 5000
Key = tuple[str, bool]  # (name, subtree)


class Change:
    """One version in the making: periods closed and opened under one serial, the national list kept in line.

    `at` is when the change takes effect (an order recorded afterwards: its real time); `now`, when it is made.
    """

    def __init__(self, *, cause: BlockOrder, at: datetime, now: datetime):
        lock_blocklist()
        latest = BlocklistVersion.objects.order_by("-serial").values("serial", "names_in_force").first() or {}
        self.serial = latest.get("serial", 0) + 1
        self.names_before = latest.get("names_in_force", 0)
        self.cause, self.at, self.now = cause, at, now
        self.added = self.removed = 0
        # ISP id -> names it holds again after this change (a lift ending): what the resumption mail lists
        self.regained: dict[int, list[BlockedName]] = defaultdict(list)
        self._set_ids: dict[frozenset[int], int] = {}
        self._members: dict[int, frozenset[int]] = {}
        self._bound: dict[int, frozenset[int]] = {}

    # --- the rule ---

    def settle(self, block: BlockOrder, names) -> None:
        """Bring the periods of `names` (of `block`; others are ignored) in line with the rule."""
        for chunk in _chunks(sorted(set(names))):
            keys = {(name.name, name.subtree) for name in chunk}
            keys &= set(
                OrderName.objects.filter(order=block, name__in={key[0] for key in keys}).values_list("name", "subtree")
            )
            self._apply(block, self._wanted(block, keys), keys)

    def settle_all(self, block: BlockOrder) -> None:
        """`settle` for every name of the block: it comes into force or ends."""
        names = block.names.order_by("name", "subtree").values_list("name", "subtree")
        batch: list[Key] = []
        for key in names.iterator(chunk_size=CHUNK):
            batch.append(key)
            if len(batch) == CHUNK:
                self._apply(block, self._wanted(block, set(batch)), set(batch))
                batch = []
        if batch:
            self._apply(block, self._wanted(block, set(batch)), set(batch))

    def _wanted(self, block: BlockOrder, keys: set[Key]) -> dict[Key, int]:
        """{key: id of the ISP set it must be in force for}; a key left out must not be in force."""
        if block.status != BlockOrder.Status.IN_FORCE or not keys:
            return {}
        bound = self.bound_isps(block)
        lift_ids = list(
            BlockOrder.objects.filter(
                lifts=block, kind=BlockOrder.Kind.LIFT, status=BlockOrder.Status.IN_FORCE
            ).values_list("pk", flat=True)
        )
        lifted: dict[Key, set[int]] = defaultdict(set)
        if lift_ids:
            rows = OrderName.objects.filter(order_id__in=lift_ids, name__in={key[0] for key in keys})
            for name, subtree, lift_id in rows.values_list("name", "subtree", "order_id"):
                lifted[(name, subtree)].add(lift_id)
        wanted = {}
        for key in keys:
            held = bound
            for lift_id in lifted.get(key, ()):
                held = held - self.bound_isps_of_lift(lift_id)
            if key in lifted and not held:
                continue  # lifted for every ISP the order binds (or it binds none)
            wanted[key] = self.set_id(held)
        return wanted

    # --- low level: one order's names in or out, for every ISP it binds (tests and benchmarks) ---

    def open(self, block: BlockOrder, names) -> None:
        for chunk in _chunks(sorted(set(names))):
            keys = {(name.name, name.subtree) for name in chunk}
            current = self._open_periods(block, keys)
            wanted = {key: current[key][1] if key in current else self.set_id(self.bound_isps(block)) for key in keys}
            self._apply(block, wanted, keys, touched=keys)

    def close(self, block: BlockOrder, names) -> None:
        for chunk in _chunks(sorted(set(names))):
            keys = {(name.name, name.subtree) for name in chunk}
            self._apply(block, {}, keys, touched=keys)

    # --- writing ---

    def _apply(self, block: BlockOrder, wanted: dict[Key, int], keys: set[Key], touched: set[Key] = frozenset()):
        current = self._open_periods(block, keys)
        closing = [key for key, (_pk, set_id) in current.items() if wanted.get(key) != set_id]
        opening = [key for key, set_id in wanted.items() if key not in current or current[key][1] != set_id]
        if closing:
            BlocklistPeriod.objects.filter(pk__in=[current[key][0] for key in closing]).update(
                until=Greatest(F("since"), Value(self.at)), until_serial=self.serial, closed_by=self.cause
            )
        BlocklistPeriod.objects.bulk_create(
            [
                BlocklistPeriod(
                    name=key[0],
                    subtree=key[1],
                    order=block,
                    isps_id=wanted[key],
                    since=self.at,
                    since_serial=self.serial,
                    opened_by=self.cause,
                )
                for key in opening
            ],
            batch_size=CHUNK,
        )
        for key in opening:
            before = self.members(current[key][1]) if key in current else frozenset()
            for isp_id in self.members(wanted[key]) - before:
                self.regained[isp_id].append(BlockedName(*key))
        self._national({*closing, *opening, *touched})

    def _open_periods(self, block: BlockOrder, keys: set[Key]) -> dict[Key, tuple[int, int]]:
        rows = BlocklistPeriod.objects.filter(
            order=block, until_serial__isnull=True, name__in={key[0] for key in keys}
        ).values_list("pk", "name", "subtree", "isps_id")
        return {(name, subtree): (pk, set_id) for pk, name, subtree, set_id in rows if (name, subtree) in keys}

    def _national(self, keys: set[Key]) -> None:
        """The national list holds a name while any order holds it; its entry names one of those orders."""
        if not keys:
            return
        names = {key[0] for key in keys}
        holders: dict[Key, set[int]] = defaultdict(set)
        rows = BlocklistPeriod.objects.filter(until_serial__isnull=True, name__in=names)
        for name, subtree, order_id in rows.values_list("name", "subtree", "order_id"):
            if (name, subtree) in keys:
                holders[(name, subtree)].add(order_id)
        entries = {
            (name, subtree): (pk, order_id)
            for pk, name, subtree, order_id in BlocklistEntry.objects.filter(name__in=names).values_list(
                "pk", "name", "subtree", "order_id"
            )
            if (name, subtree) in keys
        }
        added = sorted(key for key in holders if key not in entries)
        removed = sorted(key for key in entries if key not in holders)
        BlocklistEntry.objects.bulk_create(
            [
                BlocklistEntry(name=key[0], subtree=key[1], order_id=min(holders[key]), since_serial=self.serial)
                for key in added
            ],
            batch_size=CHUNK,
        )
        BlocklistEntry.objects.filter(pk__in=[entries[key][0] for key in removed]).delete()
        moved: dict[int, list[int]] = defaultdict(list)  # its order let go; another still holds it
        for key, (pk, order_id) in entries.items():
            if key in holders and order_id not in holders[key]:
                moved[min(holders[key])].append(pk)
        for order_id, pks in moved.items():
            BlocklistEntry.objects.filter(pk__in=pks).update(order_id=order_id)
        BlocklistChange.objects.bulk_create(
            [BlocklistChange(serial=self.serial, name=n, subtree=s, added=True, order=self.cause) for n, s in added]
            + [
                BlocklistChange(serial=self.serial, name=n, subtree=s, added=False, order=self.cause)
                for n, s in removed
            ],
            batch_size=CHUNK,
        )
        self.added += len(added)
        self.removed += len(removed)

    def finish(self) -> BlocklistVersion:
        version = BlocklistVersion.objects.create(
            serial=self.serial,
            created_at=self.now,
            effective_at=self.at,
            order=self.cause,
            names_in_force=self.names_before + self.added - self.removed,
            added=self.added,
            removed=self.removed,
        )
        zone_transfer.push_after_commit()  # the DNS server serves the new serial
        audit.record(
            obj=version,
            action=AuditEntry.Action.CREATE,
            actor=BLOCKING_SCHEDULE,
            at=self.now,
            reason=_("%(order)s: %(added)s added, %(removed)s removed")
            % {"order": self.cause.reference, "added": self.added, "removed": self.removed},
        )
        return version

    # --- ISP sets ---

    def bound_isps(self, order: BlockOrder) -> frozenset[int]:
        """The ISPs an order was issued to."""
        if order.pk not in self._bound:
            self._bound[order.pk] = frozenset(
                OrderRecipient.objects.filter(order=order).values_list("isp_id", flat=True)
            )
        return self._bound[order.pk]

    def bound_isps_of_lift(self, lift_id: int) -> frozenset[int]:
        if lift_id not in self._bound:
            self._bound[lift_id] = frozenset(
                OrderRecipient.objects.filter(order_id=lift_id).values_list("isp_id", flat=True)
            )
        return self._bound[lift_id]

    def set_id(self, isps: frozenset[int]) -> int:
        if isps not in self._set_ids:
            self._set_ids[isps] = isp_set(isps).pk
            self._members[self._set_ids[isps]] = isps
        return self._set_ids[isps]

    def members(self, set_id: int) -> frozenset[int]:
        if set_id not in self._members:
            self._members[set_id] = frozenset(
                ISPSet.isps.through.objects.filter(ispset_id=set_id).values_list("isp_id", flat=True)
            )
        return self._members[set_id]


def isp_set(isps: frozenset[int]) -> ISPSet:
    """The stored set of these ISPs (made once; writers hold the blocklist lock)."""
    key = hashlib.sha256(",".join(map(str, sorted(isps))).encode()).hexdigest()
    found, created = ISPSet.objects.get_or_create(key=key)
    if created and isps:
        found.isps.set(isps)
    return found


def lock_blocklist() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BLOCKLIST_LOCK_KEY])
    # SQLite: IMMEDIATE transactions already serialise writers.


def open_names(block: BlockOrder):
    """The names in force through a block order now (for any ISP), as (name, subtree) rows."""
    return BlocklistPeriod.objects.filter(order=block, until_serial__isnull=True).values_list("name", "subtree")


def liftable_names(block: BlockOrder) -> set[Key]:
    """What a new lift of the block may name: the names in force through it, and those a lift for some days holds
    out (so that such a lift can be made for good)."""
    held_out = OrderName.objects.filter(
        order__lifts=block,
        order__kind=BlockOrder.Kind.LIFT,
        order__status=BlockOrder.Status.IN_FORCE,
        order__ends_at__isnull=False,
    )
    return set(open_names(block)) | set(held_out.values_list("name", "subtree"))


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]
