"""Test data for inbound email: a notice sent to its platform, and the mail that comes back about it."""

from email.message import EmailMessage

from notices import sending
from notices.models import Delivery, Notice
from tests.factories import make_user
from tests.factories_notices import case_with_items


def sent_notice(*, contacts: int = 1, count: int = 1) -> Notice:
    """A notice sent by a liaison officer, its deliveries accepted by the receiving server."""
    case, _items = case_with_items(count=count, contacts=contacts)
    notice = sending.send_notice(case=case, actor=make_user("liaison_officer"))
    Delivery.objects.filter(notice=notice).update(state=Delivery.State.SENT)
    return notice


def message(*, body: str = "", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    if body:
        msg.set_content(body)
    return msg


def reply(*, body: str = "We have removed the channels you listed.", **headers: str) -> bytes:
    headers.setdefault("From", "Trust & Safety <legal@platform.example>")
    headers.setdefault("To", "takedown@tracker.invalid")
    headers.setdefault("Date", "Sun, 16 Jul 2017 09:12:00 +0000")
    headers.setdefault("Message_ID", "<answer-1@platform.example>")
    headers.setdefault("Subject", "Re: your request")
    return bytes(message(body=body, **headers))


def reply_to(delivery: Delivery, **headers: str) -> bytes:
    headers.setdefault("In_Reply_To", delivery.message_id)
    headers.setdefault("Subject", "Re: " + delivery.notice.subject)
    return reply(**headers)


def auto_reply_to(delivery: Delivery) -> bytes:
    return reply(
        body="I am out of the office until Monday.",
        Subject="Automatic reply: " + delivery.notice.subject,
        In_Reply_To=delivery.message_id,
        Auto_Submitted="auto-replied",
        Message_ID="<ooo-1@platform.example>",
    )


def delivery_status(delivery: Delivery, *, action: str = "failed", status: str = "5.1.1", recipient: str = "") -> bytes:
    """A DSN (RFC 3464) from the platform's mail server, returning the notice's headers."""
    report_type = "delivery-status"
    msg = message(
        From="MAILER-DAEMON@mx.platform.example",
        To=delivery.sender,
        Subject="Undelivered Mail Returned to Sender" if action == "failed" else "Delivery report",
        Date="Tue, 11 Jul 2017 10:00:00 +0700",
        Message_ID=f"<dsn-{action}-{delivery.pk}@mx.platform.example>",
        body="This is the mail system at mx.platform.example.",
    )
    msg.make_mixed()
    fields = message(Content_Type="message/delivery-status")
    blocks = [
        message(Reporting_MTA="dns; mx.platform.example"),
        message(
            Final_Recipient=f"rfc822; {recipient or delivery.recipient}",
            Action=action,
            Status=status,
            Diagnostic_Code="smtp; 550 5.1.1 user unknown" if action == "failed" else "smtp; 250 ok",
        ),
    ]
    fields.set_payload(blocks)
    msg.attach(fields)
    headers = message(Content_Type="text/rfc822-headers")
    headers.set_payload(f"Message-ID: {delivery.message_id}\r\nSubject: {delivery.notice.subject}\r\n")
    msg.attach(headers)
    msg.set_type("multipart/report")
    msg.set_param("report-type", report_type)
    return bytes(msg)
