"""The search page: the box in the top bar submits here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from . import finding


@login_required
def search_page(request):
    """Results grouped by kind; a query naming exactly one record (a reference, an item's URL) opens it."""
    if not finding.readable_groups(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    if query and (target := finding.exact_target(request.user, query)):
        return redirect(target)
    groups = finding.search(request.user, query)
    headed = [(finding.GROUPS[kind][0], kind, rows) for kind, rows in groups.items()]
    return render(
        request,
        "search/search.html",
        {"query": query, "groups": headed, "found": any(rows for _heading, _kind, rows in headed)},
    )
