"""The navigation bar: each app lists its entries in `<app>/nav.py` as ENTRIES.

An entry is shown only to users holding its permission; the permission is
still checked again by the view itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.urls import NoReverseMatch, reverse

from tracker.roles import PROJECT_APPS


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str
    order: int = 50
    # Shown only while this says so, e.g. a page that exists for one configuration (read at each request).
    visible: Callable[[], bool] | None = None


@cache
def all_entries() -> list[NavEntry]:
    entries = []
    for app in PROJECT_APPS:
        try:
            module = import_module(f"{app}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.nav":
                raise
            continue
        entries.extend(module.ENTRIES)
    return sorted(entries, key=lambda entry: entry.order)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    shown = []
    for entry in all_entries():
        if user.has_perm(entry.permission) and (entry.visible is None or entry.visible()):
            try:
                shown.append({"label": entry.label, "url": reverse(entry.url_name), "url_name": entry.url_name})
            except NoReverseMatch:
                continue
    return {"nav_entries": shown}
