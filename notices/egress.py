"""Fetching a platform's public page through the ministry's egress proxy, with every limit a re-check needs.

Only ever through the configured forward proxy (settings.RECHECK_PROXY_URL), never directly; only from a
worker, never from the web process. Connect and read timeouts, a deadline for the whole fetch, a cap on the
body's size and on redirects; the body is bytes to hash and match, never rendered or run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

REDIRECTS = (301, 302, 303, 307, 308)
# Headers kept with a check: what a reader of the evidence needs, not cookies.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "date",
    "server",
    "location",
    "last-modified",
    "etag",
    "cache-control",
    "x-frame-options",
)


class NotConfigured(Exception):
    """No egress proxy is configured: no check may be made."""


@dataclass
class Fetched:
    """What one fetch found: a final answer (status, body) or why there is none (`problem`)."""

    url: str
    final_url: str = ""
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: int = 0
    problem: str = ""

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest() if self.status_code is not None and not self.problem else ""


def proxy_manager() -> urllib3.ProxyManager:
    proxy = settings.RECHECK_PROXY_URL
    if not proxy:
        raise NotConfigured
    return urllib3.ProxyManager(
        proxy,
        num_pools=4,
        headers={"User-Agent": settings.RECHECK_USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
        retries=False,
    )


def fetch(url: str, *, manager: urllib3.ProxyManager | None = None) -> Fetched:
    """GET `url` through the proxy, following at most RECHECK_MAX_REDIRECTS redirects. Raises NotConfigured."""
    own_manager = manager is None
    manager = manager or proxy_manager()
    result = Fetched(url=url, final_url=url)
    started = time.monotonic()
    deadline = started + settings.RECHECK_TOTAL_SECONDS
    seen = set()
    current = url
    try:
        for _hop in range(settings.RECHECK_MAX_REDIRECTS + 1):
            if urlsplit(current).scheme not in ("http", "https"):
                result.problem = f"not a web address: {current[:200]}"
                return result
            seen.add(current)
            response = _get(manager, current, deadline)
            try:
                result.final_url = current
                if response.status in REDIRECTS and response.headers.get("Location"):
                    following = urljoin(current, response.headers["Location"])
                    if following in seen:
                        result.problem = f"redirect loop at {following[:200]}"
                        return result
                    current = following
                    continue
                result.status_code = response.status
                result.headers = _kept(response.headers)
                result.body = _read_capped(response, deadline)
                return result
            finally:
                response.close()  # never back to the pool half-read
        result.problem = f"more than {settings.RECHECK_MAX_REDIRECTS} redirects"
        return result
    except TooLarge:
        result.status_code, result.body = None, b""
        result.problem = f"larger than {settings.RECHECK_MAX_BYTES} bytes"
        return result
    except (urllib3.exceptions.HTTPError, OSError, DeadlinePassed) as exc:
        result.status_code, result.body = None, b""
        result.problem = f"{type(exc).__name__}: {exc}"[:500]
        return result
    finally:
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        if own_manager:
            manager.clear()


class TooLarge(Exception):
    pass


class DeadlinePassed(Exception):
    pass


def _get(manager, url: str, deadline: float):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlinePassed("the fetch took too long")
    timeout = urllib3.Timeout(
        connect=min(settings.RECHECK_CONNECT_TIMEOUT, remaining), read=min(settings.RECHECK_READ_TIMEOUT, remaining)
    )
    return manager.request("GET", url, redirect=False, preload_content=False, timeout=timeout, retries=False)


def _read_capped(response, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > settings.RECHECK_MAX_BYTES:
        raise TooLarge
    chunks, size = [], 0
    for chunk in response.stream(64 * 1024):
        size += len(chunk)
        if size > settings.RECHECK_MAX_BYTES:
            raise TooLarge
        if time.monotonic() > deadline:
            raise DeadlinePassed("the fetch took too long")
        chunks.append(chunk)
    return b"".join(chunks)


def _kept(headers) -> dict[str, str]:
    return {name: headers[name][:500] for name in KEPT_HEADERS if name in headers}
