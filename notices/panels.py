"""Notices' panels on other apps' pages."""

from django.template.loader import render_to_string

from tracker.core.errors import DomainError

from . import contacts, ladder, rechecks, selectors, sending
from .forms import ContactForm, EscalationPolicyForm
from .views import add_sanction_form


def platform_panel(request, platform) -> str:
    """The platform page: the escalation ladder its notices climb, and (for supervisors) the choice of another."""
    if not request.user.has_perm("notices.view_escalationpolicy"):
        return ""
    policy = ladder.policy_for(platform)
    if policy is None:
        return ""
    form = (
        EscalationPolicyForm(platform=platform, initial={"policy": policy})
        if request.user.has_perm("notices.change_escalationpolicy")
        else None
    )
    context = {"platform": platform, "policy": policy, "policy_steps": policy.steps.all(), "policy_form": form}
    return render_to_string("notices/_platform_panel.html", context, request=request)


def case_panel(request, case) -> str:
    """The case page: the case's notices, the step that comes next, its sanctions (with their state forms), and
    its contact log."""
    user = request.user
    if not user.has_perm("notices.view_notice"):
        return _contact_log(request, case)
    notices = list(selectors.notices().filter(case=case).order_by("step__position", "prepared_at", "id")[:100])
    for notice in notices:
        notice.overdue = notice.is_overdue()
    next_step, no_step = None, ""
    try:
        next_step = ladder.next_step_for(case)
    except DomainError as exc:
        no_step = exc.message
    sanctions = list(selectors.sanctions_of(case)) if user.has_perm("notices.view_sanction") else []
    for sanction in sanctions:
        add_sanction_form(sanction, user)
    blockers = sending.send_blockers(case) if next_step and user.has_perm("notices.send_notice") else []
    context = {
        "case": case,
        "visible": True,
        "send_blockers": blockers,
        "notices": notices,
        "next_step": next_step,
        "no_step": no_step,
        "sanctions": sanctions,
    }
    return render_to_string("notices/_case_panel.html", context, request=request) + _contact_log(request, case)


def _contact_log(request, case) -> str:
    """The case's contact log, newest first, and (for those who record) the form to log one."""
    user = request.user
    if not user.has_perm("notices.view_contactentry"):
        return ""
    entries = list(contacts.contact_log(case).order_by("-occurred_at", "-id"))
    form = ContactForm(case=case) if user.has_perm("notices.add_contactentry") else None
    context = {"case": case, "entries": entries, "form": form}
    return render_to_string("notices/_contact_log.html", context, request=request)


def item_panel(request, item) -> str:
    """The item page: the re-checks of its content and (for those who may ask) the button to check now."""
    user = request.user
    if not user.has_perm("notices.view_contentcheck"):
        return ""
    context = {
        "item": item,
        "checks": list(rechecks.checks_of(item)[:100]),
        "can_request": user.has_perm("notices.request_contentcheck"),
    }
    return render_to_string("notices/_item_checks.html", context, request=request)
