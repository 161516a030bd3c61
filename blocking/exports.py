"""Blocklist exports: RPZ, plain list, hosts, CSV, JSON, and the diff between two versions, each signed.

An export is written once per version to a file under VAR_DIR (streamed from the database, hashed as it
goes, so memory stays bounded however long the list is), signed, and then served from disk. On
PostgreSQL the lines of RPZ, plain and hosts are formatted by the database and read with COPY; elsewhere
rows come through a chunked iterator.

Staff read the national list. An ISP account reads its own: the names in the list that an order in force
binding its ISP blocks (`isp_names`), and a diff of that list, each cached per ISP and signed for it.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql as pgsql

from tracker.core.errors import DomainError, NotPermitted

from . import signing
from .models import (
    BLOCKLIST_LOCK_KEY,
    ISP,
    BlocklistChange,
    BlocklistEntry,
    BlocklistVersion,
    BlockOrder,
    ISPAccount,
    OrderName,
    OrderRecipient,
)

FORMATS = {
    "rpz": ("rpz", "text/dns"),
    "txt": ("txt", "text/plain; charset=us-ascii"),
    "hosts": ("hosts", "text/plain; charset=us-ascii"),
    "csv": ("csv", "text/csv; charset=us-ascii"),
    "json": ("json", "application/json"),
}
FLUSH_AT = 1 << 20
# How far one worker's clock (or a sweep's `now`, taken when it starts) may lag the version it follows.
CLOCK_MARGIN = timedelta(hours=1)
BLOCK_PAGE = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+$")


@dataclass(frozen=True)
class Export:
    path: Path
    signature_path: Path
    filename: str
    content_type: str


def block_page_target() -> str:
    """The CNAME target of blocked names: "." (NXDOMAIN) unless a block page is configured."""
    target = (settings.BLOCKING_BLOCK_PAGE_TARGET or ".").lower()
    target = target if target.endswith(".") else f"{target}."
    if target != "." and not BLOCK_PAGE.match(target):
        raise ImproperlyConfigured(f"BLOCKING_BLOCK_PAGE_TARGET is not a DNS name: {target!r}")
    return target


def rpz_zone() -> str:
    return settings.BLOCKING_RPZ_ZONE.rstrip(".")


def export_dir() -> Path:
    path = Path(settings.VAR_DIR) / "blocklist-exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_serial() -> int:
    return BlocklistVersion.objects.order_by("-serial").values_list("serial", flat=True).first() or 0


def isp_reading(user) -> ISP | None:
    """The ISP whose own list `user` reads: None for staff, who read the national list."""
    account = ISPAccount.objects.filter(user=user).select_related("isp").first()
    if account is not None:
        return account.isp
    if user.has_role("isp"):
        raise NotPermitted(_("This ISP account is not linked to an ISP."))
    return None


def get_export(kind: str, isp: ISP | None = None) -> Export:
    """The signed export of the current version in this format (the ISP's own list if `isp` is given),
    writing it if it is not on disk yet."""
    if kind not in FORMATS:
        raise DomainError(_("Unknown format: %(kind)s") % {"kind": kind}, fields={"format": [", ".join(FORMATS)]})
    extension, content_type = FORMATS[kind]
    with transaction.atomic():
        _hold_blocklist()  # a consistent list: no version is committed while we read
        serial = current_serial()
        filename = f"{_prefix(isp)}-v{serial}.{extension}"
        path = export_dir() / f"{filename}.{_stamp(serial, isp)}.{_settings_tag(kind)}"
        if not path.exists():
            lines = _lines(kind, serial, isp)
            _write_signed(path, kind=kind, serial=str(serial), filename=filename, isp=isp, lines=lines)
            _prune(f"{_prefix(isp)}-v*.{extension}.*", keep=path)
    return Export(path, Path(f"{path}.sig"), filename, content_type)


def get_diff(from_serial: int, to_serial: int, isp: ISP | None = None) -> Export:
    """Names added (+) and removed (-) between two versions, read from the per-version change rows only;
    for an ISP, the lines that bring its list to its list now (see `_isp_diff_rows`)."""
    with transaction.atomic():
        _hold_blocklist()
        latest = current_serial()
        if not (0 <= from_serial <= to_serial <= latest):
            message = _("Versions must satisfy 0 <= from <= to <= %(latest)s.") % {"latest": latest}
            raise DomainError(message, fields={"from": [message], "to": [message]})
        if isp is not None and to_serial != latest:
            message = _("An ISP's diff runs to the current version, %(latest)s.") % {"latest": latest}
            raise DomainError(message, fields={"to": [message]})
        filename = f"{_prefix(isp)}-diff-v{from_serial}-v{to_serial}.txt"
        path = export_dir() / f"{filename}.{_stamp(to_serial, isp)}"
        if not path.exists():
            lines = _diff_lines(from_serial, to_serial) if isp is None else _isp_diff_lines(isp, from_serial, to_serial)
            serial = f"{from_serial}-{to_serial}"
            _write_signed(path, kind="diff", serial=serial, filename=filename, isp=isp, lines=lines)
            if isp is not None:  # an ISP's diffs all end at its list now: those to an older list are dead
                _prune(f"{_prefix(isp)}-diff-v*", keep=path, keep_suffix=f".{_stamp(to_serial, isp)}")
    return Export(path, Path(f"{path}.sig"), filename, "text/plain; charset=us-ascii")


def versions(isp: ISP | None = None, limit: int = 20):
    """The latest versions, newest first, with `order_reference`: for an ISP, only of orders that bind it."""
    latest = BlocklistVersion.objects.order_by("-serial")
    if isp is None:
        return latest.annotate(order_reference=F("order__reference"))[:limit]
    binds = OrderRecipient.objects.filter(order=OuterRef("order"), isp=isp)
    return latest.annotate(order_reference=Case(When(Exists(binds), then=F("order__reference"))))[:limit]


def isp_names(isp: ISP):
    """The OrderName rows by which the ISP must block a name now: of block orders in force that bind it, for
    names in the list and not lifted since the order came in force.

    A name is in the list once however many orders block it (its BlocklistEntry names only the first), and
    a lift takes it out for every order, so the ISP's names are read from its orders, never from the entry.
    """
    in_list = BlocklistEntry.objects.filter(name=OuterRef("name"), subtree=OuterRef("subtree"))
    lifted_since = OrderName.objects.filter(
        name=OuterRef("name"),
        subtree=OuterRef("subtree"),
        order__kind=BlockOrder.Kind.LIFT,
        order__ends_at__isnull=True,  # a lift for some days only suspends the block
        order__in_force_at__gt=OuterRef("order__in_force_at"),
    )
    return _orders_binding(isp).filter(Exists(in_list), ~Exists(lifted_since), order__status=BlockOrder.Status.IN_FORCE)


def _orders_binding(isp: ISP):
    """Names of block orders issued to the ISP."""
    return OrderName.objects.filter(
        order__kind=BlockOrder.Kind.BLOCK, order__in_force_at__isnull=False, order__recipients__isp=isp
    ).order_by()


def diff_rows(from_serial: int, to_serial: int):
    """(name, subtree, net) for names whose presence changed: net +1 added, -1 removed.

    Uses the serial index on the change rows: cost grows with the changes, not with the list.
    """
    return (
        BlocklistChange.objects.filter(serial__gt=from_serial, serial__lte=to_serial)
        .values("name", "subtree")
        .annotate(adds=Count("id", filter=Q(added=True)), removes=Count("id", filter=Q(added=False)))
        .exclude(adds=F("removes"))
        .order_by("name", "subtree")
    )


def _diff_lines(from_serial: int, to_serial: int):
    yield f"# blocklist diff from version {from_serial} to {to_serial}\n"
    for row in diff_rows(from_serial, to_serial).iterator(chunk_size=5000):
        sign = "+" if row["adds"] > row["removes"] else "-"
        name = f"*.{row['name']}" if row["subtree"] else row["name"]
        yield f"{sign}{name}\n"


def _isp_diff_lines(isp: ISP, from_serial: int, to_serial: int):
    yield (
        f"# blocklist diff for ISP {isp.pk} from version {from_serial} to {to_serial}:"
        " + in its list now, - not in it now (a line may restate what the list held)\n"
    )
    for sign, name, subtree in _isp_diff_rows(isp, from_serial):
        yield f"{sign}*.{name}\n" if subtree else f"{sign}{name}\n"


def _isp_diff_rows(isp: ISP, from_serial: int):
    """(sign, name, subtree), sorted: applied to any list the ISP may have fetched at version `from_serial`,
    they give its list now.

    An ISP's list can change without a version (an order binding it to a name already in the list makes
    none), so its list at an old version cannot be rebuilt exactly. Instead each name it may have gained or
    lost since is stated as it is now:
    1. "+": names in its list now that entered the national list since, or that no order surely in force at
       version `from_serial` holds (surely: it made a version by then, or came in force before that version
       was made, less CLOCK_MARGIN).
    2. "-": names its orders named, not in its list now, that left the national list since, or whose order
       ended since. A name only other ISPs' orders block is never listed.
    """
    held = isp_names(isp)
    changed = BlocklistChange.objects.filter(serial__gt=from_serial, name=OuterRef("name"), subtree=OuterRef("subtree"))
    version = BlocklistVersion.objects.filter(serial=from_serial).values_list("created_at", flat=True).first()
    if version is None:  # version 0: the list was empty
        return (("+", name, subtree) for name, subtree in _sorted(held))
    since = version - CLOCK_MARGIN
    made_a_version = Exists(BlocklistVersion.objects.filter(order=OuterRef("order"), serial__lte=from_serial))
    held_then = held.filter(Q(order__in_force_at__lt=since) | Q(made_a_version))  # by orders surely in force then
    came = held.filter(order__in_force_at__gte=since).exclude(
        Exists(held_then.filter(name=OuterRef("name"), subtree=OuterRef("subtree")))
    )
    dropped = _orders_binding(isp).exclude(Exists(held.filter(name=OuterRef("name"), subtree=OuterRef("subtree"))))
    plus = _sorted(held.filter(Exists(changed)), came)
    minus = _sorted(dropped.filter(Exists(changed.filter(added=False))), dropped.filter(order__ended_at__gte=since))
    return heapq.merge((("+", *row) for row in plus), (("-", *row) for row in minus), key=lambda row: (row[1], row[2]))


def _sorted(*parts):
    """The distinct (name, subtree) of OrderName querysets, in order."""
    rows = [part.order_by().values_list("name", "subtree") for part in parts]
    return rows[0].union(*rows[1:]).order_by("name", "subtree").iterator(chunk_size=5000)


def _prune(pattern: str, keep: Path, keep_suffix: str | None = None) -> None:
    """Remove older exports of this format: a 10-million-name list is hundreds of MB a version.

    A download already under way keeps reading the unlinked file.
    """
    for old in export_dir().glob(pattern):
        if keep_suffix and old.name.removesuffix(".sig").endswith(keep_suffix):
            continue
        if old != keep and old.name != f"{keep.name}.sig" and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)


def _prefix(isp: ISP | None) -> str:
    return "blocklist" if isp is None else f"blocklist-isp{isp.pk}"


def _stamp(serial: int, isp: ISP | None = None) -> str:
    """Tells this database's version `serial` from another's (test databases, a restored backup); for an ISP,
    also the state of the orders binding it, which can change its list without a new version."""
    version = BlocklistVersion.objects.filter(serial=serial).values_list("pk", "created_at").first()
    stamp = f"{version[0]}-{int(version[1].timestamp() * 1e6)}" if version else "empty"
    if isp is None:
        return stamp
    orders = BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK, in_force_at__isnull=False, recipients__isp=isp)
    states = orders.order_by("pk").values_list("pk", "status")
    return f"{stamp}-{hashlib.sha256(repr(list(states)).encode()).hexdigest()[:10]}"


def _settings_tag(kind: str) -> str:
    # An RPZ written for one block-page target must not be served after the setting changes.
    if kind != "rpz":
        return "v1"
    return hashlib.sha256(f"{block_page_target()}|{rpz_zone()}".encode()).hexdigest()[:10]


def _hold_blocklist() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [BLOCKLIST_LOCK_KEY])


def _write_signed(path: Path, *, kind: str, serial: str, filename: str, lines, isp: ISP | None = None) -> None:
    """Write lines to a temporary file, hashing as we go, then sign and move both into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    digest, size, buffer = hashlib.sha256(), 0, bytearray()
    with temporary.open("wb") as handle:
        for line in lines:
            buffer += line if isinstance(line, (bytes, bytearray, memoryview)) else line.encode()
            if len(buffer) >= FLUSH_AT:
                digest.update(buffer)
                handle.write(buffer)
                size += len(buffer)
                buffer.clear()
        digest.update(buffer)
        handle.write(buffer)
        size += len(buffer)
    record = signing.signature_record(
        kind=kind, serial=serial, size=size, sha256=digest.hexdigest(), filename=filename, isp=isp
    )
    signature_temporary = temporary.with_suffix(".sig.tmp")
    signature_temporary.write_text(record)
    signature_temporary.replace(Path(f"{path}.sig"))
    temporary.replace(path)


