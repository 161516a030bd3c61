"""Read the messages Django's file-based email backend wrote under EMAIL_FILE_PATH."""

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# The file backend ends every message with a line of 79 dashes.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class OutboxMessage:
    subject: str
    sender: str
    to: str
    date: str
    message_id: str
    text: str
    attachments: list[str]


def outbox_in_use() -> bool:
    return settings.EMAIL_BACKEND == FILE_BACKEND


def outbox_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def outbox_files() -> list[tuple[str, datetime, int]]:
    """(name, modified, size) of each outbox file, newest first."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    files = [(path.name, path.stat()) for path in folder.glob("*.log") if path.is_file()]
    files.sort(key=lambda entry: (entry[1].st_mtime, entry[0]), reverse=True)
    return [(name, datetime.fromtimestamp(stat.st_mtime).astimezone(), stat.st_size) for name, stat in files]


def read_outbox_file(name: str) -> list[OutboxMessage] | None:
    """The messages of one outbox file; None unless `name` is a file of the outbox itself (no paths)."""
    if name != Path(name).name or not name.endswith(".log"):
        return None
    path = outbox_dir() / name
    if not path.is_file():
        return None
    messages = []
    for chunk in path.read_bytes().split(SEPARATOR):
        if not chunk.strip():
            continue
        message = BytesParser(policy=policy.default).parsebytes(chunk.lstrip(b"\n"))
        body = message.get_body(preferencelist=("plain", "html"))
        messages.append(
            OutboxMessage(
                subject=str(message.get("Subject", "")),
                sender=str(message.get("From", "")),
                to=str(message.get("To", "")),
                date=str(message.get("Date", "")),
                message_id=str(message.get("Message-ID", "")),
                text=body.get_content() if body is not None else "",
                attachments=[part.get_filename() or part.get_content_type() for part in message.iter_attachments()],
            )
        )
    return messages
