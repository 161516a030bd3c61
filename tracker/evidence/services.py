"""Attaching evidence to flagged items: stored once by SHA-256, never changed or deleted afterwards.

The bytes are written under EVIDENCE_ROOT at a path derived from their hash before the
database transaction, so a file is on disk before any row points to it; the same bytes
uploaded again (for this item or another) reuse the stored file. A correction is a new
file that `supersedes` the old one; the old one stays.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import filetype
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.errors import DomainError, NotPermitted
from tracker.evidence.models import Evidence, EvidenceFile
from tracker.items.models import FlaggedItem

CHUNK = 1024 * 1024
SNIFF_BYTES = 8192


def evidence_root() -> Path:
    return Path(settings.EVIDENCE_ROOT)


def detect_content_type(head: bytes) -> str:
    """What the bytes are, from their content (never from the name or the browser's claim)."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return "application/octet-stream"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
        return "text/html"
    if b"content-type: multipart/related" in text[:4096]:
        return "multipart/related"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniffing boundary is still text.
        if exc.start < len(head) - 4:
            return "application/octet-stream"
    return "text/plain"


def attach_evidence(
    *,
    actor,
    item: FlaggedItem,
    uploaded_file,
    captured_at: datetime | None = None,
    description: str = "",
    supersedes: Evidence | None = None,
) -> tuple[Evidence, bool]:
    """Attach a file to an item. Returns (evidence, created); the same bytes twice on one item is one attachment."""
    if actor is None or not actor.has_perm("tracker.add_evidence"):
        raise NotPermitted(_("You do not have permission for this."))
    if uploaded_file is None:
        raise DomainError(_("Choose a file to attach."), fields={"file": [_("Choose a file to attach.")]})
    limit = settings.EVIDENCE_MAX_BYTES
    size = getattr(uploaded_file, "size", None)
    if size == 0:
        raise DomainError(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    if size is not None and size > limit:
        message = _("The file is %(size)s; evidence may be at most %(limit)s.") % {
            "size": filesizeformat(size),
            "limit": filesizeformat(limit),
        }
        raise DomainError(message, fields={"file": [message]})
    if captured_at is not None and captured_at > timezone.now() + timedelta(minutes=5):
        message = _("The capture time is in the future.")
        raise DomainError(message, fields={"captured_at": [message]})
    if supersedes is not None and supersedes.item_id != item.pk:
        message = _("A correction must replace evidence of the same item.")
        raise DomainError(message, fields={"supersedes": [message]})

    name = attachment_name(uploaded_file, "evidence")
    evidence_file = store_evidence_file(uploaded_file)  # bytes on disk and their row before the attachment's
    with transaction.atomic():
        existing = Evidence.objects.filter(item=item, file=evidence_file).select_related("captured_by").first()
        if existing is not None:
            return existing, False
        evidence = Evidence.objects.create(
            item=item,
            file=evidence_file,
            original_name=name,
            description=description,
            captured_at=captured_at or timezone.now(),
            captured_by=actor,
            supersedes=supersedes,
        )
        audit.record_creation(evidence, actor=actor, reason=_("evidence attached to %(item)s") % {"item": item})
    return evidence, True


def store_evidence_file(uploaded_file) -> EvidenceFile:
    """Store an upload in the evidence store (size and type checked) and return its row, new or existing.

    For any app's attachments (a platform's reply, a rebuttal); raises DomainError naming what is wrong.
    """
    return _file_row(_store(uploaded_file, settings.EVIDENCE_MAX_BYTES))


def attachment_name(uploaded_file, default: str = "attachment") -> str:
    return Path(getattr(uploaded_file, "name", "") or default).name[:255]


def store_uploads(uploads) -> list[tuple[EvidenceFile, str]]:
    """(stored file, its name) for each upload, all checked and on disk before the caller's transaction."""
    return [(store_evidence_file(upload), attachment_name(upload)) for upload in uploads]


def store_bytes(data: bytes, *, content_type: str) -> EvidenceFile:
    """Keep bytes that are not an upload to an item (a received email) in the evidence store, once by hash.

    The caller names the type and has checked the size; the allowed evidence types do not apply.
    """
    return _file_row(_store(io.BytesIO(data), max(len(data), 1), content_type=content_type))


def _file_row(stored: dict) -> EvidenceFile:
    evidence_file = EvidenceFile.objects.filter(sha256=stored["sha256"]).first()
    if evidence_file is None:
        try:
            with transaction.atomic():
                evidence_file = EvidenceFile.objects.create(**stored)
        except IntegrityError:
            evidence_file = EvidenceFile.objects.get(sha256=stored["sha256"])
    return evidence_file


def _store(uploaded_file, limit: int, *, content_type: str | None = None) -> dict:
    """Hash, sniff and size the upload while writing it to a temporary file, then move it into place by hash."""
    stored_type = content_type
    root = evidence_root()
    (root / "incoming").mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    handle, temporary = tempfile.mkstemp(dir=root / "incoming")
    try:
        with os.fdopen(handle, "wb") as out:
            chunks = (
                uploaded_file.chunks(CHUNK)
                if hasattr(uploaded_file, "chunks")
                else iter(lambda: uploaded_file.read(CHUNK), b"")
            )
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    message = _("The file is larger than %(limit)s, the most evidence may be.") % {
                        "limit": filesizeformat(limit)
                    }
                    raise DomainError(message, fields={"file": [message]})
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DomainError(_("The file is empty."), fields={"file": [_("The file is empty.")]})
        if content_type is None:
            content_type = detect_content_type(head)
        if content_type not in settings.EVIDENCE_ALLOWED_TYPES and content_type != stored_type:
            message = _("Files of type %(type)s cannot be attached; allowed: %(allowed)s.") % {
                "type": content_type,
                "allowed": ", ".join(settings.EVIDENCE_ALLOWED_TYPES),
            }
            raise DomainError(message, fields={"file": [message]})
        sha256 = digest.hexdigest()
        relative = Path(sha256[:2]) / sha256[2:4] / sha256
        final = root / relative
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temporary, 0o440)
            os.replace(temporary, final)
        return {"sha256": sha256, "size": size, "content_type": content_type, "stored_path": str(relative)}
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def open_evidence(evidence: Evidence):
    return open_stored(evidence.file)


def open_stored(evidence_file: EvidenceFile):
    """The stored bytes, checked against the recorded hash's path (no path from outside is ever opened)."""
    path = (evidence_root() / evidence_file.stored_path).resolve()
    if evidence_root().resolve() not in path.parents:
        raise DomainError(_("The evidence file is not where it should be."))
    return path.open("rb")
