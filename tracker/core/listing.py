"""What every list page shares: its page size, its keyset page, and its query string without the cursor."""

from django.contrib import messages

from tracker.core.keyset import BadCursor, KeysetPage, keyset_page

PAGE_SIZE = 50


def list_page(request, queryset, *, sortable: dict[str, str] | None = None, default_sort: str = "",
              page_size: int | None = None, values: list[str] | None = None) -> KeysetPage:  # fmt: skip
    """The page of `queryset` the request asks for, read by keyset (no OFFSET, no COUNT of the whole table).

    `?cursor=` comes from the previous page's links; `?sort=key` or `-key` picks a column of `sortable`
    ({key: indexed field}); other values keep the queryset's own order, shown as `default_sort`. A cursor
    the list did not give out shows the first page with a warning, not an error page."""
    page_size = page_size or PAGE_SIZE
    sort = request.GET.get("sort", "")
    ordering = None
    if sortable and sort.lstrip("-") in sortable:
        ordering = [f"{'-' if sort.startswith('-') else ''}{sortable[sort.lstrip('-')]}"]
    else:
        sort = default_sort
    try:
        page = keyset_page(
            queryset, page_size=page_size, cursor=request.GET.get("cursor") or None, ordering=ordering, values=values
        )
    except BadCursor as refused:
        messages.warning(request, refused.message)
        page = keyset_page(queryset, page_size=page_size, ordering=ordering, values=values)
    page.sort = sort
    return page


def query_without_page(request) -> str:
    """The list's filters (and sort) as a query string, for the pagination and export links to carry."""
    query = request.GET.copy()
    for name in ("page", "cursor", "format"):
        query.pop(name, None)
    return query.urlencode()


def choice_labels(model, field_name: str) -> dict:
    """Value -> label of a model field's choices, translated once for the page."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


def label_rows(rows, *field_names: str):
    """Set `<field>_label` on each row: the choice's label, translated once per list rather than once per row
    (`get_<field>_display` hashes and translates every choice of the field on each call)."""
    rows = list(rows)
    if not rows:
        return rows
    model = type(rows[0])
    labels = {name: choice_labels(model, name) for name in field_names}
    for row in rows:
        for name, by_value in labels.items():
            value = getattr(row, name)
            setattr(row, f"{name}_label", by_value.get(value, value))
    return rows
