"""Blocklist exports: RPZ, plain list, hosts, CSV, JSON, and the diff between two versions, each signed.

An export is written once per version to a file under VAR_DIR (streamed from the database, hashed as it
goes, so memory stays bounded however long the list is), signed, and then served from disk. On
PostgreSQL the lines of RPZ, plain and hosts are formatted by the database and read with COPY; elsewhere
rows come through a chunked iterator.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql as pgsql

from tracker.core.errors import DomainError

from . import signing
from .models import BLOCKLIST_LOCK_KEY, BlocklistChange, BlocklistEntry, BlocklistVersion

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


def get_export(kind: str) -> Export:
    """The signed export of the current version in this format, writing it if it is not on disk yet."""
    if kind not in FORMATS:
        raise DomainError(_("Unknown format: %(kind)s") % {"kind": kind}, fields={"format": [", ".join(FORMATS)]})
    extension, content_type = FORMATS[kind]
    with transaction.atomic():
        _hold_blocklist()  # a consistent list: no version is committed while we read
        serial = current_serial()
        filename = f"blocklist-v{serial}.{extension}"
        path = export_dir() / f"{filename}.{_stamp(serial)}.{_settings_tag(kind)}"
        if not path.exists():
            _write_signed(path, kind=kind, serial=str(serial), filename=filename, lines=_lines(kind, serial))
            _prune(extension, keep=path)
    return Export(path, Path(f"{path}.sig"), filename, content_type)


def get_diff(from_serial: int, to_serial: int) -> Export:
    """Names added (+) and removed (-) between two versions, read from the per-version change rows only."""
    latest = current_serial()
    if not (0 <= from_serial <= to_serial <= latest):
        message = _("Versions must satisfy 0 <= from <= to <= %(latest)s.") % {"latest": latest}
        raise DomainError(message, fields={"from": [message], "to": [message]})
    filename = f"blocklist-diff-v{from_serial}-v{to_serial}.txt"
    path = export_dir() / f"{filename}.{_stamp(to_serial)}"
    if not path.exists():
        _write_signed(
            path,
            kind="diff",
            serial=f"{from_serial}-{to_serial}",
            filename=filename,
            lines=_diff_lines(from_serial, to_serial),
        )
    return Export(path, Path(f"{path}.sig"), filename, "text/plain; charset=us-ascii")


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


def _prune(extension: str, keep: Path) -> None:
    """Remove older exports of this format: a 10-million-name list is hundreds of MB a version.

    A download already under way keeps reading the unlinked file.
    """
    for old in export_dir().glob(f"blocklist-v*.{extension}.*"):
        if old != keep and old.name != f"{keep.name}.sig" and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)


def _stamp(serial: int) -> str:
    """Tells this database's version `serial` from another's (test databases, a restored backup)."""
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


def _write_signed(path: Path, *, kind: str, serial: str, filename: str, lines) -> None:
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
    record = signing.signature_record(kind=kind, serial=serial, size=size, sha256=digest.hexdigest(), filename=filename)
    signature_temporary = temporary.with_suffix(".sig.tmp")
    signature_temporary.write_text(record)
    signature_temporary.replace(Path(f"{path}.sig"))
    temporary.replace(path)


# --- formats ---------------------------------------------------------------------------------------

ENTRY_TABLE = BlocklistEntry._meta.db_table


def _lines(kind: str, serial: int):
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "rpz":
        zone = rpz_zone()
        yield (
            f"; national DNS blocklist, version {serial}, exported {now}\n"
            f"$TTL 300\n$ORIGIN {zone}.\n"
            f"@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 604800 300\n"
            "@ IN NS localhost.\n"
        )
    elif kind in {"txt", "hosts"}:
        note = " (hosts files cannot express subtrees: each subtree's own name is listed)" if kind == "hosts" else ""
        yield f"# national DNS blocklist, version {serial}, exported {now}{note}\n"
    elif kind == "csv":
        yield "name,subtree,order_reference\n"
    elif kind == "json":
        yield f'{{"version": {serial}, "exported_at": "{now}", "names": [\n'
    if connection.vendor == "postgresql" and kind in {"rpz", "txt", "hosts"}:
        yield from _copy_lines(kind)
    else:
        yield from _python_lines(kind)
    if kind == "json":
        yield "\n]}\n"


def _copy_lines(kind: str):
    """Lines formatted by PostgreSQL and streamed with COPY: the fast path for 10 million names."""
    entry = pgsql.Identifier(ENTRY_TABLE)
    if kind == "rpz":
        action = pgsql.Literal(f" CNAME {block_page_target()}")
        query = pgsql.SQL(
            "COPY (SELECT v.line FROM {entry} e CROSS JOIN LATERAL (VALUES (e.name || {action}),"
            " (CASE WHEN e.subtree THEN '*.' || e.name || {action} END)) v(line) WHERE v.line IS NOT NULL)"
            " TO STDOUT"
        ).format(entry=entry, action=action)
    elif kind == "txt":
        query = pgsql.SQL(
            "COPY (SELECT CASE WHEN subtree THEN '*.' || name ELSE name END FROM {entry}) TO STDOUT"
        ).format(entry=entry)
    else:
        query = pgsql.SQL("COPY (SELECT '0.0.0.0 ' || name FROM {entry}) TO STDOUT").format(entry=entry)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(query.as_string(raw.connection)) as copy:
            yield from copy  # names hold only [a-z0-9_.*-]: COPY's text format needs no unescaping


def _python_lines(kind: str):
    rows = BlocklistEntry.objects.values_list("name", "subtree", "order__reference").iterator(chunk_size=5000)
    target = block_page_target()
    first = True
    for name, subtree, reference in rows:
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
