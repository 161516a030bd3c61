"""Inbound mail: real replies, auto-replies, bounces, reports and complaints are told apart, and nothing
malformed makes the parser raise."""

import random
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from notices.inbound_mail import Kind, MessageTooLarge, find_references, parse_message
from tests.services import require

EML = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "eml"
NOTICE_REFERENCE = re.compile(r"TKD/\d{4}/\d{6}")

# The Message-IDs each sample refers to (its own threading headers, then the original a report returns);
# samples not listed refer to none.
REFERENCED = {
    "flanker/bounce_gmail-invalid-address.eml": ["CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com"],
    "flanker/bounce_mailbox-full.eml": ["4E326A95.3010907@example.com"],
    "flanker/bounce_office365.eml": ["20171013111011.20866.254C2F3A4D7AA526@ninomail.com"],
    "flanker/complaints_aol.eml": ["20101117174130.28884.55421@luna"],
    "flanker/disposition-notification.eml": ["199509192301.23456@example.org"],
    "sisimai/bsd_lhost-amazonses-01.eml": [
        "000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com"
    ],
    "sisimai/bsd_lhost-exim-01.eml": ["E1P1ce6-000Egt-GZ@e1.example.org"],
    "sisimai/bsd_lhost-gmail-01.eml": ["D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com"],
    "sisimai/bsd_lhost-office365-01.eml": ["FFFFFFFF.EEEEEEEE@example.ed.jp"],
    "sisimai/bsd_lhost-outlook-01.eml": ["BLU436-SMTP6645ECA6E7FEFFE86D040BBA770@phx.gbl"],
    "sisimai/bsd_lhost-yahoo-01.eml": ["6AE6249A-E7A8-4980-862C-F499F6B8E7C5@y.example.co.jp"],
    "sisimai/bsd_rfc3464-01.eml": ["E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org"],
    "sisimai/bsd_rfc3834-03.eml": ["25203A4E-F90F-4A14-BF51-3E7B9D39BE8E@libsisimai.org"],
    "sisimai/bsd_rfc3834-05.eml": ["foobar@dummy.org"],
    "sisimai/dos_lhost-amazonses-01.eml": [
        "000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com"
    ],
    "spamscope/mail_malformed_2.eml": ["004801d1fc84$01c934ac$b247f0b7$@infospacemail.com"],
}


def expected_samples() -> list:
    table = EML / "expected.tsv"
    if not table.is_file():
        return []
    rows = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, notes = [*line.split("\t"), "", ""][:3]
            rows.append(pytest.param(name, kind, notes, id=name))
    return rows


SAMPLES = expected_samples()

if SAMPLES:

    @pytest.mark.parametrize(("name", "kind", "notes"), SAMPLES)
    def test_real_sample_is_classified_as_expected(name, kind, notes):
        message = parse_message((EML / name).read_bytes())

        assert message.kind == kind, message.why
        for status in re.findall(r"Status (\d\.\d{1,3}\.\d{1,3})", notes):
            assert status in [s.status for s in message.delivery_statuses]
        assert message.referenced_message_ids == REFERENCED.get(name, [])

else:

    def test_real_samples_are_present():
        require("shared data", False, "../shared/data/eml not found")


def real_samples() -> list[bytes]:
    require("shared data", EML.is_dir(), "../shared/data/eml not found")
    return [path.read_bytes() for path in sorted(EML.glob("*/*.eml"))]


