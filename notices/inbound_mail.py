"""Read one inbound email and say what it is: a person's reply, an auto-reply, a bounce, a delivery report,
a read receipt or an abuse complaint.

Pure: the standard library's `email` package and nothing else (no models, no database), so the mail
ingestion task, a management command and the tests can all call it. Malformed mail never raises; what was
wrong is listed in `InboundMessage.defects`. Only an oversized message raises, `MessageTooLarge`, before
any parsing.
"""

import codecs
import enum
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

# Deeper MIME nesting than this is hostile, not mail; Python's own parser stops near 1000 (recursion).
MAX_DEPTH = 40


class Kind(enum.StrEnum):
    MESSAGE = "message"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    DELIVERY_REPORT = "delivery-report"
    COMPLAINT = "complaint"
    READ_RECEIPT = "read-receipt"


class MessageTooLarge(ValueError):
    def __init__(self, size: int, max_bytes: int):
        super().__init__(f"message is {size} bytes, more than the limit of {max_bytes} bytes")
        self.size = size
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class DeliveryStatus:
    """One recipient's fate from a delivery status notification (RFC 3464), or read off a plain-text bounce."""

    recipient: str  # "" when a plain-text bounce does not say
    action: str  # failed, delayed, delivered, relayed, expanded (lower case)
    status: str  # the enhanced status code alone, e.g. "5.1.1"
    diagnostic: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass
class InboundMessage:
    kind: Kind
    why: str
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    date: datetime | None
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    referenced_message_ids: list[str]
    text: str
    attachments: list[Attachment]
    delivery_statuses: list[DeliveryStatus]
    defects: list[str]
    # Subject of the message a report is about (the bounced or reported notice), so a notice reference can
    # be found even when the returned copy carries no Message-ID.
    original_subject: str = ""


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundMessage:
    """Parse one raw RFC 822 message and classify it (see `classify` for the order of the rules)."""
    if len(raw) > max_bytes:
        raise MessageTooLarge(len(raw), max_bytes)
    defects = _Defects()
    msg = _parse_bytes(bytes(raw), defects)
    headers = _Headers(msg, defects)

    subject = headers.text("Subject")
    from_name, from_address = (headers.addresses("From") or [("", "")])[0]
    if headers.raw("From") is None:
        defects.add("no From header")
    in_reply_to = _message_ids(headers.raw("In-Reply-To") or "")
    references = _message_ids(headers.raw("References") or "")

    parts = list(_own_parts(msg))
    report = _read_report_parts(parts, defects)
    text = _clean(_body_text(msg, defects, depth=0) or "").lstrip("\n").rstrip()
    kind, why = classify(headers, msg, report)

    statuses = report.statuses
    original_ids = report.original_ids
    original_subject = report.original_subject
    if kind == Kind.BOUNCE and not statuses:
        statuses = _statuses_from_bounce_text(text, headers.addresses("X-Failed-Recipients"))
    if kind in _REPORT_KINDS and not original_ids:
        # Bounces from Gmail, Exim, Yahoo (and Exchange without a message/rfc822 part) quote the
        # original's headers in the text.
        original_ids, text_subject = _original_from_bounce_text(text)
        original_subject = original_subject or text_subject
    if kind not in _REPORT_KINDS:
        original_ids, original_subject = [], ""

    for part in parts:
        for defect in part.defects:
            where = "" if part is msg else f"{_content_type(part)} part: "
            defects.add(where + _describe(defect))

    return InboundMessage(
        kind=kind,
        why=_clean(why),
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        to=[address for _, address in headers.addresses("To") if address],
        date=_date(headers.raw("Date"), defects),
        message_id=next(iter(_message_ids(headers.raw("Message-ID") or "")), ""),
        in_reply_to=in_reply_to,
        references=references,
        referenced_message_ids=_unique([*in_reply_to, *references, *original_ids]),
        text=text,
        attachments=_attachments(parts, defects),
        delivery_statuses=statuses,
        defects=list(defects),
        original_subject=_clean(original_subject),
    )


