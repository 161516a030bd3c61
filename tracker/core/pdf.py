"""Formal letters: one HTML template, printed in the browser or turned into a PDF by WeasyPrint.

Nothing is fetched while rendering: the letterhead logo is read from disk and inlined as a `data:` URI, fonts
come from the system's fontconfig (the Debian font packages), and every other URL is refused, so a letter
cannot leak a request to the outside or change with a server elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as localized_date
from django.utils.translation import gettext as _

# "Friday, 14 July 2017, 11:30 WIB": the weekday and month in words, in the active language.
DEADLINE_FORMAT = "l, j F Y, H:i T"


class RemoteFetchRefused(ValueError):
    pass


def local_only_fetcher():
    """WeasyPrint's url_fetcher: only `data:` URIs (the inlined logo) are read; any other URL is refused."""
    from weasyprint.urls import URLFetcher  # heavy import (Pango), only where a PDF is made

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                raise RemoteFetchRefused(f"letters load nothing from outside: {url[:80]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"data"}, allow_redirects=False)


@dataclass
class Letter:
    """What a letter says, whatever it is about; `items` are lines, `deadlines` (label, words) pairs."""

    reference: str
    title: str
    dated: datetime
    addressee: list[str]
    opening: str
    legal_basis: str
    items_heading: str
    items: list[str]
    deadlines: list[tuple[str, str]] = field(default_factory=list)
    closing: str = ""
    signer_name: str = ""
    signer_role: str = ""
    signed_at: datetime | None = None
    notes: list[str] = field(default_factory=list)


def letterhead() -> dict:
    return {"ministry": settings.LETTERHEAD_MINISTRY_NAME, "address": settings.LETTERHEAD_ADDRESS, "logo": _logo()}


def _logo() -> str:
    """The configured logo as a data URI ("" if it cannot be read: a letter without a logo still goes out)."""
    configured = settings.LETTERHEAD_LOGO
    if not configured:
        return ""
    path = Path(configured) if Path(configured).is_absolute() else finders.find(configured)
    if not path or not Path(path).is_file():
        return ""
    kind = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(Path(path).read_bytes()).decode()}"


def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def date_in_words(value: datetime, in_zone: tzinfo) -> str:
    """The date of a letter ("5 December 2026" / "5 Desember 2026") in the active language."""
    return localized_date(timezone.localtime(value, in_zone).date(), "j F Y")


def deadline_in_words(value: datetime, in_zone: tzinfo) -> str:
    """A deadline with weekday and month in words, in the recipient's zone, and the same instant in UTC."""
    local = date_format(timezone.localtime(value, in_zone), DEADLINE_FORMAT)
    utc = date_format(timezone.localtime(value, ZoneInfo("UTC")), "H:i T")
    return _("%(local)s (%(utc)s)") % {"local": local, "utc": utc}


def render_letter_html(letter: Letter, *, in_zone: tzinfo, pdf_url: str = "", back_url: str = "") -> str:
    return render_to_string(
        "tracker/letter.html",
        {
            "letter": letter,
            "letterhead": letterhead(),
            "dated": date_in_words(letter.dated, in_zone),
            "signed": date_in_words(letter.signed_at, in_zone) if letter.signed_at else "",
            "pdf_url": pdf_url,
            "back_url": back_url,
        },
    )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=local_only_fetcher()).write_pdf()


def letter_pdf(letter: Letter, *, in_zone: tzinfo) -> bytes:
    return render_pdf(render_letter_html(letter, in_zone=in_zone))


def pdf_response(data: bytes, *, reference: str) -> HttpResponse:
    """A letter's PDF as a download named after its reference ("TKD-2026-000001.pdf")."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter_filename(reference)}"'
    return response


def letter_filename(reference: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in reference) + ".pdf"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