# --- formats ---------------------------------------------------------------------------------------

ENTRY_TABLE = BlocklistEntry._meta.db_table


def _lines(kind: str, serial: int, isp: ISP | None = None):
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    title = "national DNS blocklist" if isp is None else f"DNS blocklist for ISP {isp.pk}"
    if kind == "rpz":
        zone = rpz_zone()
        yield (
            f"; {title}, version {serial}, exported {now}\n"
            f"$TTL 300\n$ORIGIN {zone}.\n"
            f"@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 604800 300\n"
            "@ IN NS localhost.\n"
        )
    elif kind in {"txt", "hosts"}:
        note = " (hosts files cannot express subtrees: each subtree's own name is listed)" if kind == "hosts" else ""
        yield f"# {title}, version {serial}, exported {now}{note}\n"
    elif kind == "csv":
        yield "name,subtree,order_reference\n"
    elif kind == "json":
        owner = "" if isp is None else f'"isp": {isp.pk}, '
        yield f'{{"version": {serial}, {owner}"exported_at": "{now}", "names": [\n'
    if connection.vendor == "postgresql" and kind in {"rpz", "txt", "hosts"}:
        yield from _copy_lines(kind, None if isp is None else isp_names(isp).values("name", "subtree").distinct())
    elif isp is None:
        yield from _python_lines(kind, BlocklistEntry.objects.values_list("name", "subtree", "order__reference"))
    else:
        # A name of several of its orders carries one of their references, never another ISP's order's.
        rows = isp_names(isp).values("name", "subtree").annotate(reference=Min("order__reference"))
        yield from _python_lines(kind, rows.values_list("name", "subtree", "reference"))
    if kind == "json":
        yield "\n]}\n"


