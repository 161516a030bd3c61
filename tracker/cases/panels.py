"""The cases room's panels on other apps' pages."""

from django.template.loader import render_to_string

from tracker.cases.models import Case


def platform_panel(request, platform) -> str:
    """The platform page: its latest cases."""
    if not request.user.has_perm("tracker.view_case"):
        return ""
    cases = Case.objects.filter(platform=platform).select_related("owner").order_by("-opened_at")[:50]
    return render_to_string("cases/_platform_panel.html", {"cases": cases}, request=request)
