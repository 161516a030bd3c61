"""Validating the DNS names of a block order: what an ISP's resolver can load, and nothing it must not block.

A name is either exact (`web.telegram.org`) or a whole subtree (`*.telegram.org`). Names are lower-cased,
IDNs turned into punycode, duplicates merged. Underscores and labels that start or end with "-" occur in
real blocklists (and load in Unbound and BIND as RPZ owner names), so they are accepted; IP addresses, URLs,
paths, ports, misplaced wildcards and public suffixes (`com`, `co.id`, `id`) are refused.

The public-suffix check uses tldextract's bundled snapshot of the Public Suffix List (ICANN section only,
no network fetch and no cache on disk): a private suffix such as `blogspot.com` is one organisation's
domain, which a block order may name.
"""

import ipaddress
import re
from dataclasses import dataclass
from functools import cache

import tldextract
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError

LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")
MAX_NAMES_PER_ORDER = 100_000


@dataclass(frozen=True, order=True)
class BlockedName:
    name: str
    subtree: bool = False

    def __str__(self) -> str:
        return f"*.{self.name}" if self.subtree else self.name


@cache
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def is_public_suffix(name: str) -> bool:
    result = _extractor()(name)
    return bool(result.suffix) and not result.domain


def normalise_name(raw: str) -> BlockedName:
    """One name as an ISP would load it, or DomainError saying what is wrong with it."""
    text = raw.strip()
    if not text:
        raise DomainError(_("empty name"))
    if "://" in text or "/" in text:
        raise DomainError(_("%(name)s: a DNS name, not a URL or path") % {"name": raw})
    if text.startswith("[") or ":" in text:
        raise DomainError(_("%(name)s: no ports or IPv6 addresses") % {"name": raw})
    subtree = False
    if text.startswith("*."):
        subtree, text = True, text[2:]
    if "*" in text:
        raise DomainError(_("%(name)s: a wildcard may only stand as the first label (*.name)") % {"name": raw})
    text = text.rstrip(".").lower()
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise DomainError(_("%(name)s: an IP address cannot be blocked by DNS") % {"name": raw})
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise DomainError(_("%(name)s: not a valid internationalised name") % {"name": raw}) from None
    labels = text.split(".")
    if len(text) > 253 or any(not LABEL.match(label) for label in labels):
        raise DomainError(_("%(name)s: not a valid DNS name") % {"name": raw})
    if is_public_suffix(text):
        raise DomainError(_("%(name)s: a public suffix or top-level domain cannot be blocked") % {"name": raw})
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        raise DomainError(_("%(name)s: a single label or a number is not a blockable name") % {"name": raw})
    return BlockedName(text, subtree)


def parse_names(text_or_lines) -> list[BlockedName]:
    """Parse names (one a line, or comma/space separated), merging duplicates; errors name each bad line."""
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else list(text_or_lines)
    found: dict[BlockedName, None] = {}
    problems = []
    for number, line in enumerate(lines, start=1):
        for token in re.split(r"[\s,]+", line.split("#", 1)[0].strip()):
            if not token:
                continue
            try:
                found.setdefault(normalise_name(token), None)
            except DomainError as exc:
                problems.append(_("line %(number)s: %(problem)s") % {"number": number, "problem": exc.message})
    if problems:
        raise DomainError(problems[0], fields={"names": problems[:50]})
    if not found:
        raise DomainError(_("name at least one DNS name"), fields={"names": [_("name at least one DNS name")]})
    if len(found) > MAX_NAMES_PER_ORDER:
        raise DomainError(_("too many names for one order"), fields={"names": [_("too many names for one order")]})
    return sorted(found)