def email(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def reply(body: str = "We have reviewed the reported channels.", **headers: str) -> EmailMessage:
    msg = email(
        From="Trust & Safety <legal@platform.example>",
        To="liaison@kominfo.example",
        Date="Sun, 16 Jul 2017 09:12:00 +0000",
        Message_ID="<answer-1@platform.example>",
        **headers,
    )
    msg.set_content(body)
    return msg


def delivery_status_notification(*recipients: dict[str, str]) -> EmailMessage:
    msg = email(
        From="MAILER-DAEMON@mx.platform.example",
        To="liaison@kominfo.example",
        Subject="Delivery report",
        Date="Tue, 11 Jul 2017 10:00:00 +0700",
    )
    msg.set_content("This is the mail system at mx.platform.example.")
    msg.make_mixed()
    status = email(Content_Type="message/delivery-status")
    blocks = [email(Reporting_MTA="dns; mx.platform.example")]
    blocks += [email(**{name.replace("_", "-"): value for name, value in fields.items()}) for fields in recipients]
    status.set_payload(blocks)
    msg.attach(status)
    original = email(Message_ID="<notice-6@kominfo.example>", Subject="TKD/2017/000006 Final warning")
    original.set_content("Please remove the listed channels.")
    msg.add_attachment(original)
    msg.set_type("multipart/report")
    msg.set_param("report-type", "delivery-status")
    return msg


def test_platform_reply_threads_to_the_notice_and_names_its_reference():
    msg = reply(
        Subject="Re: TKD/2017/000006 Removal of radical content",
        In_Reply_To="<notice-6@kominfo.example>",
    )

    message = parse_message(bytes(msg))

    assert (message.kind, message.in_reply_to, message.referenced_message_ids, message.subject) == (
        Kind.MESSAGE,
        ["notice-6@kominfo.example"],
        ["notice-6@kominfo.example"],
        "Re: TKD/2017/000006 Removal of radical content",
    )
    assert (message.from_name, message.from_address, message.to) == (
        "Trust & Safety",
        "legal@platform.example",
        ["liaison@kominfo.example"],
    )
    assert message.date == datetime(2017, 7, 16, 9, 12, tzinfo=UTC)
    assert message.message_id == "answer-1@platform.example"


def test_reply_threaded_by_references_alone_refers_to_every_notice_once():
    msg = reply(
        Subject="Your request",
        References="<notice-1@kominfo.example> <notice-6@kominfo.example> <notice-1@kominfo.example>",
    )

    message = parse_message(bytes(msg))

    assert message.in_reply_to == []
    assert message.referenced_message_ids == ["notice-1@kominfo.example", "notice-6@kominfo.example"]


def test_html_only_reply_is_read_as_rough_text():
    msg = reply(Subject="Re: notice")
    msg.set_content(
        "<html><head><style>p {color: red}</style></head><body><p>Channels removed:</p>"
        "<ul><li>@radical_one</li><li>@radical_two</li></ul><p>Regards&nbsp;&amp; thanks</p></body></html>",
        subtype="html",
    )

    message = parse_message(bytes(msg))

    assert message.text == "Channels removed:\n\n@radical_one\n\n@radical_two\n\nRegards & thanks"


def test_successful_delivery_status_notification_is_a_delivery_report():
    msg = delivery_status_notification({"Final_Recipient": "rfc822; abuse@platform.example", "Action": "delivered"})

    message = parse_message(bytes(msg))

    assert (message.kind, message.why) == (
        Kind.DELIVERY_REPORT,
        "multipart/report; report-type=delivery-status, Action: delivered",
    )
    assert message.referenced_message_ids == ["notice-6@kominfo.example"]
    assert message.delivery_statuses[0].recipient == "abuse@platform.example"


def test_one_delayed_recipient_makes_a_delivery_status_notification_a_bounce():
    msg = delivery_status_notification(
        {"Final_Recipient": "rfc822; abuse@platform.example", "Action": "delivered", "Status": "2.0.0"},
        {"Final_Recipient": "rfc822; legal@platform.example", "Action": "delayed", "Status": "4.4.1 (timeout)"},
    )

    message = parse_message(bytes(msg))

    assert (message.kind, [s.status for s in message.delivery_statuses]) == (Kind.BOUNCE, ["2.0.0", "4.4.1"])


def test_returned_notice_reference_is_found_in_the_original_subject():
    msg = delivery_status_notification({"Final_Recipient": "rfc822; abuse@platform.example", "Action": "failed"})

    message = parse_message(bytes(msg))

    assert find_references(message, NOTICE_REFERENCE) == ["TKD/2017/000006"]


def test_find_references_reads_the_subject_first_then_the_body_once_each():
    msg = reply(
        body="About TKD/2017/000002 and TKD/2017/000006: removed. TKD/2017/000002 needs more detail.",
        Subject="Re: TKD/2017/000006",
    )

    message = parse_message(bytes(msg))

    assert find_references(message, NOTICE_REFERENCE) == ["TKD/2017/000006", "TKD/2017/000002"]


def test_find_references_returns_the_whole_match_even_when_the_pattern_has_groups():
    message = parse_message(bytes(reply(Subject="Re: TKD/2017/000006")))

    assert find_references(message, re.compile(r"TKD/(\d{4})/(\d{6})")) == ["TKD/2017/000006"]


def test_auto_submitted_no_is_a_persons_message():
    message = parse_message(bytes(reply(Subject="Re: notice", Auto_Submitted="no")))

    assert message.kind == Kind.MESSAGE


def test_indonesian_out_of_office_subject_is_an_auto_reply():
    message = parse_message(bytes(reply(Subject="Balasan otomatis: TKD/2017/000006")))

    assert (message.kind, message.why) == (Kind.AUTO_REPLY, "Subject: Balasan otomatis: TKD/2017/000006")


def test_bulk_precedence_alone_does_not_make_an_auto_reply():
    message = parse_message(bytes(reply(Subject="Transparency report 2017", Precedence="bulk")))

    assert message.kind == Kind.MESSAGE


def test_attachments_are_kept_with_their_name_but_no_path():
    msg = reply(Subject="Re: notice")
    msg.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="../../response.pdf")

    message = parse_message(bytes(msg))

    assert [(a.filename, a.content_type, a.payload) for a in message.attachments] == [
        ("response.pdf", "application/pdf", b"%PDF-1.4 ...")
    ]
    assert message.text == "We have reviewed the reported channels."