def find_references(message: InboundMessage, pattern: re.Pattern[str]) -> list[str]:
    """Notice reference numbers matching `pattern`: in the subject first, then the body, then the subject
    of the original a report returns; each once, in the order found."""
    found = (
        m.group(0)
        for source in (message.subject, message.text, message.original_subject)
        for m in pattern.finditer(source)
    )
    return _unique(found)


# Classification ---------------------------------------------------------------------------------------------

_REPORT_KINDS = {Kind.BOUNCE, Kind.DELIVERY_REPORT, Kind.READ_RECEIPT, Kind.COMPLAINT}
_DSN_TYPES = {"message/delivery-status", "message/global-delivery-status"}
_MDN_TYPES = {"message/disposition-notification", "message/global-disposition-notification"}
_ARF_TYPES = {"message/feedback-report"}
_HEADER_TYPES = {"text/rfc822-headers", "message/rfc822-headers", "message/global-headers"}
_ENCLOSED_TYPES = {"message/rfc822", "message/global"}
_REPORT_PART_TYPES = _DSN_TYPES | _MDN_TYPES | _ARF_TYPES | _HEADER_TYPES

_SUCCESS_ACTIONS = {"delivered", "relayed", "expanded"}
_FAILURE_ACTIONS = {"failed", "delayed"}

_BOUNCE_SENDERS = {"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster"}
# Localised Exchange NDR prefixes included: a platform's mail system may answer in its own language.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification \((failure|delay)\)"
    r"|mail delivery (failed|failure)|failure notice|returned mail|delivery has failed|delivery failure"
    r"|delivery notification: delivery has failed|message delivery failure|mail system error"
    r"|non remis|unzustellbar|onbestelbaar|non recapitabile|no se puede entregar|não é possível entregar)",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto[ -]?reply|auto[ -]?respon[sd]\w*|automatic reply|automatische antwort|automatisch antwoord"
    r"|out of (the )?office|abwesenheitsnotiz|réponse automatique|risposta automatica|respuesta automática"
    r"|resposta automática|automatyczna odpowiedź|autosvar|automaattinen vastaus|balasan otomatis"
    r"|balasan automatis|jawaban otomatis|автоответ|автоматический ответ|自动回复|自動回覆|自動応答|自動返信)",
    re.IGNORECASE,
)
# Looser words, trusted only beside `Precedence: bulk` and the like, which newsletters carry too.
_AUTO_REPLY_WORDS = re.compile(
    r"\b(out of (the )?office|away|vacation|holiday|absent|absence|on leave|auto(matic)?[ -]?(reply|respon\w*)"
    r"|abwesen\w*|urlaub|congés|ausente|assente|cuti)\b",
    re.IGNORECASE,
)
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


