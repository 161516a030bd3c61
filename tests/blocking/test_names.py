"""Which DNS names a block order accepts (pure logic: no database)."""

import pytest

from tracker.core.dns_names import BlockedName, normalise_name, parse_names
from tracker.core.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Web.Telegram.ORG.", BlockedName("web.telegram.org")),
        ("*.telegram.org", BlockedName("telegram.org", subtree=True)),
        ("bücher.de", BlockedName("xn--bcher-kva.de")),
        ("free_proxy.example.com", BlockedName("free_proxy.example.com")),  # real lists have "_"
        ("judi-.example.net", BlockedName("judi-.example.net")),  # and labels ending in "-"
        ("blogspot.com", BlockedName("blogspot.com")),  # a private suffix is one organisation's name
    ],
)
def test_accepted_names_are_normalised(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("com", "public suffix"),
        ("co.id", "public suffix"),
        ("*.id", "public suffix"),
        ("192.0.2.1", "IP address"),
        ("2001:db8::1", "ports or IPv6"),
        ("example.com:8080", "ports"),
        ("https://t.me/channel", "not a URL"),
        ("t.me/channel", "not a URL"),
        ("web.*.telegram.org", "wildcard"),
        ("telegram.*", "wildcard"),
        ("localhost", "single label"),
        ("bad label.example.com", "not a valid DNS name"),
        ("a" * 64 + ".example.com", "not a valid DNS name"),
    ],
)
def test_refused_names_say_why(raw, problem):
    with pytest.raises(DomainError, match=problem):
        normalise_name(raw)


def test_duplicates_merge_and_every_bad_line_is_named():
    assert parse_names("t.me\nT.ME.\n# comment\n*.t.me, telegram.org") == [
        BlockedName("t.me"),
        BlockedName("t.me", subtree=True),
        BlockedName("telegram.org"),
    ]
    with pytest.raises(DomainError) as error:
        parse_names("t.me\ncom\n1.2.3.4")
    assert error.value.fields["names"][0].startswith("line 2: com")
    assert error.value.fields["names"][1].startswith("line 3: 1.2.3.4")
