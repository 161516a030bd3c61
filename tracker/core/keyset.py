"""Keyset (cursor) pagination and bounded counts, for the API and the list pages alike.

A page is read from where the previous one stopped (`WHERE logged_at <= t AND (logged_at < t OR id < n)
ORDER BY logged_at DESC, id DESC LIMIT 51`, through the index that serves the ordering), never by OFFSET, so the
page at depth 500,000 costs what the first one costs. The count is exact while small (a COUNT of at most
EXACT_COUNT_LIMIT + 1 rows) and above that PostgreSQL's planner estimate, flagged as such, so no list counts
the whole table.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.core import signing
from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    FullResultSet,
    ImproperlyConfigured,
    ValidationError,
)
from django.db import connections
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError
from tracker.core.prepared import fetch_prepared

# Above this many rows a list says "about" and shows the planner's estimate instead of counting.
EXACT_COUNT_LIMIT = 1000
_SALT = "tracker.core.keyset"


class BadCursor(DomainError):
    def __init__(self):
        message = _("This cursor was not given out by this list; start again from the first page.")
        super().__init__(message, fields={"cursor": [message]})


@dataclass(frozen=True)
class _Key:
    name: str
    descending: bool
    nullable: bool
    nulls_last: bool = True
    field: Any = None

    def reversed(self) -> "_Key":
        return _Key(self.name, not self.descending, self.nullable, not self.nulls_last, self.field)

    def order_by(self):
        if not self.nullable:
            return f"-{self.name}" if self.descending else self.name
        expression = F(self.name)
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return expression.desc(**nulls) if self.descending else expression.asc(**nulls)

    def equal(self, value) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value) -> Q:
        """The rows that come strictly after `value` in this key's order."""
        if value is None:
            return Q(pk__in=[]) if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        beyond = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        return beyond | Q(**{f"{self.name}__isnull": True}) if self.nullable and self.nulls_last else beyond


def ordering_of(queryset, fallback=None) -> list[str]:
    """The queryset's ordering as names ("-logged_at"), ended by the primary key so that it is total."""
    names = []
    for term in list(queryset.query.order_by) or list(fallback or queryset.model._meta.ordering or []):
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            term = f"{'-' if term.descending else ''}{term.expression.name}"
        if not isinstance(term, str) or term == "?":
            raise ImproperlyConfigured(f"Keyset pagination needs named ordering fields, not {term!r}.")
        names.append(term)
    pk = queryset.model._meta.pk.name
    for index, name in enumerate(names):
        if name.lstrip("-") in (pk, "pk"):
            return names[: index + 1]
    descending = names[-1].startswith("-") if names else True
    return [*names, f"{'-' if descending else ''}{pk}"]


def _keys(queryset, ordering: list[str]) -> list[_Key]:
    keys, model = [], queryset.model
    for term in ordering:
        name = term.lstrip("-")
        if name in queryset.query.annotations:  # e.g. notifications' `unread`, a non-null boolean
            output = queryset.query.annotations[name].output_field
            keys.append(_Key(name, term.startswith("-"), False, not term.startswith("-"), output))
            continue
        target, model_field = model, None
        for part in ("id" if name == "pk" else name).split("__"):
            try:
                model_field = target._meta.get_field(part)
            except FieldDoesNotExist:
                raise ImproperlyConfigured(f"{model.__name__} cannot be ordered by {name!r}.") from None
            target = model_field.related_model or target
        if model_field.is_relation:
            model_field = model_field.target_field
        # NULLs sort as the largest value (last going up, first going down), as PostgreSQL and its B-tree
        # indexes order them, so that one plain index serves the list both ways.
        descending = term.startswith("-")
        keys.append(_Key(name, descending, bool(model_field.null), not descending, model_field))
    return keys


def _value(row, name: str):
    if isinstance(row, dict):  # a .values() row
        return row["id" if name == "pk" else name]
    for part in name.split("__"):
        row = getattr(row, "pk" if part == "pk" else part) if row is not None else None
        if hasattr(row, "_meta"):  # a foreign key's object: its key
            row = row.pk
    return row


@dataclass(frozen=True)
class _Count:
    total: int
    estimated: bool
    of: str  # which filtered list it counts (a digest of its SQL): another list's count is not reused


def encode_cursor(ordering: list[str], values: list, *, backward: bool = False, count: _Count | None = None) -> str:
    """The opaque token for the position just after (or, `backward`, just before) the row with `values`; it
    carries the list's count, so the pages after the first do not count again."""
    plain = [value.isoformat() if hasattr(value, "isoformat") else value for value in values]
    payload = {"o": ordering, "v": plain, "b": int(backward)}
    if count is not None:
        payload["c"] = [count.total, int(count.estimated), count.of]
    return signing.dumps(payload, salt=_SALT)


def cursor_for_row(row, ordering: list[str], *, backward: bool = False, count: _Count | None = None) -> str:
    values = [_value(row, term.lstrip("-")) for term in ordering]
    return encode_cursor(ordering, values, backward=backward, count=count)


