"""The saved-filter strip of a list page: save the list's current filter under a name, open or delete one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core.errors import DomainError

from . import saved_filters
from .models import SavedFilter


def _back(request, list_name: str) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    try:
        return reverse(list_name)
    except NoReverseMatch:
        return reverse("home")


@login_required
@require_POST
def saved_filter_save(request):
    list_name = request.POST.get("list_name", "")
    try:
        saved = saved_filters.save_filter(
            user=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request, list_name))
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(saved_filters.address_of(saved) or _back(request, list_name))


@login_required
@require_POST
def saved_filter_delete(request, pk: int):
    # Someone else's saved filter is not found, rather than refused: its name is theirs.
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved_filters.delete_filter(user=request.user, saved=saved)
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect(_back(request, saved.list_name))