def classify(headers: "_Headers", msg: Message, report: "_Report") -> tuple[Kind, str]:
    """The kind of a parsed message and a short phrase saying why. The first rule that matches wins:

    1. complaint: multipart/report; report-type=feedback-report (ARF), or a message/feedback-report part.
    2. read-receipt: report-type=disposition-notification, or a message/disposition-notification part
       (MDNs often carry Auto-Submitted, so this comes before auto-reply).
    3. delivery status notification (report-type=delivery-status, or a message/delivery-status part):
       bounce if any recipient failed or is delayed (Action failed/delayed, or Status 4.x.x/5.x.x);
       delivery-report only if every recipient was delivered, relayed or expanded. A DSN with no
       per-recipient fields is a bounce: delivery is recorded only on evidence. This rule comes before
       the mailer-daemon rule because successful DSNs come from MAILER-DAEMON too.
    4. bounce: a mailer-daemon or postmaster sender, X-Failed-Recipients, or a bounce subject
       ("Undeliverable", "Mail delivery failed", "Failure Notice" ...). Before auto-reply because Exim and
       Postfix mark their bounces Auto-Submitted: auto-replied.
    5. auto-reply: RFC 3834 Auto-Submitted other than "no"; X-Auto-Response-Suppress (Exchange);
       X-Autoreply / X-Autorespond; an auto-reply subject ("Automatic reply:", "Out of office",
       "Balasan otomatis" ...); or Precedence: auto_reply/bulk/junk beside an away-sounding subject.
    6. message: anything else, a person's reply or not; the caller decides from referenced ids.

    Only the message's own MIME structure is looked at, never inside an enclosed message/rfc822, so a
    forwarded bounce or complaint stays a person's message.
    """
    report_type = _param(msg, "report-type").lower() if _content_type(msg) == "multipart/report" else ""
    types = report.types

    if report_type == "feedback-report" or types & _ARF_TYPES:
        feedback_type = report.fields.get("feedback-type", "")
        return Kind.COMPLAINT, _report_why(report_type, "message/feedback-report", "Feedback-Type", feedback_type)

    if report_type == "disposition-notification" or types & _MDN_TYPES:
        disposition = report.fields.get("disposition", "")
        return Kind.READ_RECEIPT, _report_why(
            report_type, "message/disposition-notification", "Disposition", disposition
        )

    if report_type == "delivery-status" or types & _DSN_TYPES:
        statuses = report.statuses
        failures = [s for s in statuses if s.action in _FAILURE_ACTIONS or s.status[:1] in {"4", "5"}]
        if failures:
            first = failures[0]
            detail = ", ".join(filter(None, [f"Action: {first.action}" if first.action else "", _status_why(first)]))
            return Kind.BOUNCE, _report_why(report_type, "message/delivery-status", "", detail)
        if statuses and all(s.action in _SUCCESS_ACTIONS or s.status.startswith("2.") for s in statuses):
            detail = f"Action: {statuses[0].action}" if statuses[0].action else _status_why(statuses[0])
            return Kind.DELIVERY_REPORT, _report_why(report_type, "message/delivery-status", "", detail)
        if statuses:
            return Kind.BOUNCE, _report_why(report_type, "message/delivery-status", "", "delivery not confirmed")
        return Kind.BOUNCE, _report_why(report_type, "message/delivery-status", "", "no per-recipient status")

    sender = headers.addresses("From")
    sender_address = sender[0][1] if sender else ""
    if sender_address.partition("@")[0].lower() in _BOUNCE_SENDERS:
        return Kind.BOUNCE, f"From: {sender_address}"
    if headers.text("X-Failed-Recipients"):
        return Kind.BOUNCE, f"X-Failed-Recipients: {_short(headers.text('X-Failed-Recipients'))}"
    subject = headers.text("Subject")
    if _BOUNCE_SUBJECT.match(subject):
        return Kind.BOUNCE, f"Subject: {_short(subject)}"

    auto_submitted = headers.text("Auto-Submitted").strip()
    if auto_submitted and re.split(r"[\s;(]", auto_submitted.lower(), maxsplit=1)[0] != "no":
        return Kind.AUTO_REPLY, f"Auto-Submitted: {_short(auto_submitted)}"
    if headers.text("X-Auto-Response-Suppress"):
        return Kind.AUTO_REPLY, f"X-Auto-Response-Suppress: {_short(headers.text('X-Auto-Response-Suppress'))}"
    for name in _AUTO_REPLY_HEADERS:
        if headers.text(name):
            return Kind.AUTO_REPLY, f"{name}: {_short(headers.text(name))}"
    if _AUTO_REPLY_SUBJECT.match(subject):
        return Kind.AUTO_REPLY, f"Subject: {_short(subject)}"
    precedence = headers.text("Precedence").strip().lower()
    if precedence in {"auto_reply", "bulk", "junk"} and _AUTO_REPLY_WORDS.search(subject):
        return Kind.AUTO_REPLY, f"Precedence: {precedence}, Subject: {_short(subject)}"

    return Kind.MESSAGE, "no sign of automatic mail"


def _report_why(report_type: str, part_type: str, name: str, value: str) -> str:
    source = f"multipart/report; report-type={report_type}" if report_type else f"a {part_type} part"
    if not value:
        return source
    return f"{source}, {name}: {_short(value)}" if name else f"{source}, {value}"


def _status_why(status: DeliveryStatus) -> str:
    return f"Status: {status.status}" if status.status else ""