def _list_digest(queryset) -> str:
    """Which rows the list holds, whatever their columns and order: its WHERE clause (which names every join
    it filters through), its table and DISTINCT. Compiling the clause alone costs a fraction of the query."""
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    try:
        where, params = compiler.compile(query.where)
    except FullResultSet:  # no condition at all
        where, params = "", ()
    except EmptyResultSet:  # a condition no row meets
        where, params = "FALSE", ()
    key = f"{query.model._meta.db_table}|{query.distinct}|{query.distinct_fields}|{where}|{params!r}"
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def _decode_cursor(token: str, ordering: list[str], keys: list[_Key]) -> tuple[list, bool, _Count | None]:
    try:
        payload = signing.loads(token, salt=_SALT)
        if payload["o"] != ordering or len(payload["v"]) != len(keys):
            raise BadCursor()
        values = [
            None if raw is None else key.field.to_python(raw) for key, raw in zip(keys, payload["v"], strict=True)
        ]
        total, estimated, of = payload.get("c") or (None, False, "")
        count = _Count(int(total), bool(estimated), str(of)) if total is not None else None
        return values, bool(payload["b"]), count
    except (signing.BadSignature, ValidationError, KeyError, TypeError, ValueError):
        raise BadCursor() from None


def _beyond(keys: list[_Key], values: list) -> Q:
    """Rows after the position `values` in the order of `keys`: a disjunction a database evaluates row by row,
    led by a plain bound on the first key (`logged_at <= t`) that an index scan starts from."""
    condition = Q(pk__in=[])
    for index, key in enumerate(keys):
        step = key.after(values[index])
        for previous, value in zip(keys[:index], values[:index], strict=True):
            step &= previous.equal(value)
        condition |= step
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        condition &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": value})
    return condition


@dataclass
class KeysetPage:
    """One page of a list: its rows, whether there are rows before and after it, and the list's count."""

    object_list: list
    ordering: list[str]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None
    count: int | None = None
    count_is_estimate: bool = False
    sort: str = ""  # the list page's ?sort= (or its default), for the column headers

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def paginator(self):  # templates read page.paginator.count, as with Django's Paginator
        return self

    @property
    def count_label(self) -> str:
        return count_label(self.count or 0, self.count_is_estimate)


def keyset_page(queryset, *, page_size: int, cursor: str | None = None, ordering: list[str] | None = None,
                values: list[str] | None = None, count: bool = True) -> KeysetPage:  # fmt: skip
    """The page of `queryset` after (or before) `cursor`, in `ordering` (default: the queryset's own, ended
    by the primary key); its rows are dicts of `values` if given, else the queryset's own. A cursor this list
    did not give out raises BadCursor."""
    ordering = ordering_of(queryset.order_by(*ordering) if ordering else queryset)
    keys = _keys(queryset, ordering)
    fields = list(values or queryset._fields or [])
    position, backward, carried = _decode_cursor(cursor, ordering, keys) if cursor else (None, False, None)
    walk = [key.reversed() for key in keys] if backward else keys
    rows_query = queryset.order_by(*[key.order_by() for key in walk])
    if fields:  # plain rows, which carry the position of the page's ends
        rows_query = rows_query.values(*fields, *[key.name for key in keys if key.name not in fields])
    if position is not None:
        rows_query = rows_query.filter(_beyond(walk, position))
    rows = fetch_prepared(rows_query[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backward:
        rows.reverse()
    has_next = True if backward else more
    has_previous = more if backward else position is not None
    counted = None
    if count:
        digest = _list_digest(queryset)
        if carried is not None and carried.of == digest:
            counted = carried
        elif position is None and not more and len(rows) <= EXACT_COUNT_LIMIT:  # the whole list is on this page
            counted = _Count(len(rows), False, digest)
        else:
            counted = _Count(*_count_of_list(queryset, digest), of=digest)
    return KeysetPage(
        object_list=rows,
        ordering=ordering,
        has_next=bool(rows) and has_next,
        has_previous=bool(rows) and has_previous,
        next_cursor=cursor_for_row(rows[-1], ordering, count=counted) if rows and has_next else None,
        previous_cursor=(
            cursor_for_row(rows[0], ordering, backward=True, count=counted) if rows and has_previous else None
        ),
        count=counted.total if counted else None,
        count_is_estimate=counted.estimated if counted else False,
    )


# A large list's estimate is kept this long in each process, so that its first page is not counted again on
# every request (two statements); a small list is always counted exactly.
ESTIMATE_SECONDS = 60
_estimates: dict[str, tuple[float, int]] = {}


def _count_of_list(queryset, digest: str) -> tuple[int, bool]:
    now = time.monotonic()
    kept = _estimates.get(digest)
    if kept is not None and kept[0] > now:
        return kept[1], True
    total, estimated = count_rows(queryset)
    if estimated:
        if len(_estimates) >= 1000:
            _estimates.clear()
        _estimates[digest] = (now + ESTIMATE_SECONDS, total)
    return total, estimated


def forget_estimates() -> None:
    """Drop the kept estimates (tests whose tables change size under the same list)."""
    _estimates.clear()


def count_rows(queryset, *, limit: int | None = None) -> tuple[int, bool]:
    """(count, is_estimate): exact up to `limit` rows; above, PostgreSQL's planner estimate for the same
    filtered query, so a list never counts a whole table. Other databases count exactly."""
    limit = EXACT_COUNT_LIMIT if limit is None else limit
    queryset = queryset.order_by()
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count(), False
    bounded = queryset.values("pk")[: limit + 1].count()
    if bounded <= limit:
        return bounded, False
    plan = json.loads(queryset.values("pk").explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, limit + 1), True


def count_label(count: int, estimated: bool) -> str:
    """1,234 when exact; "about 1.2 million" or "about 12,000" when estimated."""
    if not estimated:
        return intcomma(count)
    if count >= 1_000_000:
        rounded = intword(count)
    else:
        digits = len(str(count)) - 2
        rounded = intcomma(round(count, -digits) if digits > 0 else count)
    return _("about %(count)s") % {"count": rounded}
