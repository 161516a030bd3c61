"""The escalation ladder: which policy a platform follows, the step that comes next, and its deadline rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from platforms.models import Platform
from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.deadlines import DeadlineRule, InvalidDeadlineRule
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry

from .models import EscalationPolicy, EscalationStep, Notice, StepTranslation


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


def step_for_past_notice(case: Case, step: EscalationStep | None = None) -> tuple[EscalationStep, bool]:
    """The rung a notice sent outside the tracker takes, and whether it lies beyond the ladder.

    While the ladder has a notice step left, it is `step` or the next one. Once its notice steps have run out
    (the ministry sent more notices than the ladder has rungs), the notice is an extra one: it repeats `step`
    or the ladder's last notice rung, and escalates nothing.
    """
    try:
        following = next_step_for(case)
    except TransitionNotAllowed:
        following = None
    if following is not None:
        return step or following, False
    if step is None:
        latest = Notice.objects.filter(case=case).select_related("step__policy").order_by("-step__position").first()
        policy = latest.step.policy if latest else policy_for(case.platform)
        step = policy.steps.exclude(kind=EscalationStep.Kind.BLOCK_PROPOSAL).order_by("-position").first()
        if step is None:
            raise DomainError(_("The ladder of %(case)s has no notice step.") % {"case": case})
    return step, True


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


# --- keeping ladders: the API's doors to what administrators do in the admin ------------------------------

POLICY_FIELDS = ("name", "description", "time_zone", "holiday_country", "is_default")
STEP_FIELDS = (
    "position", "name", "kind", "subject_template", "body_template", "urgent_response_minutes",
    "normal_response_minutes", "business_hours", "automatic", "sanction_amount",
)  # fmt: skip


def create_escalation_policy(*, actor, name: str, **fields) -> EscalationPolicy:
    """A new ladder, without steps. Who may: administrators (`notices.add_escalationpolicy`)."""
    require_permission(actor, "notices.add_escalationpolicy")
    fields = {"name": name, **fields}
    _check_policy(None, fields)
    with transaction.atomic():
        if fields.get("is_default"):
            _give_up_default(actor)
        policy = EscalationPolicy.objects.create(**fields)
        audit.record_creation(policy, actor=actor)
    return policy


def change_escalation_policy(*, policy: EscalationPolicy, actor, **fields) -> EscalationPolicy:
    """Change a ladder's name, description, deadline time zone or holidays, or make it the default.

    Who may: administrators, who keep ladders (`add_` and `change_escalationpolicy`, as in the admin). A
    supervisor's `change_escalationpolicy` only chooses a platform's ladder (`assign_escalation_policy`), as on
    the platform page. Making a ladder the default takes the mark from the one that had it; a default is
    given up only by making another ladder the default.
    """
    require_permission(actor, "notices.add_escalationpolicy")
    require_permission(actor, "notices.change_escalationpolicy")
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise DomainError(_("Not a field of a ladder: %s") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        locked = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
        _check_policy(locked, fields)
        if "is_default" in fields and fields["is_default"] != locked.is_default:
            if not fields["is_default"]:
                message = _("A default ladder must remain: make another ladder the default instead.")
                raise DomainError(message, fields={"is_default": [message]})
            _give_up_default(actor)
        audit.save_changes(locked, fields, actor=actor)
    return locked


def add_escalation_step(
    *, policy: EscalationPolicy, actor, translations: list[dict] | tuple = (), **fields
) -> EscalationStep:
    """A new rung of a ladder, with its texts in other languages. Who may: administrators
    (`notices.add_escalationstep`; translations `notices.add_steptranslation`). An unknown placeholder in any
    text, or a position the ladder already has, is refused naming the field."""
    require_permission(actor, "notices.add_escalationstep")
    with transaction.atomic():
        policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)  # one writer of its positions
        _check_step(policy, None, fields)
        step = EscalationStep(policy=policy, **fields)
        step.save()
        audit.record_creation(step, actor=actor)
        _keep_translations(step, translations, actor=actor)
    return step


def change_escalation_step(
    *, step: EscalationStep, actor, translations: list[dict] | tuple = (), **fields
) -> EscalationStep:
    """Change a rung (never its ladder) and add or change its texts in other languages. Who may:
    administrators (`notices.change_escalationstep`). Notices already sent keep the text they were sent with."""
    require_permission(actor, "notices.change_escalationstep")
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise DomainError(_("Not a field of a step: %s") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        policy = EscalationPolicy.objects.select_for_update().get(pk=step.policy_id)
        locked = EscalationStep.objects.select_for_update().get(pk=step.pk)
        _check_step(policy, locked, fields)
        if fields:
            audit.save_changes(locked, fields, actor=actor)  # the step's save refuses an unknown placeholder
        _keep_translations(locked, translations, actor=actor)
    return locked


def _give_up_default(actor) -> None:
    for current in EscalationPolicy.objects.select_for_update().filter(is_default=True):
        audit.save_changes(current, {"is_default": False}, actor=actor, reason=_("another ladder is the default"))


def _check_policy(policy: EscalationPolicy | None, fields: dict) -> None:
    problems = {}
    if "name" in fields:
        name = (fields["name"] or "").strip()
        fields["name"] = name
        if not name:
            problems["name"] = [_("Name the ladder.")]
        elif EscalationPolicy.objects.filter(name=name).exclude(pk=getattr(policy, "pk", None)).exists():
            problems["name"] = [_("Another ladder has that name.")]
    zone = fields.get("time_zone", getattr(policy, "time_zone", "Asia/Jakarta"))
    country = fields.get("holiday_country", getattr(policy, "holiday_country", "ID"))
    try:
        DeadlineRule(minutes=60, time_zone=zone, holiday_country=country)
    except InvalidDeadlineRule as exc:
        field = exc.field if exc.field in ("time_zone", "holiday_country") else "time_zone"
        problems[field] = [str(exc)]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)


def _check_step(policy: EscalationPolicy, step: EscalationStep | None, fields: dict) -> None:
    problems = {}
    if "position" in fields:
        taken = policy.steps.filter(position=fields["position"]).exclude(pk=getattr(step, "pk", None))
        if fields["position"] is None or fields["position"] < 1:
            problems["position"] = [_("A position is a whole number from 1.")]
        elif taken.exists():
            problems["position"] = [
                _("%(policy)s already has a step at position %(position)d.")
                % {"policy": policy, "position": fields["position"]}
            ]
    for name in ("urgent_response_minutes", "normal_response_minutes"):
        if name in fields and (fields[name] is None or fields[name] < 1):
            problems[name] = [_("A response time is at least one minute.")]
    if "kind" in fields and fields["kind"] not in EscalationStep.Kind.values:
        problems["kind"] = [_("Choose a kind: %s") % ", ".join(EscalationStep.Kind.values)]
    if "name" in fields and not (fields["name"] or "").strip():
        problems["name"] = [_("Name the step.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)


def _keep_translations(step: EscalationStep, translations, *, actor) -> None:
    """Add or change the step's text in each language given (a language not given is left as it is)."""
    existing = {row.language: row for row in StepTranslation.objects.select_for_update().filter(step=step)}
    for row in translations or ():
        language = (row.get("language") or "").strip().lower()
        texts = {"subject_template": row.get("subject_template", ""), "body_template": row.get("body_template", "")}
        if not language:
            raise DomainError(_("Name the translation's language."), fields={"translations": [_("no language")]})
        if language in existing:
            require_permission(actor, "notices.change_steptranslation")
            audit.save_changes(existing[language], texts, actor=actor)
        else:
            require_permission(actor, "notices.add_steptranslation")
            existing[language] = StepTranslation(step=step, language=language, **texts)
            existing[language].save()
            audit.record_creation(existing[language], actor=actor)