def _short(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# Reports: delivery status, dispositions, feedback, and the original they enclose ---------------------------


@dataclass
class _Report:
    types: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)  # first value of each report field, lower-case name
    statuses: list[DeliveryStatus] = field(default_factory=list)
    original_ids: list[str] = field(default_factory=list)
    original_subject: str = ""


def _read_report_parts(parts: list[Message], defects: "_Defects") -> _Report:
    report = _Report()
    enclosed_ids: list[str] = []
    for part in parts:
        ctype = _content_type(part)
        if ctype not in _REPORT_PART_TYPES | _ENCLOSED_TYPES:
            continue
        report.types.add(ctype)
        if ctype in _DSN_TYPES | _MDN_TYPES | _ARF_TYPES:
            for block in _field_blocks(part, defects):
                for name, value in block:
                    report.fields.setdefault(name, value)
                    if name in {"original-message-id", "x-original-message-id"}:
                        report.original_ids.extend(_message_ids(value))
                if ctype in _DSN_TYPES:
                    status = _delivery_status(dict(reversed(block)))
                    if status:
                        report.statuses.append(status)
        elif not enclosed_ids and not report.original_subject:
            # The first enclosed original or its headers: later ones are rare and not the notice.
            headers = _enclosed_headers(part, defects)
            enclosed_ids = _message_ids(headers.get("message-id", ""))
            report.original_subject = _decode_header("Subject", headers.get("subject", ""))
    report.original_ids = _unique([*report.original_ids, *enclosed_ids])
    return report


