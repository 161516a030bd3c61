"""The navigation bar: each app lists its entries in `<app>/nav.py` as ENTRIES.

An app may also put links beside the user's name (with a count, e.g. unread notifications) by
defining `header_links(request) -> list[HeaderLink]` in the same module.

An entry is shown only to users holding its permission; the permission is
still checked again by the view itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from tracker.core.discovery import app_modules


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str
    order: int = 50
    # Shown only while this says so, e.g. a page that exists for one configuration (read at each request).
    visible: Callable[[], bool] | None = None


@dataclass(frozen=True)
class HeaderLink:
    label: str
    url: str
    element_id: str
    count: int = 0


@cache
def all_entries() -> list[NavEntry]:
    entries = []
    for module in app_modules("nav"):
        entries.extend(module.ENTRIES)
    return sorted(entries, key=lambda entry: entry.order)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": [], "header_links": []}
    shown = []
    for entry in all_entries():
        if user.has_perm(entry.permission) and (entry.visible is None or entry.visible()):
            try:
                shown.append({"label": entry.label, "url": reverse(entry.url_name), "url_name": entry.url_name})
            except NoReverseMatch:
                continue
    return {"nav_entries": shown, "header_links": SimpleLazyObject(lambda: _header_links(request))}


def _header_links(request) -> list[HeaderLink]:
    # Read once per request, and only by a page that shows them: panels rendered with the request run
    # this context processor again.
    if not hasattr(request, "_header_links"):
        request._header_links = [
            link
            for module in app_modules("nav")
            if hasattr(module, "header_links")
            for link in module.header_links(request)
        ]
    return request._header_links
