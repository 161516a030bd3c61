"""Pages of the file outbox: what `make run` would have emailed, for trying the tracker without a mail server."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from tracker.core.listing import PAGE_SIZE

from .reading import outbox_dir, outbox_files, outbox_in_use, read_outbox_file

can_view = permission_required("notices.view_delivery", raise_exception=True)


@login_required
@can_view
def outbox_list(request):
    files = outbox_files() if outbox_in_use() else []
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "notices/outbox/list.html", {"page": page, "in_use": outbox_in_use(), "folder": outbox_dir()}
    )


@login_required
@can_view
def outbox_file(request, name: str):
    found = read_outbox_file(name) if outbox_in_use() else None
    if found is None:
        raise Http404("no such outbox file")
    # Not "messages": the page's banners read that name (Django's messages framework).
    return render(request, "notices/outbox/file.html", {"name": name, "outbox_messages": found})