def test_undecodable_body_in_an_unknown_charset_is_read_with_replacements():
    raw = (
        b"From: legal@platform.example\r\nSubject: Re: notice\r\nDate: Sun, 16 Jul 2017 09:12:00 -0000\r\n"
        b"Content-Type: text/plain; charset=x-nonsense\r\n\r\nRemoved \xff\xfe all.\r\n"
    )

    message = parse_message(raw)

    assert message.text == "Removed \ufffd\ufffd all."
    assert "unknown charset 'x-nonsense', read as UTF-8" in message.defects
    assert message.date == datetime(2017, 7, 16, 9, 12, tzinfo=UTC)


def test_message_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(MessageTooLarge, match="message is 101 bytes, more than the limit of 100 bytes"):
        parse_message(b"x" * 101, max_bytes=100)


def test_message_at_the_size_limit_is_parsed():
    assert parse_message(b"Subject: hi\n\nhello", max_bytes=18).subject == "hi"


def test_garbage_never_raises_and_says_what_was_wrong():
    rng = random.Random(2017)
    hostile = [
        b"",
        b"\x00" * 64,
        b"Subject: =?x-unknown?B?////?=\nContent-Type: text/plain; charset=zlib\n\n\x00\xff",
        b"Content-Type: multipart/mixed; boundary=b0\n\n"
        + b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(3000)),
        b"Content-Type: multipart/report; report-type=delivery-status\n\n--\n",
        *(rng.randbytes(rng.randint(1, 4000)) for _ in range(50)),
    ]

    for raw in hostile:
        message = parse_message(raw)
        for text in [message.subject, message.text, message.from_name, *message.defects]:
            text.encode("utf-8")  # storable: no lone surrogates
            assert "\x00" not in text
    assert "MIME parts nested too deeply; only the headers were read" in parse_message(hostile[3]).defects


def test_truncated_and_mangled_real_samples_never_raise():
    rng = random.Random(716)
    for raw in real_samples():
        for cut in range(0, len(raw), max(1, len(raw) // 10)):
            parse_message(raw[:cut])
        for _ in range(10):
            mangled = bytearray(raw)
            for _ in range(10):
                position = rng.randrange(len(mangled))
                mangled[position : position + rng.randint(0, 3)] = rng.choice([b"\r", b"\n", b"=?", b"--", b"\xff"])
            parse_message(bytes(mangled))