def _field_blocks(part: Message, defects: "_Defects") -> list[list[tuple[str, str]]]:
    """Blocks of "Name: value" fields, names lower-cased, values unfolded and cleaned."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for sub in payload:
            if isinstance(sub, Message):
                blocks.append([(name.lower(), _header_value(value)) for name, value in sub.raw_items()])
                body = sub.get_payload()
                if isinstance(body, str) and body.strip():
                    # message/global-delivery-status and friends parse as one message whose body holds
                    # the remaining blocks.
                    blocks.extend(_blocks_from_text(body))
        return blocks
    return _blocks_from_text(_part_text(part, defects))


def _blocks_from_text(text: str) -> list[list[tuple[str, str]]]:
    blocks: list[list[tuple[str, str]]] = []
    for chunk in re.split(r"\n[ \t]*\n", _newlines(text)):
        block: list[tuple[str, str]] = []
        for line in chunk.split("\n"):
            if line[:1] in {" ", "\t"} and block:
                name, value = block[-1]
                block[-1] = (name, f"{value} {line.strip()}")
            elif ":" in line:
                name, _, value = line.partition(":")
                block.append((name.strip().lower(), _clean(value.strip())))
        if block:
            blocks.append(block)
    return blocks


def _delivery_status(fields: dict[str, str]) -> DeliveryStatus | None:
    if not {"action", "status", "final-recipient"} & fields.keys():
        return None
    status_field = fields.get("status", "")
    code = re.match(r"\s*(\d\.\d{1,3}\.\d{1,3})", status_field)
    status = code.group(1) if code else status_field.strip()
    comment = status_field[code.end() :].strip(" ()") if code else ""
    action = fields.get("action", "").strip().split(" ")[0].lower()
    return DeliveryStatus(
        recipient=_without_type(fields.get("final-recipient") or fields.get("original-recipient", "")),
        action=action,
        status=status,
        diagnostic=_without_type(fields.get("diagnostic-code", "")) or comment,
    )


def _without_type(value: str) -> str:
    """`rfc822; user@example.org` -> `user@example.org`: the type prefix of DSN address and code fields."""
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and re.fullmatch(r"\s*[\w.-]+\s*", kind) else value.strip()


def _enclosed_headers(part: Message, defects: "_Defects") -> dict[str, str]:
    payload = part.get_payload()
    if isinstance(payload, list):
        items = payload[0].raw_items() if payload and isinstance(payload[0], Message) else []
        pairs = [(name.lower(), _header_value(value)) for name, value in items]
    else:
        blocks = _blocks_from_text(_part_text(part, defects))
        pairs = blocks[0] if blocks else []
    headers: dict[str, str] = {}
    for name, value in pairs:
        headers.setdefault(name, value)
    return headers


_SMTP_AND_ENHANCED_CODE = re.compile(r"\b[45]\d\d[ -]([45]\.\d{1,3}\.\d{1,3})(?![.\d]*\d)")
_ENHANCED_CODE = re.compile(r"(?<![\w.])([45]\.\d{1,3}\.\d{1,3})(?![.\d]*\d)")
_ORIGINAL_FOLLOWS = re.compile(
    r"^[ \t]*-*[ \t]*(original message|this is a copy of the message|below this line is a copy of the message"
    r"|undelivered message headers|returned message)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_SUBJECT_LINE = re.compile(r"^[ \t>]*Subject:[ \t]*(.*\S)", re.IGNORECASE | re.MULTILINE)


def _split_bounce_text(text: str) -> tuple[str, str]:
    """The notification, and the quoted original after it ("" if no marker says where it starts)."""
    marker = _ORIGINAL_FOLLOWS.search(text)
    return (text[: marker.start()], text[marker.end() :]) if marker else (text, "")


def _statuses_from_bounce_text(text: str, failed: list[tuple[str, str]]) -> list[DeliveryStatus]:
    """A plain-text bounce's statuses: the first enhanced status code in the notification, for each
    X-Failed-Recipients address (or one recipient "" when no header names them)."""
    notification, _ = _split_bounce_text(text)
    found = _SMTP_AND_ENHANCED_CODE.search(notification) or _ENHANCED_CODE.search(notification)
    if not found:
        return []
    status = found.group(1)
    line_start = notification.rfind("\n", 0, found.start()) + 1
    line_end = notification.find("\n", found.end())
    diagnostic = notification[line_start : line_end if line_end != -1 else None].strip()
    action = "failed" if status.startswith("5") else "delayed"
    recipients = [address for _, address in failed if address] or [""]
    return [DeliveryStatus(recipient, action, status, diagnostic) for recipient in recipients]


def _original_from_bounce_text(text: str) -> tuple[list[str], str]:
    notification, original = _split_bounce_text(text)
    quoted = original or notification
    message_id = _MESSAGE_ID_LINE.search(quoted)
    subject = _SUBJECT_LINE.search(original) if original else None
    return (
        [message_id.group(1)] if message_id else [],
        _decode_header("Subject", subject.group(1)) if subject else "",
    )


# Body text and attachments -------------------------------------------------------------------------------


def _body_text(part: Message, defects: "_Defects", depth: int) -> str | None:
    """The best plain text of a part: text/plain before text/html, inline parts of a mixed message joined."""
    ctype = _content_type(part)
    if depth > MAX_DEPTH or _is_attachment(part):
        return None
    if ctype == "text/plain":
        return _newlines(_part_text(part, defects))
    if ctype == "text/html":
        return html_to_text(_part_text(part, defects))
    if not ctype.startswith("multipart/"):
        return None
    children = part.get_payload()
    if not isinstance(children, list):
        # Broken boundaries: the parser left the whole multipart as one string. Better raw than nothing.
        return _newlines(_part_text(part, defects))
    children = [child for child in children if isinstance(child, Message)]
    if ctype == "multipart/alternative":
        ranked = sorted(children, key=lambda child: _content_type(child) != "text/plain")
        for child in ranked:
            text = _body_text(child, defects, depth + 1)
            if text and text.strip():
                return text
        return None
    if ctype == "multipart/related" and children:
        return _body_text(children[0], defects, depth + 1)
    texts = [_body_text(child, defects, depth + 1) for child in children]
    return "\n\n".join(text.strip("\n") for text in texts if text and text.strip()) or None


def _attachments(parts: list[Message], defects: "_Defects") -> list[Attachment]:
    """Files, and enclosed messages (a bounce's returned original, a forwarded email); not the body parts
    or the report fields, which are read into other fields."""
    attachments = []
    for part in parts:
        ctype = _content_type(part)
        if ctype.startswith("multipart/") or ctype in _REPORT_PART_TYPES:
            continue
        if ctype in {"text/plain", "text/html"} and not _is_attachment(part):
            continue
        if ctype in _ENCLOSED_TYPES:
            payload = _enclosed_bytes(part, defects)
            if not payload.strip():
                continue  # Postfix sometimes returns an empty message/rfc822 part
        else:
            payload = _payload_bytes(part, defects)
        attachments.append(Attachment(filename=_filename(part), content_type=ctype, payload=payload))
    return attachments


def _enclosed_bytes(part: Message, defects: "_Defects") -> bytes:
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _payload_bytes(part, defects)
    if not payload:
        return b""
    try:
        return payload[0].as_bytes(policy=policy.compat32)
    except Exception:  # the generator chokes on some hostile headers; keep the rest
        defects.add("an enclosed message could not be re-serialised")
        return b""


def _payload_bytes(part: Message, defects: "_Defects") -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # transfer decoding of hostile input must not lose the message
        defects.add(f"{_content_type(part)} part could not be decoded")
        return b""
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, defects: "_Defects") -> str:
    return _decode_bytes(_payload_bytes(part, defects), _charset(part), defects)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    return disposition == "attachment" or bool(_filename(part))


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # RFC 2231 parameters with hostile encodings
        name = ""
    # Only the last path component: the name may end up on disk.
    return _clean(re.split(r"[/\\]", str(name))[-1].strip())


class _HtmlText(HTMLParser):
    _BREAKS = {"br", "p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "hr", "section", "article"}
    _BREAKS |= {"h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "title"}
    _SKIPPED = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    """Rough plain text of an HTML body: tags dropped, blocks on their own lines, entities decoded."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.chunks)
    except Exception:  # HTMLParser has raised AssertionError on broken markup
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in _newlines(text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Charsets --------------------------------------------------------------------------------------------------

# Labels mail software gets wrong in practice: GB2312 mail is usually GBK, "Latin-1" usually Windows-1252.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
}
_ASCII_LABELS = {"us-ascii", "ascii", "ansi_x3.4-1968", "646"}


def _decode_bytes(data: bytes, charset: str | None, defects: "_Defects") -> str:
    """Bytes to str whatever the label says: the declared charset, then UTF-8, then a lenient decoding
    with undecodable bytes replaced. Each fallback is noted as a defect."""
    label = (charset or "").strip().strip("\"'").lower()
    declared = bool(label) and label not in _ASCII_LABELS
    codec = _codec(label) if declared else None
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    elif declared:
        defects.add(f"unknown charset {_short(label, 40)!r}, read as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec:
            defects.add(f"text declared {_short(label, 40)} is UTF-8")
        return text
    if codec or declared:
        defects.add(f"text is not valid {_short(label, 40) if codec else 'UTF-8'}; undecodable bytes replaced")
        return data.decode(codec or "utf-8", errors="replace")
    # 8-bit text labelled US-ASCII, or not labelled, that is not UTF-8 is most often Windows-1252.
    defects.add("8-bit text without a charset, read as Windows-1252")
    return data.decode("cp1252", errors="replace")


def _codec(label: str) -> str | None:
    name = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    try:
        # Rejects codecs that are not text encodings (base64, zlib ...). Not b"": that skips the check.
        b"a".decode(info.name)
    except LookupError:
        return None
    except ValueError:
        pass  # a text encoding that cannot decode one lone byte (UTF-16, ...)
    return info.name


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


# Headers ---------------------------------------------------------------------------------------------------


class _Headers:
    """First occurrence of each header, read from the raw values so that no stdlib header class can raise,
    with 8-bit bytes read as UTF-8 and RFC 2047 encoded words decoded."""

    def __init__(self, msg: Message, defects: "_Defects"):
        self.defects = defects
        self.values: dict[str, str] = {}
        for name, value in _raw_items(msg):
            key = str(name).strip().lower()
            if key not in self.values:
                raw = str(value)
                if _has_surrogates(raw):
                    defects.add(f"{name} header has raw 8-bit bytes, read as UTF-8")
                self.values[key] = _header_value(raw)

    def raw(self, name: str) -> str | None:
        return self.values.get(name.lower())

    def text(self, name: str) -> str:
        value = self.raw(name)
        return _decode_header(name, value, self.defects) if value else ""

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, address) pairs."""
        value = self.raw(name)
        if not value:
            return []
        try:
            header = policy.default.header_factory(name, value)
            pairs = [(str(a.display_name), str(a.addr_spec)) for a in header.addresses]
        except Exception:  # the stdlib address parser has raised on hostile input
            pairs = []
        if not pairs or not any(address for _, address in pairs):
            # Lenient: also reads "MAILER-DAEMON@example.org (Mail Delivery System)" style names.
            pairs = [(display, address) for display, address in getaddresses([value]) if address]
        else:
            # The comment form "addr (Name)" gives no display name to the strict parser.
            loose = dict((address, display) for display, address in getaddresses([value]))
            pairs = [(display or loose.get(address, ""), address) for display, address in pairs]
        return [(_clean(_decode_header("Display-Name", display)), _clean(address)) for display, address in pairs]


def _raw_items(msg: Message) -> Iterable[tuple[str, str]]:
    try:
        return list(msg.raw_items())
    except Exception:
        return []


def _header_value(value: object) -> str:
    """A raw header value unfolded, with surrogate-escaped 8-bit bytes read as UTF-8."""
    return _clean(re.sub(r"\r?\n|\r", "", str(value))).strip()


def _decode_header(name: str, value: str, defects: "_Defects | None" = None) -> str:
    if "=?" not in value:
        return value
    try:
        header = policy.default.header_factory("Subject", value)
        text = str(header)
        if defects is not None:
            for defect in header.defects:
                defects.add(f"{name} header: {_describe(defect)}")
    except Exception:  # encoded words in hostile charsets
        if defects is not None:
            defects.add(f"{name} header could not be decoded")
        return value
    return _clean(text)


_ANGLE_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")


def _message_ids(value: str) -> list[str]:
    ids = _ANGLE_ID.findall(value)
    if not ids:
        # Some mailers drop the angle brackets.
        ids = [token.strip("<>,;()") for token in value.split() if "@" in token]
    return _unique(i for i in ids if i)


def _date(value: str | None, defects: "_Defects") -> datetime | None:
    if not value:
        defects.add("no Date header")
        return None
    try:
        # Comments such as "(EDT)" before the zone make the stdlib drop the zone.
        moment = parsedate_to_datetime(re.sub(r"\([^()]*\)", " ", value))
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.add(f"unreadable Date header {_short(value, 60)!r}")
        return None
    # "-0000" parses naive: RFC 5322 says the time is UTC with the sender's zone unknown.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Parsing and small helpers ---------------------------------------------------------------------------------


def _parse_bytes(raw: bytes, defects: "_Defects") -> Message:
    try:
        return BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        defects.add("MIME parts nested too deeply; only the headers were read")
    except Exception:  # a stdlib parser bug must not lose the message
        defects.add("the MIME structure could not be parsed; only the headers were read")
    try:
        return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    except Exception:
        defects.add("the headers could not be parsed")
        return Message(policy=policy.default)


def _own_parts(part: Message, depth: int = 0) -> Iterator[Message]:
    """The message and its MIME parts, not descending into enclosed messages (message/*)."""
    yield part
    if depth >= MAX_DEPTH or not _content_type(part).startswith("multipart/"):
        return
    children = part.get_payload()
    if isinstance(children, list):
        for child in children:
            if isinstance(child, Message):
                yield from _own_parts(child, depth + 1)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # hostile Content-Type parameters
        return "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "").strip()


def _describe(defect: Exception) -> str:
    text = str(defect).strip()
    if text:
        return _clean(text)
    doc = (type(defect).__doc__ or type(defect).__name__).strip().split("\n")[0]
    return doc.rstrip(".")


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(text: str) -> bool:
    return _ESCAPED_BYTE.search(text) is not None


def _clean(text: str) -> str:
    """Text fit to store: surrogate-escaped bytes read as UTF-8, NUL replaced (PostgreSQL text refuses
    both)."""
    if _SURROGATE.search(text):
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        text = data.decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd")


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class _Defects(list[str]):
    def add(self, description: str) -> None:
        if description not in self:
            self.append(description)
