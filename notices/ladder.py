"""The escalation ladder: which policy a platform follows, the step that comes next, and its deadline rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from platforms.models import Platform
from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.deadlines import DeadlineRule
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry

from .models import EscalationPolicy, EscalationStep, Notice


def policy_for(platform: Platform) -> EscalationPolicy:
    policy = EscalationPolicy.objects.filter(platform=platform).first()
    if policy is None:
        policy = EscalationPolicy.objects.filter(is_default=True).first()
    if policy is None:
        raise DomainError(_("No escalation policy: create a default one in the admin."))
    return policy


def assign_escalation_policy(*, platform: Platform, policy: EscalationPolicy | None, actor) -> EscalationPolicy:
    """Give a platform its own ladder, or (policy None) send it back to the default one. Returns what applies."""
    require_permission(actor, "notices.change_escalationpolicy")
    with transaction.atomic():
        current = EscalationPolicy.objects.select_for_update().filter(platform=platform).first()
        if policy is not None:
            policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
            if policy.is_default:
                policy = None  # the default applies to every platform without a ladder of its own
            elif policy.platform_id not in (None, platform.pk):
                message = _("%(policy)s is already the ladder of %(platform)s.") % {
                    "policy": policy,
                    "platform": policy.platform,
                }
                raise DomainError(message, fields={"policy": [message]})
        if current is not None and current != policy:
            current.platform = None
            current.save(update_fields=["platform"])
            audit.record(
                obj=current, action=AuditEntry.Action.CHANGE, actor=actor, reason=_("no longer %s's") % platform.name
            )
        if policy is not None and policy.platform_id != platform.pk:
            policy.platform = platform
            policy.save(update_fields=["platform"])
            audit.record(obj=policy, action=AuditEntry.Action.CHANGE, actor=actor, reason=_("now %s's") % platform.name)
    return policy_for(platform)


def next_step_for(case: Case) -> EscalationStep:
    """The step after the case's latest notice (sent, recorded or prepared); the first step otherwise."""
    latest = Notice.objects.filter(case=case).select_related("step").order_by("-step__position", "-prepared_at").first()
    policy = latest.step.policy if latest else policy_for(case.platform)
    after = latest.step.position if latest else 0
    step = policy.steps.filter(position__gt=after).order_by("position").first()
    if step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL:
        raise TransitionNotAllowed(_("The ladder of %(case)s has no notice step left.") % {"case": case})
    return step


def deadline_rule(step: EscalationStep, urgency: str) -> DeadlineRule:
    policy = step.policy
    return DeadlineRule(
        minutes=step.response_minutes(urgency),
        business_hours=step.business_hours,
        time_zone=policy.time_zone,
        holiday_country=policy.holiday_country,
    )


def owner_reminders() -> list[timedelta]:
    """How long before a deadline the case owner is reminded, furthest first (setting in minutes)."""
    minutes = settings.NOTICES_OWNER_REMINDERS
    return [timedelta(minutes=value) for value in sorted(minutes, reverse=True)]


def next_action_at(notice: Notice, *, as_status: str | None = None) -> datetime | None:
    """When the sweep must next look at the notice (were it `as_status`): the owner's next reminder, else
    its deadline."""
    if (as_status or notice.status) not in Notice.AWAITING_REPLY or notice.deadline_at is None:
        return None
    pending = owner_reminders()[notice.owner_reminders_done :]
    if pending:
        return notice.deadline_at - pending[0]
    return notice.deadline_at
