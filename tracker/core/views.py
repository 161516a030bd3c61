"""The UI shell: home, preferences, the audit trail for auditors, health, error pages."""

import zoneinfo

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core import audit
from tracker.core.api import AuditEntryFilter
from tracker.core.csv_export import stream_csv
from tracker.core.discovery import app_modules, project_app_names
from tracker.core.listing import list_page, query_without_page
from tracker.core.models import AuditEntry, Role
from tracker.core.rest import error_body
from tracker.core.time_zones import time_zone_groups


@login_required
def home(request):
    return render(
        request,
        "tracker/home.html",
        {"roles": [Role(name).label for name in request.user.roles()], "home_panels": _home_panels(request)},
    )


def _home_panels(request) -> list[str]:
    """Each app may add a panel to the home page: `<app>/home.py` with `panel(request) -> str` (HTML, or "")."""
    panels = []
    for module in app_modules("home"):
        html = module.panel(request)
        if html:
            panels.append(html)
    return panels


@login_required
@require_POST
def preferences(request):
    """Save the user's language and time zone; they follow the user to every device."""
    user = request.user
    language = request.POST.get("language", user.language)
    time_zone = request.POST.get("time_zone", user.time_zone)
    valid_languages = {code for code, _name in settings.LANGUAGES}
    if language not in valid_languages:
        messages.error(request, _("Unknown language: %(value)s") % {"value": language})
    elif time_zone not in zoneinfo.available_timezones():
        messages.error(request, _("Unknown time zone: %(value)s") % {"value": time_zone})
    else:
        user.language, user.time_zone = language, time_zone
        user.save(update_fields=["language", "time_zone"])
        translation.activate(language)
        messages.success(request, _("Preferences saved."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "home"
    return redirect(next_url)


@login_required
def preferences_form(request):
    return render(request, "tracker/preferences.html", {"time_zone_groups": time_zone_groups()})


@login_required
@permission_required("tracker.view_auditentry", raise_exception=True)
def audit_list(request):
    entries = AuditEntryFilter(request.GET, queryset=AuditEntry.objects.select_related("content_type")).qs.order_by(
        "-at", "-id"
    )
    if request.GET.get("format") == "csv":
        return _audit_csv(entries)
    page = list_page(request, entries, sortable={"at": "at"}, default_sort="-at")
    return render(
        request,
        "tracker/audit_list.html",
        {
            "page": page,
            "query": query_without_page(request),
            "actions": AuditEntry.Action.choices,
            "sources": AuditEntry.Source.choices,
            "record_kinds": _record_kinds(),
        },
    )


def _record_kinds() -> list[tuple[str, str]]:
    """The project's kinds of record for the audit filter: app_label.model as the value, the human name shown."""
    own = set(project_app_names())
    kinds = [
        (f"{model._meta.app_label}.{model._meta.model_name}", str(model._meta.verbose_name).capitalize())
        for model in django_apps.get_models()
        if model._meta.app_config.name in own or model._meta.app_config.name.startswith(tuple(f"{n}." for n in own))
    ]
    return sorted(kinds, key=lambda kind: kind[1])


def _audit_csv(entries):
    header = ["at_utc", "actor", "source", "action", "model", "object_id", "record", "from", "to", "reason"]
    rows = (
        [
            entry.at.isoformat(), entry.actor_label, entry.source, entry.action,
            f"{entry.content_type.app_label}.{entry.content_type.model}", entry.object_id,
            entry.object_repr, entry.from_state, entry.to_state, entry.reason,
        ]
        for entry in entries.iterator(chunk_size=2000)
    )  # fmt: skip
    return stream_csv("audit-trail.csv", header, rows)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(404, "not_found", f"No such resource: {request.path}"), status=404)
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(403, "permission_denied", "You do not have permission for this."), status=403)
    return render(request, "403.html", status=403)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(400, "bad_request", "The request could not be understood."), status=400)
    return render(request, "400.html", status=400)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(error_body(500, "server_error", "Something went wrong on our side."), status=500)
    # No request context: whatever broke may be in a context processor.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


class PasswordChange(auth_views.PasswordChangeView):
    """A person changes their own password (Django's validators apply); the change is audited and their API
    tokens end (User.save)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("preferences")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(
            obj=self.request.user, action=AuditEntry.Action.EVENT, actor=self.request.user, reason="password changed"
        )
        messages.success(self.request, _("Your password is changed. Your API tokens, if any, have ended."))
        return response
