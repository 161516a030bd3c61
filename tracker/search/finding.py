"""One query, every kind of record: what the search box finds, each kind only for those who may read it.

What is typed is read as people type it: `t.me/s/name`, `https://telegram.me/name/` and `@name` are the item
whose canonical form is `https://t.me/name`; `#12` is case 12; a notice or order reference goes straight to
its page. Each group is bounded (GROUP_LIMIT rows) and served by an index (references are unique, canonical
and title text by the trigram indexes on PostgreSQL), so a search never reads a whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blocking.models import BlockOrder
from notices.models import Notice
from platforms.models import Platform
from tracker.cases.models import Case
from tracker.items.models import FlaggedItem
from tracker.items.services import canonical_or_none, text_matches

GROUP_LIMIT = 10
MAX_QUERY = 500


@dataclass(frozen=True)
class Found:
    kind: str
    pk: int
    label: str
    detail: str
    url: str


# kind: (heading, the permission that lets a person read that kind)
GROUPS = {
    "items": (_("Flagged items"), "tracker.view_flaggeditem"),
    "cases": (_("Cases"), "tracker.view_case"),
    "notices": (_("Notices"), "notices.view_notice"),
    "orders": (_("Block and lift orders"), "blocking.view_blockorder"),
    "platforms": (_("Platforms"), "platforms.view_platform"),
}


def readable_groups(user) -> list[str]:
    """The kinds `user` may search: ISP accounts read their orders through the API only, so none."""
    if not user.is_authenticated or user.has_role("isp"):
        return []
    return [kind for kind, (_heading, permission) in GROUPS.items() if user.has_perm(permission)]


def search(user, query: str) -> dict[str, list[Found]]:
    """{kind: up to GROUP_LIMIT records} for each kind `user` may read, in GROUPS order."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return {}
    finders = {"items": _items, "cases": _cases, "notices": _notices, "orders": _orders, "platforms": _platforms}
    return {kind: finders[kind](query) for kind in readable_groups(user)}


def exact_target(user, query: str) -> str | None:
    """The page to go straight to when what was typed names exactly one record the user may read: a notice or
    order reference, `#<case number>`, or an item's URL in any form."""
    query, kinds = query.strip()[:MAX_QUERY], readable_groups(user)
    if "notices" in kinds and (notice := Notice.objects.filter(reference__iexact=query).only("pk").first()):
        return reverse("notices-detail", args=[notice.pk])
    if "orders" in kinds and (order := BlockOrder.objects.filter(reference__iexact=query).only("pk").first()):
        return reverse("blocking-order-detail", args=[order.pk])
    if (
        "cases" in kinds
        and query.startswith("#")
        and query[1:].isdigit()
        and Case.objects.filter(pk=query[1:]).exists()
    ):
        return reverse("cases-detail", args=[int(query[1:])])
    canonical = canonical_or_none(query) if "items" in kinds else None
    if canonical and (item := FlaggedItem.objects.filter(canonical=canonical).only("pk").first()):
        return reverse("items-detail", args=[item.pk])
    return None


def _items(query: str) -> list[Found]:
    items = (
        FlaggedItem.objects.select_related("platform")
        .order_by("-logged_at", "-id")
        .only("pk", "display", "canonical", "platform__name", "logged_at")
    )
    canonical = canonical_or_none(query)
    named = list(items.filter(canonical=canonical)[:1]) if canonical else []  # the item the typed form names, first
    containing = items.filter(text_matches(query)).exclude(pk__in=[row.pk for row in named])
    rows = named + list(containing[: GROUP_LIMIT - len(named)])
    return [
        Found(
            "items",
            row.pk,
            row.display,
            row.platform.name if row.platform else "",
            reverse("items-detail", args=[row.pk]),
        )
        for row in rows
    ]


def _cases(query: str) -> list[Found]:
    number = query.lstrip("#")
    matches = Q(title__icontains=query)
    if number.isdigit():
        matches |= Q(pk=int(number))
    rows = Case.objects.filter(matches).select_related("platform").order_by("-opened_at", "-id")[:GROUP_LIMIT]
    return [
        Found("cases", row.pk, row.title, row.platform.name, reverse("cases-detail", args=[row.pk])) for row in rows
    ]


def _notices(query: str) -> list[Found]:
    rows = (
        Notice.objects.filter(reference__icontains=query)
        .select_related("case__platform")
        .order_by("-prepared_at", "-id")[:GROUP_LIMIT]
    )
    return [
        Found("notices", row.pk, row.reference, row.case.platform.name, reverse("notices-detail", args=[row.pk]))
        for row in rows
    ]


def _orders(query: str) -> list[Found]:
    name = query.strip().lower().rstrip(".")
    matches = Q(reference__icontains=query) | Q(pk__in=BlockOrder.objects.filter(names__name=name).values("pk"))
    rows = BlockOrder.objects.filter(matches).order_by("-effective_at", "-id")[:GROUP_LIMIT]
    return [
        Found("orders", row.pk, row.reference, row.get_kind_display(), reverse("blocking-order-detail", args=[row.pk]))
        for row in rows
    ]


def _platforms(query: str) -> list[Found]:
    host = query.strip().lower()
    matches = Q(name__icontains=query) | Q(hosts__host=host) | Q(domains__name=host.rstrip("."))
    rows = Platform.objects.filter(matches).distinct().order_by("name")[:GROUP_LIMIT]
    return [
        Found("platforms", row.pk, row.name, row.website, reverse("platforms-detail", args=[row.pk])) for row in rows
    ]
