"""Canonical forms of flagged items: what an analyst entered, as the one string the tracker stores.

The same Telegram channel arrives as ``telegram.me/s/Name/``, ``https://t.me/name?single`` or ``@name``;
the same page with and without ``utm_source``. `canonicalise` applies the generic URL rules to every entry,
then the rules of the platform whose registry host matched, and returns a `CanonicalItem` or raises
`InvalidItem` with a sentence the analyst can act on. Pure Python and cached per host, because the bulk
importer runs it over a hundred thousand URLs at a time.
"""

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import idna

MAX_LENGTH = 2048
RULES = ("generic", "telegram", "x", "youtube", "facebook", "instagram", "tiktok", "whatsapp")
KINDS = ("channel", "group", "account", "post", "bot", "web_page", "domain")


class InvalidItem(ValueError):
    """What the analyst entered cannot be an item.

    `message` is a sentence a person can act on, naming what is wrong; `code` is short and machine-readable.
    """

    def __init__(self, message: str, code: str):
        # Both in args, so the exception survives pickling (Celery results, multiprocessing imports).
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CanonicalItem:
    canonical: str  # the unique stored form: ASCII only, at most MAX_LENGTH characters
    display: str  # the same for people: Unicode host, percent-decoded path where safe
    kind: str  # one of KINDS
    host: str  # canonical ASCII host of the content ("t.me" for any Telegram alias)
    registry_host: str | None  # the key of `hosts` that matched; None if none did or a handle was given


def _names(text: str) -> frozenset[str]:
    """Whitespace-separated names, so that long lists of them read as a paragraph."""
    return frozenset(text.split())


# --- characters ---------------------------------------------------------------------------------------

