"""Reading an import: a pasted list (one address a line) or a CSV with a header.

The upload as a whole is checked before anything is saved (size, text, UTF-8, header, row count) and
refused with `UploadRefused` naming the line at fault. What is wrong with a single row (a bad address,
an unknown category) is not the parser's business: the import rejects that row and keeps the others.
Line numbers are the file's physical lines, the header being line 1, so an analyst can find the row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.core.errors import DomainError

LIST = "list"
CSV = "csv"
SUFFIXES = {LIST: ".txt", CSV: ".csv"}
REQUIRED_COLUMN = "url"
COLUMNS = ("url", "category", "source", "urgency", "language", "description", "platform")
_DELIMITERS = (",", ";", "\t")  # a spreadsheet saved in a locale with decimal commas writes ";"


class UploadRefused(DomainError):
    """The upload as a whole cannot be imported; `fields` names the form field (file or text)."""

    code = "upload_refused"

    def __init__(self, message: str, *, field: str = "file"):
        super().__init__(message, fields={field: [message]})


@dataclass(frozen=True, slots=True)
class Row:
    """One data row as written, before it is understood. `problem` is set when its shape is wrong."""

    line: int
    url: str
    category: str = ""
    source: str = ""
    urgency: str = ""
    language: str = ""
    description: str = ""
    platform: str = ""
    problem: str = ""


def format_of(path: str | Path) -> str:
    return LIST if str(path).endswith(SUFFIXES[LIST]) else CSV


def store(chunks: Iterable[bytes], destination: Path, *, field: str = "file") -> int:
    """Write the upload to `destination`, refusing it once it passes IMPORT_MAX_BYTES. Returns its size."""
    limit = settings.IMPORT_MAX_BYTES
    size = 0
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise UploadRefused(too_large_message(), field=field)
            out.write(chunk)
    return size


def too_large_message() -> str:
    return _("The file is larger than the limit of %(limit)s MB; split it into several imports.") % {
        "limit": f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:,.0f}"
    }


def check(path: Path, *, fmt: str, field: str = "file") -> int:
    """Refuse the stored upload if it cannot be imported as a whole; else return its number of rows."""
    with open(path, "rb") as raw:
        start = raw.read(4)
        if not start:
            raise UploadRefused(_("The upload is empty: there is nothing to import."), field=field)
        _refuse_binary_formats(start, field)
        raw.seek(0)
        limit = settings.IMPORT_MAX_ROWS
        count = 0
        for _row in _rows(raw, fmt=fmt, field=field):
            count += 1
            if count > limit:
                raise UploadRefused(
                    _("The upload has more than %(limit)s rows, the most one import takes; split it.")
                    % {"limit": f"{limit:,}"},
                    field=field,
                )
    if count == 0:
        if fmt == CSV:
            raise UploadRefused(_("The file has a header but no rows below it."), field=field)
        raise UploadRefused(_("The list is empty: enter one address or @handle a line."), field=field)
    return count


def read(path: Path, *, skip: int = 0) -> Iterator[Row]:
    """The rows of an upload that passed `check`, after the first `skip` of them."""
    with open(path, "rb") as raw:
        for index, row in enumerate(_rows(raw, fmt=format_of(path), field="file")):
            if index >= skip:
                yield row


def _refuse_binary_formats(start: bytes, field: str) -> None:
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UploadRefused(
            _("The file is UTF-16 text, not UTF-8. Save it as UTF-8 (“CSV UTF-8” in Excel) and upload it again."),
            field=field,
        )
    if start[:4] == b"PK\x03\x04":
        raise UploadRefused(
            _("The file is not text but a compressed document (an Excel workbook?). Save it as CSV UTF-8."),
            field=field,
        )


def _lines(raw: BinaryIO, field: str) -> Iterator[str]:
    """The file's lines as text, each with its line ending; refuses NUL bytes and anything not UTF-8."""
    offset = 0
    for number, data in enumerate(raw, start=1):
        if b"\x00" in data:
            column = data.index(b"\x00")
            raise UploadRefused(
                _(
                    "The file is not text: line %(line)s contains a NUL byte (at byte offset %(offset)s). "
                    "Upload a CSV file or a plain-text list."
                )
                % {"line": f"{number:,}", "offset": f"{offset + column:,}"},
                field=field,
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UploadRefused(
                _(
                    "The file is not UTF-8: line %(line)s has the byte 0x%(byte)02X, which is not valid UTF-8, "
                    "at byte offset %(offset)s (byte %(column)s of the line). Save the file as UTF-8 "
                    "(“CSV UTF-8” in Excel) and upload it again."
                )
                % {
                    "line": f"{number:,}",
                    "byte": data[exc.start],
                    "offset": f"{offset + exc.start:,}",
                    "column": f"{exc.start + 1:,}",
                },
                field=field,
            ) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        offset += len(data)
        yield text


def _rows(raw: BinaryIO, *, fmt: str, field: str) -> Iterator[Row]:
    lines = _lines(raw, field)
    if fmt == LIST:
        for number, text in enumerate(lines, start=1):
            value = text.strip()
            if value:
                yield Row(line=number, url=value)
        return
    yield from _csv_rows(lines, field)


def _csv_rows(lines: Iterator[str], field: str) -> Iterator[Row]:
    first = next(lines, "")
    if not first.strip():
        raise UploadRefused(_header_help(_("Line 1 is empty; it must be the header.")), field=field)
    delimiter = next((d for d in _DELIMITERS if d in first), ",")
    reader = csv.reader(_chain(first, lines), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        columns = _columns(header, field)
        width = len(columns)
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) > width and any(value.strip() for value in values[width:]):
                yield Row(
                    line=start,
                    url=values[0] if values else "",
                    problem=ngettext(
                        "The line has %(found)s values but the header names %(width)s column; "
                        "quote values that contain the separator.",
                        "The line has %(found)s values but the header names %(width)s columns; "
                        "quote values that contain the separator.",
                        width,
                    )
                    % {"found": len(values), "width": width},
                )
                continue
            yield Row(line=start, **{name: value.strip() for name, value in zip(columns, values, strict=False)})
    except csv.Error as exc:
        raise UploadRefused(
            _("Line %(line)s is not valid CSV (%(error)s); check its quotes.")
            % {"line": f"{reader.line_num:,}", "error": exc},
            field=field,
        ) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _columns(header: list[str], field: str) -> list[str]:
    names = [name.strip().lower() for name in header]
    if REQUIRED_COLUMN not in names:
        shown = header[0].strip() if header else ""
        if any(mark in shown for mark in (".", "/", "@")):
            problem = _("Line 1 must be the header naming the columns, but it reads “%(value)s”, like a row.") % {
                "value": shown[:100]
            }
        else:
            problem = _("The header (line 1) has no url column.")
        raise UploadRefused(_header_help(problem), field=field)
    unnamed = [str(index) for index, name in enumerate(names, start=1) if not name]
    if unnamed:
        raise UploadRefused(
            _header_help(_("Column %(columns)s of the header (line 1) has no name.") % {"columns": ", ".join(unnamed)}),
            field=field,
        )
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise UploadRefused(
            _header_help(
                ngettext(
                    "The header (line 1) names an unknown column: %(unknown)s.",
                    "The header (line 1) names unknown columns: %(unknown)s.",
                    len(unknown),
                )
                % {"unknown": ", ".join(unknown)}
            ),
            field=field,
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UploadRefused(
            _header_help(_("The header (line 1) names %(columns)s more than once.") % {"columns": ", ".join(twice)}),
            field=field,
        )
    return names


def _header_help(problem: str) -> str:
    return _("%(problem)s Allowed columns: %(columns)s (url is required; names are not case-sensitive).") % {
        "problem": problem,
        "columns": ", ".join(COLUMNS),
    }