def _copy_lines(kind: str, rows=None):
    """Lines formatted by PostgreSQL and streamed with COPY: the fast path for 10 million names.

    From the list table itself, or from `rows` (a queryset of name and subtree: an ISP's names).
    """
    entry, params = pgsql.Identifier(ENTRY_TABLE), None
    if rows is not None:
        sql, params = rows.query.sql_with_params()
        entry = pgsql.SQL(f"({sql})")
    if kind == "rpz":
        action = pgsql.Literal(f" CNAME {block_page_target()}")
        query = pgsql.SQL(
            "COPY (SELECT v.line FROM {entry} e CROSS JOIN LATERAL (VALUES (e.name || {action}),"
            " (CASE WHEN e.subtree THEN '*.' || e.name || {action} END)) v(line) WHERE v.line IS NOT NULL)"
            " TO STDOUT"
        ).format(entry=entry, action=action)
    elif kind == "txt":
        query = pgsql.SQL(
            "COPY (SELECT CASE WHEN e.subtree THEN '*.' || e.name ELSE e.name END FROM {entry} e) TO STDOUT"
        ).format(entry=entry)
    else:
        query = pgsql.SQL("COPY (SELECT '0.0.0.0 ' || e.name FROM {entry} e) TO STDOUT").format(entry=entry)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(query.as_string(raw.connection), params) as copy:
            yield from copy  # names hold only [a-z0-9_.*-]: COPY's text format needs no unescaping


def _python_lines(kind: str, rows):
    """Lines from (name, subtree, order reference) rows."""
    target = block_page_target()
    first = True
    for name, subtree, reference in rows.iterator(chunk_size=5000):
        if kind == "rpz":
            yield f"{name} CNAME {target}\n" + (f"*.{name} CNAME {target}\n" if subtree else "")
        elif kind == "txt":
            yield f"*.{name}\n" if subtree else f"{name}\n"
        elif kind == "hosts":
            yield f"0.0.0.0 {name}\n"
        elif kind == "csv":
            yield f"{name},{'yes' if subtree else 'no'},{reference}\n"
        else:
            item = json.dumps({"name": name, "subtree": subtree, "order": reference})
            yield item if first else f",\n{item}"
            first = False