# Whitespace, C0/C1 controls, lone surrogates and the invisible format characters that can make a
# displayed address read differently from what it is (bidi overrides, zero-width space, BOM). ZWNJ and
# ZWJ (U+200C/D) are allowed: some scripts need them in domain names.
_REFUSED_CHARACTER = re.compile(
    "[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200b\u200e\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f"
    "\u3000\ufeff\ud800-\udfff]"
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Everything RFC 3986 does not allow literally in a path (or query) gets encoded; "%" is checked too.
_PATH_FIX = re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
_QUERY_FIX = re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")


def _percent_table() -> dict[str, str]:
    table = {"%": "%25"}
    for byte in range(256):
        char = chr(byte)
        upper = f"%{byte:02X}"
        replacement = char if char in _UNRESERVED else upper
        for high in {f"{byte >> 4:X}", f"{byte >> 4:x}"}:
            for low in {f"{byte & 15:X}", f"{byte & 15:x}"}:
                table[f"%{high}{low}"] = replacement
    return table


_PERCENT = _percent_table()


def _fix_percent(match: re.Match) -> str:
    text = match.group()
    replacement = _PERCENT.get(text)
    if replacement is not None:
        return replacement
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8"))


def _normalise_percent(text: str, pattern: re.Pattern = _PATH_FIX) -> str:
    return pattern.sub(_fix_percent, text)


_ENCODED_NON_ASCII = re.compile(r"(?:%[89A-F][0-9A-F])+")


def _decode_for_display(match: re.Match) -> str:
    run = match.group()
    try:
        decoded = bytes.fromhex(run.replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        return run
    # Invisible or spacing characters stay encoded, so what people read is what the address is.
    return "".join(char if unicodedata.category(char)[0] in "LMNPS" else _normalise_percent(char) for char in decoded)


def _display_text(text: str) -> str:
    return _ENCODED_NON_ASCII.sub(_decode_for_display, text) if "%" in text else text


# --- hosts --------------------------------------------------------------------------------------------

_ASCII_HOST = re.compile(r"[a-z0-9_.\-]+")
_HOST_CHARACTER = re.compile(r"[^a-z0-9_.\-]")


def _ipv4_number(part: str) -> int | None:
    """A part of a host as browsers read IPv4 numbers (WHATWG URL): 0x hex, leading-0 octal, decimal."""
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _ipv4_address(labels: list[str]) -> str | None:
    if len(labels) > 4:
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if None in numbers or any(number > 255 for number in numbers[:-1]):
        return None
    last = numbers[-1]
    if last >= 256 ** (5 - len(labels)):
        return None
    value = last
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return str(ipaddress.IPv4Address(value))


def _invalid_host(host: str, why: str) -> InvalidItem:
    return InvalidItem(f'The host "{host}" is not a valid domain name: {why}.', "invalid_host")


def _ip_address_host(host: str, address: str) -> InvalidItem:
    shown = f'"{host}"' if host == address else f'"{host}" (the address {address})'
    return InvalidItem(
        f"The host {shown} is an IP address; enter the domain name the content is published under.",
        "ip_address_host",
    )


def _ascii_label(label: str, host: str) -> str:
    if label.isascii():
        return label
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    # Names registered under IDNA 2003 (some with symbols IDNA 2008 forbids) still resolve and appear
    # on blocklists; Python's own codec still encodes them.
    try:
        return label.encode("idna").decode("ascii")
    except UnicodeError:
        raise _invalid_host(host, f'the label "{label}" cannot be written as an international domain name') from None


@lru_cache(maxsize=1 << 16)
def normalise_host(host: str) -> str:
    """The host lower-cased, IDN labels as punycode, without a trailing dot. Raises InvalidItem on a bad or IP host."""
    entered = host
    if "%" in host:
        try:
            host = _percent_decode(host)
        except UnicodeDecodeError:
            raise _invalid_host(entered, "its percent-encoding is not UTF-8") from None
    if host.startswith("[") or host.count(":") >= 2:
        try:
            address = ipaddress.IPv6Address(host.strip("[]").split("%")[0])
        except ValueError:
            raise _invalid_host(entered, "it looks like an IPv6 address but is not one") from None
        raise _ip_address_host(entered, str(address))
    if host.isascii():
        host = host.lower()
    else:
        try:
            mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
        except idna.IDNAError as exc:
            raise _invalid_host(entered, f"it contains a character domain names cannot have ({exc})") from None
        host = ".".join(_ascii_label(label, entered) for label in mapped.split("."))
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise InvalidItem(
            "The address has no host name; enter it as it appears, e.g. https://example.com/page.", "invalid_host"
        )
    labels = host.split(".")
    last = labels[-1]
    if last.isdigit() or (last[:2] == "0x" and _ipv4_number(last) is not None):
        address = _ipv4_address(labels)
        if address is not None:
            raise _ip_address_host(entered, address)
        raise _invalid_host(entered, "its last label is a number, and top-level domains are never numbers")
    if not _ASCII_HOST.fullmatch(host):
        bad = _HOST_CHARACTER.search(host).group()
        raise _invalid_host(entered, f'it contains "{bad}", and names have only letters, digits, "-" and "_"')
    if len(labels) < 2:
        raise _invalid_host(entered, "it needs at least two labels, like example.com")
    if "" in labels:
        raise _invalid_host(entered, "it has an empty label (two dots in a row, or a leading dot)")
    if len(host) > 253:
        raise _invalid_host(entered, f"it is {len(host)} characters long and the limit is 253")
    for label in labels:
        if len(label) > 63:
            raise _invalid_host(entered, f'the label "{label[:20]}…" is {len(label)} characters and the limit is 63')
    return host


def _percent_decode(text: str) -> str:
    return re.sub(r"(?:%[0-9A-Fa-f]{2})+", lambda m: bytes.fromhex(m.group().replace("%", "")).decode("utf-8"), text)


@lru_cache(maxsize=1 << 16)
def host_for_display(host: str) -> str:
    """The host with punycode labels shown as Unicode; labels that cannot be decoded safely stay ASCII."""
    if "xn--" not in host.lower():
        return host
    shown = []
    for label in host.split("."):
        if label.lower().startswith("xn--"):
            label = _unicode_label(label)
        shown.append(label)
    return ".".join(shown)


def _unicode_label(label: str) -> str:
    try:
        return idna.ulabel(label.lower())
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        decoded = label[4:].lower().encode("ascii").decode("punycode")
    except UnicodeError:
        return label
    if all(unicodedata.category(char)[0] in "LMNPS" for char in decoded):
        return decoded
    return label


def _registry_match(host: str, hosts: Mapping[str, str]) -> tuple[str | None, str]:
    """The nearest listed host (itself or a parent, on label boundaries) and its rules key."""
    candidate = host
    while True:
        rules = hosts.get(candidate)
        if rules is not None:
            return candidate, rules
        dot = candidate.find(".")
        if dot < 0:
            return None, "generic"
        candidate = candidate[dot + 1 :]


# --- paths and queries --------------------------------------------------------------------------------


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _normalise_path(path: str) -> str:
    if not path:
        return "/"
    path = _normalise_percent(path)
    if "." in path:
        path = _remove_dot_segments(path)
    return path


# Parameters that only say how someone arrived at a page; the page is the same without them.
TRACKING_PARAMETERS = _names(
    """
    fbclid gclid gclsrc gad_source dclid gbraid wbraid msclkid mc_cid mc_eid igshid igsh yclid twclid ttclid
    li_fat_id srsltid _ga _gl _hsenc _hsmi __hstc __hssc __hsfp mkt_tok oly_anon_id oly_enc_id vero_id vero_conv
    _openstat rb_clickid wickedid epik sccid irclickid _branch_match_id
    """
)

Parameters = list[tuple[str, str]]  # (name, "name=value" as normalised), sorted by name


def _normalise_query(query: str, also_drop: frozenset[str] = frozenset()) -> Parameters:
    if not query:
        return []
    kept = []
    for part in _normalise_percent(query, _QUERY_FIX).split("&"):
        if not part:
            continue
        name = part.split("=", 1)[0]
        lowered = name.lower()
        if lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS or lowered in also_drop:
            continue
        kept.append((name, part))
    kept.sort(key=itemgetter(0))
    return kept


def _query_string(parameters: Parameters) -> str:
    return "?" + "&".join(part for _, part in parameters) if parameters else ""


def _value(parameters: Parameters, name: str) -> str | None:
    for key, part in parameters:
        if key == name:
            return part[len(name) + 1 :]
    return None


# --- platform rules -----------------------------------------------------------------------------------


class _Match(NamedTuple):
    """What a platform's rules made of a URL: the path and query on the platform's canonical host."""

    host: str
    rest: str
    kind: str


PlatformRule = Callable[[str, list[str], Parameters], _Match | None]

_TELEGRAM_USERNAME = re.compile(r"[A-Za-z0-9_]{4,32}")
_TELEGRAM_INVITE = re.compile(r"[A-Za-z0-9_\-]+")
_TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog", "www.telegram.dog"})
# Paths on t.me that are Telegram's own features, not usernames.
_TELEGRAM_RESERVED = _names(
    """
    joinchat addstickers addemoji addtheme addlist share proxy socks setlanguage login invoice confirmphone contact
    boost giftcode iv bg m
    """
)


def _telegram_username(name: str) -> _Match:
    if not _TELEGRAM_USERNAME.fullmatch(name):
        raise InvalidItem(
            f'"{name}" is not a valid Telegram username: usernames are 4 to 32 letters, digits or underscores.',
            "invalid_handle",
        )
    name = name.lower()
    return _Match("t.me", f"/{name}", "bot" if name.endswith("bot") else "channel")


def _telegram_invite(code: str) -> _Match | None:
    if not _TELEGRAM_INVITE.fullmatch(code):
        return None
    # t.me/+<digits> opens a chat with a phone number; an invite hash always has letters.
    return _Match("t.me", f"/+{code}", "account" if code.isdigit() else "group")


def _telegram(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    if host not in _TELEGRAM_HOSTS or not segments:
        return None
    if segments[0] == "s" and len(segments) > 1:
        segments = segments[1:]
    first, count = segments[0], len(segments)
    if first == "joinchat" and count == 2:
        return _telegram_invite(segments[1])
    if first.startswith(("+", "%2B")) and count == 1:
        return _telegram_invite(first.removeprefix("+").removeprefix("%2B"))
    if first == "c" and 2 <= count <= 4 and all(segment.isdigit() for segment in segments[1:]):
        return _Match("t.me", "/" + "/".join(segments), "channel" if count == 2 else "post")
    if count > 3 or not all(segment.isdigit() for segment in segments[1:]):
        return None
    if first.lower() in _TELEGRAM_RESERVED or "." in first:
        return None
    channel = _telegram_username(first)
    if count == 1:
        return channel
    # A post's number, or a forum topic's number and then the post's.
    return _Match("t.me", channel.rest + "/" + "/".join(segments[1:]), "post")


def _telegram_app_link(rest: str) -> CanonicalItem:
    """tg:// links (the Telegram app's own scheme) as the t.me address they open."""
    action, _, query = rest.lstrip("/").partition("?")
    query = query.partition("#")[0]
    action = action.rstrip("/").lower()
    parameters = _normalise_query(query)
    match = None
    if action == "resolve":
        domain = _value(parameters, "domain")
        if not domain:
            raise InvalidItem('The Telegram link has no "domain=" naming the channel.', "invalid_handle")
        match = _telegram_username(domain)
        post = _value(parameters, "post")
        if post and post.isdigit():
            match = _Match("t.me", f"{match.rest}/{post}", "post")
    elif action == "join":
        match = _telegram_invite(_value(parameters, "invite") or "")
    elif action == "privatepost":
        channel, post = _value(parameters, "channel"), _value(parameters, "post")
        if channel and post and channel.isdigit() and post.isdigit():
            match = _Match("t.me", f"/c/{channel}/{post}", "post")
    if match is None:
        raise InvalidItem(
            f'The Telegram app link "tg://{action}" does not name a channel, group or post; '
            "copy the t.me link from Telegram instead.",
            "unsupported_link",
        )
    return _item(match, registry_host=None)


_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_X_HOSTS = frozenset(
    {"x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com"}
)
_X_RESERVED = _names(
    """
    home explore search i hashtag settings notifications messages login logout signup tos privacy compose intent
    share account oauth download jobs
    """
)
_X_PROFILE_TABS = frozenset({"with_replies", "media", "likes", "highlights", "articles"})


def _x(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    if host not in _X_HOSTS or not segments:
        return None
    first, count = segments[0], len(segments)
    if first == "i":
        # /i/web/status/<id> and /i/status/<id> name a post without its author.
        tail = segments[2:] if segments[1:2] == ["web"] else segments[1:]
        if len(tail) >= 2 and tail[0] == "status" and tail[1].isdigit():
            return _Match("x.com", f"/i/status/{tail[1]}", "post")
        return None
    if first.lower() in _X_RESERVED or not _X_HANDLE.fullmatch(first):
        return None
    handle = first.lower()
    if count == 1 or (count == 2 and segments[1] in _X_PROFILE_TABS):
        return _Match("x.com", f"/{handle}", "account")
    if count >= 3 and segments[1] in ("status", "statuses") and segments[2].isdigit():
        return _Match("x.com", f"/{handle}/status/{segments[2]}", "post")
    return None


_YOUTUBE_VIDEO = re.compile(r"[A-Za-z0-9_\-]{11}")
_YOUTUBE_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_\-]{22}")
_YOUTUBE_HANDLE = re.compile(r"[\w.\-·]{3,30}")
_YOUTUBE_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_YOUTUBE_HOSTS = _names(
    """
    youtube.com www.youtube.com m.youtube.com music.youtube.com youtube-nocookie.com www.youtube-nocookie.com
    """
)
_YOUTUBE_CHANNEL_TABS = frozenset(
    {"featured", "videos", "shorts", "streams", "live", "playlists", "community", "about", "podcasts", "releases"}
)


def _youtube_video(video: str | None) -> _Match | None:
    if video is None or not _YOUTUBE_VIDEO.fullmatch(video):
        return None
    return _Match("www.youtube.com", f"/watch?v={video}", "post")


def _youtube_handle(handle: str) -> _Match | None:
    decoded = _percent_decode_lenient(handle)
    if decoded is None or not _YOUTUBE_HANDLE.fullmatch(decoded):
        return None
    return _Match("www.youtube.com", "/@" + _normalise_percent(decoded.lower()), "channel")


def _youtube(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    count = len(segments)
    if host in ("youtu.be", "www.youtu.be"):
        return _youtube_video(segments[0]) if count == 1 else None
    if host not in _YOUTUBE_HOSTS or not segments:
        return None
    first = segments[0]
    if first == "watch" and count == 1:
        return _youtube_video(_value(parameters, "v"))
    if first in ("shorts", "embed", "live", "v", "e") and count == 2:
        return _youtube_video(segments[1])
    tab = count == 1 or (count == 2 and segments[1] in _YOUTUBE_CHANNEL_TABS)
    if first.startswith("@") and tab:
        return _youtube_handle(first[1:])
    channel_tab = count == 2 or (count == 3 and segments[2] in _YOUTUBE_CHANNEL_TABS)
    if first == "channel" and channel_tab and _YOUTUBE_CHANNEL_ID.fullmatch(segments[1]):
        return _Match("www.youtube.com", f"/channel/{segments[1]}", "channel")
    # Legacy custom and user names are case-insensitive on YouTube, like handles.
    if first in ("c", "user") and channel_tab and _YOUTUBE_NAME.fullmatch(segments[1]):
        return _Match("www.youtube.com", f"/{first}/{segments[1].lower()}", "channel")
    return None


def _percent_decode_lenient(text: str) -> str | None:
    try:
        return _percent_decode(text) if "%" in text else text
    except UnicodeDecodeError:
        return None


_FACEBOOK_HOSTS = _names(
    """
    facebook.com www.facebook.com m.facebook.com mbasic.facebook.com web.facebook.com touch.facebook.com
    mobile.facebook.com fb.com www.fb.com fb.me
    """
)
_FACEBOOK_NAME = re.compile(r"[A-Za-z0-9.\-]+")
_FACEBOOK_GROUP = re.compile(r"[A-Za-z0-9._\-]+")
_FACEBOOK_POST_ID = re.compile(r"[A-Za-z0-9]+")
_FACEBOOK_RESERVED = _names(
    """
    home.php watch groups events marketplace gaming login pages help policies privacy settings notifications
    messages friends photo photos sharer share dialog plugins hashtag search stories reel reels business ads people
    story permalink profile video videos live recover checkpoint legal about
    """
)
_FACEBOOK_TRACKING = frozenset(
    {"__tn__", "__xts__", "mibextid", "_rdr", "rdid", "sfnsn", "refsrc", "ref", "hc_ref", "paipv", "eav"}
)


def _facebook(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    if host not in _FACEBOOK_HOSTS or not segments:
        return None
    first, count = segments[0], len(segments)
    if count == 1 and first == "profile.php":
        profile = _value(parameters, "id") or ""
        return _Match("www.facebook.com", f"/profile.php?id={profile}", "account") if profile.isdigit() else None
    if count == 1 and first in ("permalink.php", "story.php"):
        story, page = _value(parameters, "story_fbid") or "", _value(parameters, "id") or ""
        if _FACEBOOK_POST_ID.fullmatch(story) and page.isdigit():
            return _Match("www.facebook.com", f"/permalink.php?id={page}&story_fbid={story}", "post")
        return None
    if count == 1 and first == "watch":
        video = _value(parameters, "v") or ""
        return _Match("www.facebook.com", f"/watch?v={video}", "post") if video.isdigit() else None
    if first == "groups" and count >= 2 and _FACEBOOK_GROUP.fullmatch(segments[1]):
        group = segments[1].lower()
        if count == 2:
            return _Match("www.facebook.com", f"/groups/{group}", "group")
        if count == 4 and segments[2] in ("posts", "permalink") and _FACEBOOK_POST_ID.fullmatch(segments[3]):
            return _Match("www.facebook.com", f"/groups/{group}/posts/{segments[3]}", "post")
        return None
    if first == "reel" and count == 2 and segments[1].isdigit():
        return _Match("www.facebook.com", f"/reel/{segments[1]}", "post")
    if first == "people" and count == 3 and segments[2].isdigit():
        return _Match("www.facebook.com", f"/profile.php?id={segments[2]}", "account")
    if first.lower() in _FACEBOOK_RESERVED or first.endswith(".php") or not _FACEBOOK_NAME.fullmatch(first):
        return None
    page = first.lower()
    if count == 1:
        return _Match("www.facebook.com", f"/{page}", "account")
    if count == 3 and segments[1] in ("posts", "videos") and _FACEBOOK_POST_ID.fullmatch(segments[2]):
        return _Match("www.facebook.com", f"/{page}/{segments[1]}/{segments[2]}", "post")
    return None


_INSTAGRAM_HOSTS = frozenset({"instagram.com", "www.instagram.com", "m.instagram.com"})
_INSTAGRAM_NAME = re.compile(r"[A-Za-z0-9._]{1,30}")
_INSTAGRAM_CODE = re.compile(r"[A-Za-z0-9_\-]+")
_INSTAGRAM_POSTS = {"p": "p", "reel": "reel", "reels": "reel", "tv": "tv"}
_INSTAGRAM_RESERVED = frozenset(
    {"p", "reel", "reels", "tv", "explore", "accounts", "stories", "direct", "about", "developer", "legal", "web"}
)


def _instagram(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    if host not in _INSTAGRAM_HOSTS or not segments:
        return None
    first, count = segments[0], len(segments)
    # /p/<code>, and /<name>/p/<code> as Instagram now links posts from a profile.
    post = segments[1:] if count >= 3 and segments[1] in _INSTAGRAM_POSTS else segments
    if post[0] in _INSTAGRAM_POSTS and len(post) in (2, 3) and _INSTAGRAM_CODE.fullmatch(post[1]):
        return _Match("www.instagram.com", f"/{_INSTAGRAM_POSTS[post[0]]}/{post[1]}", "post")
    if count == 1 and first.lower() not in _INSTAGRAM_RESERVED and _INSTAGRAM_NAME.fullmatch(first):
        return _Match("www.instagram.com", f"/{first.lower()}", "account")
    return None


_TIKTOK_HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"})
_TIKTOK_NAME = re.compile(r"[A-Za-z0-9._]{2,24}")
_TIKTOK_TRACKING = frozenset(
    {"is_from_webapp", "sender_device", "sender_web_id", "is_copy_url", "_t", "_r", "_d", "share_app_id"}
)


def _tiktok(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    if host not in _TIKTOK_HOSTS or not segments or not segments[0].startswith("@"):
        return None
    name, count = segments[0][1:], len(segments)
    if not _TIKTOK_NAME.fullmatch(name):
        return None
    name = name.lower()
    if count == 1:
        return _Match("www.tiktok.com", f"/@{name}", "account")
    if count == 3 and segments[1] in ("video", "photo") and segments[2].isdigit():
        return _Match("www.tiktok.com", f"/@{name}/{segments[1]}/{segments[2]}", "post")
    return None


_WHATSAPP_INVITE = re.compile(r"[A-Za-z0-9]+")
_WHATSAPP_PHONE = re.compile(r"[0-9]{5,15}")
_WHATSAPP_SEND_HOSTS = frozenset({"api.whatsapp.com", "web.whatsapp.com", "whatsapp.com", "www.whatsapp.com"})


def _whatsapp_phone(phone: str | None) -> _Match | None:
    digits = (phone or "").removeprefix("%2B").removeprefix("+")
    return _Match("wa.me", f"/{digits}", "account") if _WHATSAPP_PHONE.fullmatch(digits) else None


def _whatsapp(host: str, segments: list[str], parameters: Parameters) -> _Match | None:
    count = len(segments)
    if host == "chat.whatsapp.com":
        code = segments[-1] if count == 1 or (count == 2 and segments[0] == "invite") else ""
        return _Match("chat.whatsapp.com", f"/{code}", "group") if _WHATSAPP_INVITE.fullmatch(code) else None
    if host in ("wa.me", "www.wa.me"):
        return _whatsapp_phone(segments[0]) if count == 1 else None
    if host in _WHATSAPP_SEND_HOSTS and segments == ["send"]:
        return _whatsapp_phone(_value(parameters, "phone"))
    is_channel = host in ("whatsapp.com", "www.whatsapp.com") and count == 2 and segments[0] == "channel"
    if is_channel and _WHATSAPP_INVITE.fullmatch(segments[1]):
        return _Match("whatsapp.com", f"/channel/{segments[1]}", "channel")
    return None


@dataclass(frozen=True)
class _Platform:
    rule: PlatformRule
    aliases: Mapping[str, str]  # alias host -> canonical host, for the platform's other web pages
    also_drop: frozenset[str] = frozenset()


def _aliases(hosts: frozenset[str], canonical: str) -> dict[str, str]:
    return dict.fromkeys(hosts, canonical)


_PLATFORMS: dict[str, _Platform] = {
    "telegram": _Platform(_telegram, _aliases(_TELEGRAM_HOSTS, "t.me")),
    "x": _Platform(_x, _aliases(_X_HOSTS, "x.com"), frozenset({"s", "t", "ref_src", "ref_url"})),
    "youtube": _Platform(_youtube, _aliases(_YOUTUBE_HOSTS, "www.youtube.com"), frozenset({"si", "feature", "pp"})),
    "facebook": _Platform(_facebook, _aliases(_FACEBOOK_HOSTS, "www.facebook.com"), _FACEBOOK_TRACKING),
    "instagram": _Platform(_instagram, _aliases(_INSTAGRAM_HOSTS, "www.instagram.com"), frozenset({"img_index"})),
    "tiktok": _Platform(_tiktok, _aliases(_TIKTOK_HOSTS, "www.tiktok.com"), _TIKTOK_TRACKING),
    "whatsapp": _Platform(_whatsapp, {}),
}


# --- handles ------------------------------------------------------------------------------------------

_PLATFORM_NAMES = {
    "telegram": "Telegram",
    "x": "X",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "whatsapp": "WhatsApp",
}
_HANDLES: dict[str, tuple[re.Pattern, str, str, str, str]] = {
    # rules: (pattern, host, path prefix, kind, what valid names are)
    "x": (_X_HANDLE, "x.com", "/", "account", "1 to 15 letters, digits or underscores"),
    "youtube": (_YOUTUBE_HANDLE, "www.youtube.com", "/@", "channel", "3 to 30 letters, digits, '.', '-' or '_'"),
    "facebook": (
        re.compile(r"[A-Za-z0-9.]{5,50}"),
        "www.facebook.com",
        "/",
        "account",
        "5 or more letters, digits or dots",
    ),
    "instagram": (_INSTAGRAM_NAME, "www.instagram.com", "/", "account", "1 to 30 letters, digits, '.' or '_'"),
    "tiktok": (_TIKTOK_NAME, "www.tiktok.com", "/@", "account", "2 to 24 letters, digits, '.' or '_'"),
}


def _handle(name: str, handle_rules: str | None) -> CanonicalItem:
    if handle_rules is None or handle_rules == "generic":
        raise InvalidItem(
            f'"@{name}" is a handle; choose the platform it belongs to, or enter the full link.',
            "handle_needs_platform",
        )
    if handle_rules == "telegram":
        return _item(_telegram_username(name), registry_host=None)
    if handle_rules not in _HANDLES:
        raise InvalidItem(
            f"{_PLATFORM_NAMES[handle_rules]} has no @handles; enter the link to the chat, group or channel.",
            "handle_not_supported",
        )
    pattern, host, prefix, kind, valid = _HANDLES[handle_rules]
    if not pattern.fullmatch(name):
        raise InvalidItem(
            f'"{name}" is not a valid {_PLATFORM_NAMES[handle_rules]} handle: handles are {valid}.', "invalid_handle"
        )
    return _item(_Match(host, prefix + _normalise_percent(name.lower()), kind), registry_host=None)


# --- the whole ----------------------------------------------------------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_KNOWN_SCHEMES = _names(
    """
    javascript data file vbscript mailto ftp ftps sftp ws wss about blob chrome intent tel sms magnet irc ssh news
    telnet whatsapp fb twitter
    """
)
_AUTHORITY_END = re.compile(r"[/\\?#]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _too_long(length: int, what: str) -> InvalidItem:
    return InvalidItem(f"The {what} is {length} characters long; the limit is {MAX_LENGTH}.", "too_long")


def _item(match: _Match, *, registry_host: str | None, scheme: str = "https", port: str = "") -> CanonicalItem:
    canonical = f"{scheme}://{match.host}{port}{match.rest}"
    if len(canonical) > MAX_LENGTH:
        raise _too_long(len(canonical), "address, once encoded,")
    display = f"{scheme}://{host_for_display(match.host)}{port}{_display_text(match.rest)}"
    return CanonicalItem(canonical, display, match.kind, match.host, registry_host)


def _refuse_characters(text: str) -> None:
    found = _REFUSED_CHARACTER.search(text)
    if found is None:
        return
    char, position = found.group(), found.start() + 1
    if char.isspace():
        raise InvalidItem(
            f"The entry has a space or line break inside it (at character {position}); "
            "a web address cannot contain spaces: remove it, or write it as %20.",
            "space_inside",
        )
    raise InvalidItem(
        f"The entry contains an invisible control character (U+{ord(char):04X}, at character {position}); "
        "paste the address again without it.",
        "control_character",
    )


def canonicalise(entered: str, *, hosts: Mapping[str, str], handle_rules: str | None = None) -> CanonicalItem:
    """The canonical form of a URL, bare domain or @handle, or InvalidItem saying why it cannot be an item.

    `hosts` maps registry hosts to keys of RULES; `handle_rules` is the RULES key for a bare @handle.
    A key outside RULES is a programming error and raises ValueError.
    """
    if handle_rules is not None and handle_rules not in RULES:
        raise ValueError(f"unknown handle rules {handle_rules!r}; expected one of {RULES}")
    text = entered.strip()
    if not text:
        raise InvalidItem("Nothing was entered; paste the address of the content.", "empty")
    if len(text) > MAX_LENGTH:
        raise _too_long(len(text), "entry")
    _refuse_characters(text)

    if text[0] == "@":
        return _handle(text[1:], handle_rules)

    scheme = None
    rest = text
    found = _SCHEME.match(text)
    if found is not None:
        named = found.group(1).lower()
        after = text[found.end() :]
        if named in ("http", "https"):
            scheme, rest = named, after.lstrip("/\\")
        elif named == "tg":
            return _telegram_app_link(after)
        # "example.com:8080/page" reads like a scheme "example.com"; schemes with dots are rare and then
        # followed by "//", so a dotted name without it is a host and a port.
        elif named in _KNOWN_SCHEMES or "." not in named or after.startswith("//"):
            raise InvalidItem(
                f'Addresses starting with "{named}:" cannot be items; enter an http or https web address.',
                "scheme_not_allowed",
            )
    if scheme is None and rest.startswith(("//", "\\\\")):
        scheme, rest = "https", rest.lstrip("/\\")
    bare = scheme is None
    scheme = scheme or "https"

    end = _AUTHORITY_END.search(rest)
    authority, after_authority = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    tail, _, fragment = after_authority.partition("#")
    path, _, query = tail.partition("?")
    if "\\" in path:
        # Browsers read a backslash in an http(s) path as a slash, so the two are the same address.
        path = path.replace("\\", "/")

    _userinfo, at, authority = authority.rpartition("@")
    if at and bare and not after_authority:
        raise InvalidItem(
            f'"{text}" is an email address, not a web address; enter the address of the content.', "email_address"
        )
    port = ""
    if authority.startswith("[") and "]" in authority:
        authority, _, port = authority.partition("]")
        authority += "]"
        port = port.removeprefix(":")
    elif authority.count(":") == 1:
        authority, _, port = authority.partition(":")
    if port:
        if not (port.isascii() and port.isdigit()) or not 0 < int(port) <= 65535:
            raise InvalidItem(f'The port "{port}" is not a number from 1 to 65535.', "invalid_port")
        port = "" if int(port) == _DEFAULT_PORTS[scheme] else f":{int(port)}"
    host = normalise_host(authority)
    registry_host, rules = _registry_match(host, hosts)

    if bare and not after_authority and not port:
        return CanonicalItem(host, host_for_display(host), "domain", host, registry_host)

    path = _normalise_path(path)
    platform = None
    if rules != "generic":
        try:
            platform = _PLATFORMS[rules]
        except KeyError:
            raise ValueError(f"unknown rules {rules!r} for registry host {registry_host!r}") from None
    also_drop = platform.also_drop if platform else frozenset()
    parameters = _normalise_query(query, also_drop)

    if platform is not None and not port:
        if rules == "x" and fragment.startswith("!/") and path == "/":
            # Twitter's old "hashbang" addresses: twitter.com/#!/name/status/1
            path, _, old_query = fragment[1:].partition("?")
            path = _normalise_path(path)
            parameters = _normalise_query(old_query, also_drop)
        trimmed = path.strip("/")
        match = platform.rule(host, trimmed.split("/") if trimmed else [], parameters)
        if match is not None:
            return _item(match, registry_host=registry_host)
        canonical_host = platform.aliases.get(host)
        if canonical_host is not None:
            page = _Match(canonical_host, path + _query_string(parameters), "web_page")
            return _item(page, registry_host=registry_host)
    return _item(
        _Match(host, path + _query_string(parameters), "web_page"),
        registry_host=registry_host,
        scheme=scheme,
        port=port,
    )
