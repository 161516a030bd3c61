"""Saved filters: a person names the filter of a list and finds it again on that list.

Who may: any signed-in person, for themself only; nobody reads or deletes another's. Not audited: a saved filter
is a preference, like the language, and grants nothing.
"""

from urllib.parse import parse_qsl, urlencode

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tracker.accounts.models import SavedFilter
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.prepared import read_instances

# The lists whose filters can be saved: their URL names.
LISTS = ("items-list", "cases-list", "notices-list", "notices-mail-list", "audit-list", "blocking-order-list")
# Parts of a query string that place a page, not a filter.
NOT_FILTERS = ("cursor", "format", "page")
# What a yes/no filter's select sends for "either": no filter.
UNCHOSEN = ("", "unknown")
MAX_PER_LIST = 50


def filter_query(query: str) -> str:
    """The query string's filters only (no cursor, no export format), in the order given."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    return urlencode([(name, value) for name, value in pairs if name not in NOT_FILTERS and value not in UNCHOSEN])


def save_filter(*, user, list_name: str, name: str, query: str) -> SavedFilter:
    """Save (or replace, under the same name) `user`'s filter of the list `list_name`."""
    _require_person(user)
    name = (name or "").strip()
    if list_name not in LISTS:
        message = _("Filters of this list cannot be saved.")
        raise DomainError(message, fields={"list_name": [message]})
    if not name:
        message = _("Give the filter a name.")
        raise DomainError(message, fields={"name": [message]})
    query = filter_query(query or "")
    with transaction.atomic():
        existing = SavedFilter.objects.filter(user=user, list_name=list_name)
        if existing.count() >= MAX_PER_LIST and not existing.filter(name=name).exists():
            message = _("At most %(count)d saved filters a list: delete one first.") % {"count": MAX_PER_LIST}
            raise DomainError(message, fields={"name": [message]})
        try:
            saved, _created = SavedFilter.objects.update_or_create(
                user=user, list_name=list_name, name=name[:100], defaults={"query": query[:2000]}
            )
        except IntegrityError:  # the same name saved at the same moment elsewhere
            saved = SavedFilter.objects.get(user=user, list_name=list_name, name=name[:100])
    return saved


def delete_filter(*, user, saved: SavedFilter) -> None:
    if saved.user_id != user.pk:
        raise NotPermitted(_("This saved filter is someone else's."))
    saved.delete()


def filters_of(user, list_name: str) -> list[SavedFilter]:
    """The person's saved filters of the list, in the model's order: every list page shows them."""
    if not user.is_authenticated:
        return []
    return read_instances(SavedFilter, where={"user": user.pk, "list_name": list_name}, types=("bigint", "text"))


def address_of(saved: SavedFilter) -> str:
    """The list's address with the saved filter: what the link opens, and what can be shared."""
    try:
        path = reverse(saved.list_name)
    except NoReverseMatch:
        return ""
    return f"{path}?{saved.query}" if saved.query else path


def _require_person(user) -> None:
    if not user.is_authenticated or not user.is_active:
        raise NotPermitted(_("Sign in first."))
