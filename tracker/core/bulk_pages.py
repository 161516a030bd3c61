"""The page a list's action bar leads to: what a bulk action did and, per refused record, why."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tracker.core.bulk import BulkResult

# kind of record: (its page's URL name, its list's URL name)
PAGES = {
    "item": ("items-detail", "items-list"),
    "case": ("cases-detail", "cases-list"),
    "notice": ("notices-detail", "notices-list"),
    "email": ("notices-mail-detail", "notices-mail-list"),
}


def selected_ids(request) -> list[str]:
    return [value for value in request.POST.getlist("ids") if value.isdigit()]


def back_to_list(request, kind: str) -> str:
    """The list the action bar was on (its filters and page kept), or the plain list."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse(PAGES[kind][1])


def bulk_result_page(request, result: BulkResult, *, kind: str):
    return render(
        request,
        "tracker/bulk_result.html",
        {"result": result, "kind": kind, "detail_url": PAGES[kind][0], "back": back_to_list(request, kind)},
    )
