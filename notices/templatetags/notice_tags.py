"""Template tags of notices: the unread count in the header, the notices panel on the case page."""

from django import template

from notices import selectors
from notices.services import next_step_for
from tracker.errors import DomainError

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    """One indexed count (user, read_at): cheap enough for every page."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_notifications(user).count()


@register.filter
def deadline_phrase(deadline) -> str:
    return selectors.deadline_phrase(deadline)


@register.inclusion_tag("notices/_case_panel.html", takes_context=True)
def case_notices(context, case):
    """The case's notices, the step that comes next, and its sanctions (with their state forms)."""
    from notices.views import _add_sanction_form

    user = context["user"]
    panel = {
        "case": case,
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
    if not user.has_perm("notices.view_notice"):
        return {**panel, "visible": False}
    notices = list(selectors.notices().filter(case=case).order_by("step__position", "prepared_at", "id")[:100])
    for notice in notices:
        notice.overdue = notice.is_overdue()
    next_step, no_step = None, ""
    try:
        next_step = next_step_for(case)
    except DomainError as exc:
        no_step = exc.message
    sanctions = list(selectors.sanctions_of(case)) if user.has_perm("notices.view_sanction") else []
    for sanction in sanctions:
        _add_sanction_form(sanction, user)
    return {
        **panel,
        "visible": True,
        "notices": notices,
        "next_step": next_step,
        "no_step": no_step,
        "sanctions": sanctions,
    }
