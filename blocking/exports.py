"""Blocklist exports: RPZ, plain list, hosts, CSV, JSON, and the diff between two versions, each signed.

An export is written once per version to a file under VAR_DIR (streamed from the database, hashed as it
goes, so memory stays bounded however long the list is), signed, and then served from disk. On
PostgreSQL the lines of RPZ, plain and hosts are formatted by the database and read with COPY; elsewhere
rows come through a chunked iterator.

Staff read the national list. An ISP account reads its own: the names in force for its ISP (`isp_names`),
and exact diffs of that list between any two versions, each cached per ISP and signed for it. Either list
can be read as it was at any past time (`at`), from the blocklist's periods (blocking/blocklist.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
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
    BlocklistPeriod,
    BlocklistVersion,
    ISPAccount,
    ISPSet,
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


def get_export(kind: str, isp: ISP | None = None, at: datetime | None = None) -> Export:
    """The signed export of the current version in this format (the ISP's own list if `isp` is given), or of
    the list as it was at `at`, writing it if it is not on disk yet.

    A list as of a past time is what the records held now say was in force then (orders recorded afterwards
    included): its signed format names the time ("rpz as of 2017-07-19T17:00:00Z"), so it cannot pass for
    the current list, and its serial is the version it was read at.
    """
    if kind not in FORMATS:
        raise DomainError(_("Unknown format: %(kind)s") % {"kind": kind}, fields={"format": [", ".join(FORMATS)]})
    extension, content_type = FORMATS[kind]
    with transaction.atomic():
        _hold_blocklist()  # a consistent list: no version is committed while we read
        serial = current_serial()
        stamp = f"{_stamp(serial)}.{_settings_tag(kind)}"
        if at is None:
            filename, signed_kind = f"{_prefix(isp)}-v{serial}.{extension}", kind
        else:
            at = at.astimezone(UTC)
            filename = f"{_prefix(isp)}-at-{at:%Y%m%dT%H%M%SZ}-v{serial}.{extension}"
            signed_kind = f"{kind} as of {at:%Y-%m-%dT%H:%M:%SZ}"
        path = export_dir() / f"{filename}.{stamp}"
        if not path.exists():
            lines = _lines(kind, serial, isp, at)
            _write_signed(path, kind=signed_kind, serial=str(serial), filename=filename, isp=isp, lines=lines)
            if at is None:
                _prune(f"{_prefix(isp)}-v*.{extension}.*", keep=path)
            else:  # lists as of past times stay while the version they were read at is current
                _prune(f"{_prefix(isp)}-at-*.{extension}.*", keep=path, keep_suffix=f"-v{serial}.{extension}.{stamp}")
    return Export(path, Path(f"{path}.sig"), filename, content_type)


def get_diff(from_serial: int, to_serial: int, isp: ISP | None = None) -> Export:
    """Names added (+) and removed (-) between two versions, read from the change rows only (for an ISP, the
    periods of its own list: `isp_diff_rows`)."""
    with transaction.atomic():
        _hold_blocklist()
        latest = current_serial()
        if not (0 <= from_serial <= to_serial <= latest):
            message = _("Versions must satisfy 0 <= from <= to <= %(latest)s.") % {"latest": latest}
            raise DomainError(message, fields={"from": [message], "to": [message]})
        filename = f"{_prefix(isp)}-diff-v{from_serial}-v{to_serial}.txt"
        path = export_dir() / f"{filename}.{_stamp(to_serial)}"
        if not path.exists():
            lines = _diff_lines(from_serial, to_serial) if isp is None else _isp_diff_lines(isp, from_serial, to_serial)
            serial = f"{from_serial}-{to_serial}"
            _write_signed(path, kind="diff", serial=serial, filename=filename, isp=isp, lines=lines)
    return Export(path, Path(f"{path}.sig"), filename, "text/plain; charset=us-ascii")


def versions(isp: ISP | None = None, limit: int = 20):
    """The latest versions, newest first, with `order_reference`: for an ISP, only of orders that bind it."""
    latest = BlocklistVersion.objects.order_by("-serial")
    if isp is None:
        return latest.annotate(order_reference=F("order__reference"))[:limit]
    binds = OrderRecipient.objects.filter(order=OuterRef("order"), isp=isp)
    return latest.annotate(order_reference=Case(When(Exists(binds), then=F("order__reference"))))[:limit]


def isp_names(isp: ISP):
    """The open periods by which the ISP must block a name now (one per name and order holding it for the ISP)."""
    return BlocklistPeriod.objects.filter(until_serial__isnull=True, isps__in=_sets_holding(isp))


def periods_at(at: datetime, isp: ISP | None = None):
    """The periods in force at `at` (the ISP's, if given): open ones begun by then, and closed ones that
    spanned it. Each half has its index, so the cost follows the list and the changes since, not history."""
    spanning = BlocklistPeriod.objects.filter(
        Q(until_serial__isnull=True, since__lte=at) | Q(until__gt=at, since__lte=at)
    )
    return spanning if isp is None else spanning.filter(isps__in=_sets_holding(isp))


def _sets_holding(isp: ISP):
    return ISPSet.objects.filter(isps=isp).values("pk")


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
    yield f"# blocklist diff for ISP {isp.pk} from version {from_serial} to {to_serial}\n"
    for sign, name, subtree in isp_diff_rows(isp, from_serial, to_serial):
        yield f"{sign}*.{name}\n" if subtree else f"{sign}{name}\n"


def isp_diff_rows(isp: ISP, from_serial: int, to_serial: int):
    """(sign, name, subtree), sorted: the names the ISP's list gained (+) or lost (-) from one version to
    another, exactly. Candidates are the ISP's periods opened or closed in between (indexed by serial); each
    is then looked up at both versions (indexed by name)."""
    mine = BlocklistPeriod.objects.filter(isps__in=_sets_holding(isp))
    changed = mine.filter(
        Q(since_serial__gt=from_serial, since_serial__lte=to_serial)
        | Q(until_serial__gt=from_serial, until_serial__lte=to_serial)
    )

    def held_at(serial: int):
        return Exists(
            mine.filter(name=OuterRef("name"), subtree=OuterRef("subtree"), since_serial__lte=serial).filter(
                Q(until_serial__isnull=True) | Q(until_serial__gt=serial)
            )
        )

    rows = (
        changed.values("name", "subtree")
        .annotate(before=held_at(from_serial), after=held_at(to_serial))
        .distinct()
        .order_by("name", "subtree")
    )
    for row in rows.iterator(chunk_size=5000):
        if row["before"] != row["after"]:
            yield ("+" if row["after"] else "-", row["name"], row["subtree"])


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


def _stamp(serial: int) -> str:
    """Tells this database's version `serial` from another's (test databases, a restored backup). Every list,
    an ISP's too, changes only with a new version, so the version alone says which list a file holds."""
    version = BlocklistVersion.objects.filter(serial=serial).values_list("pk", "created_at").first()
    return f"{version[0]}-{int(version[1].timestamp() * 1e6)}" if version else "empty"


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


def _lines(kind: str, serial: int, isp: ISP | None = None, at: datetime | None = None):
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    title = "national DNS blocklist" if isp is None else f"DNS blocklist for ISP {isp.pk}"
    if at is not None:
        title += f" as of {at:%Y-%m-%dT%H:%M:%SZ} (as recorded at version {serial})"
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
        when = "" if at is None else f'"as_of": "{at:%Y-%m-%dT%H:%M:%SZ}", '
        yield f'{{"version": {serial}, {owner}{when}"exported_at": "{now}", "names": [\n'
    rows = _rows(isp, at)
    if connection.vendor == "postgresql" and kind in {"rpz", "txt", "hosts"}:
        yield from _copy_lines(kind, None if rows is None else rows.values("name", "subtree").distinct())
    elif rows is None:
        yield from _python_lines(kind, BlocklistEntry.objects.values_list("name", "subtree", "order__reference"))
    else:
        # A name of several orders carries one of their references (for an ISP, never another ISP's order's).
        named = rows.values("name", "subtree").annotate(reference=Min("order__reference")).order_by("name", "subtree")
        yield from _python_lines(kind, named.values_list("name", "subtree", "reference"))
    if kind == "json":
        yield "\n]}\n"


def rpz_records(isp: ISP):
    """The RPZ records of the ISP's list now, relative to the zone's origin (the zone-transfer zone's body).

    The caller holds the blocklist (a transaction with `hold_blocklist`) so that they match `current_serial`.
    """
    rows = isp_names(isp)
    if connection.vendor == "postgresql":
        yield from _copy_lines("rpz", rows.values("name", "subtree").distinct())
    else:
        named = rows.values("name", "subtree").annotate(reference=Min("order__reference")).order_by("name", "subtree")
        yield from _python_lines("rpz", named.values_list("name", "subtree", "reference"))


def hold_blocklist() -> None:
    """Within a transaction: no new version is committed until it ends, so what is read is one version."""
    _hold_blocklist()


def _rows(isp: ISP | None, at: datetime | None):
    """The periods a list is read from; None for the national list now, read from its own table."""
    if at is not None:
        return periods_at(at, isp)
    return None if isp is None else isp_names(isp)


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
