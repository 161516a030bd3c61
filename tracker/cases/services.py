"""Writes and transitions of cases: the takedown effort against one platform for a set of items.

Membership is kept as CaseItem rows; removing an item stamps its row instead of deleting it,
so the case's timeline can tell when each item came and went.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from platforms.models import Platform
from tracker.cases.models import Case, CaseItem
from tracker.core import audit
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry, User
from tracker.core.states import change_state
from tracker.items.models import FlaggedItem

Status = Case.Status

EDITABLE_FIELDS = ("title", "description", "owner")


def open_case(
    *,
    actor,
    platform: Platform,
    title: str,
    description: str = "",
    owner: User | None = None,
    items: Iterable[FlaggedItem] = (),
) -> Case:
    require_permission(actor, "tracker.add_case")
    problems = {}
    if platform is None:
        problems["platform"] = [_("Choose the platform the case is against.")]
    if not (title or "").strip():
        problems["title"] = [_("Give the case a title.")]
    elif len(title) > 200:
        problems["title"] = [_("At most 200 characters.")]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    with transaction.atomic():
        case = Case.objects.create(
            platform=platform, title=title.strip(), description=description, owner=owner or actor
        )
        audit.record_creation(case, actor=actor)
        items = list(items)
        if items:
            add_items(case, items=items, actor=actor)
    return case


def edit_case(case: Case, *, actor, reason: str = "", **fields) -> Case:
    require_permission(actor, "tracker.change_case")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            fields={name: [_("read-only")] for name in unknown},
        )
    if "title" in fields and not (fields["title"] or "").strip():
        raise DomainError(_("Give the case a title."), fields={"title": [_("Give the case a title.")]})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        audit.save_changes(locked, fields, actor=actor, reason=reason)
    return locked


def add_items(case: Case, *, items: Iterable[FlaggedItem], actor) -> list[FlaggedItem]:
    """Add items to the case; ones already in it are skipped. Items of another platform are refused, all or nothing."""
    require_permission(actor, "tracker.change_case")
    items = list(items)
    foreign = [item for item in items if item.platform_id != case.platform_id]
    if foreign:
        shown = ", ".join(item.display for item in foreign[:5])
        message = _("Not on %(platform)s, so not part of this case: %(items)s") % {
            "platform": case.platform.name,
            "items": shown,
        }
        raise DomainError(message, fields={"items": [message]})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == Status.CLOSED:
            raise TransitionNotAllowed(_("The case is closed: reopen it before adding items."))
        present = set(
            CaseItem.objects.filter(case=case, removed_at__isnull=True, item__in=items).values_list(
                "item_id", flat=True
            )
        )
        now = timezone.now()
        added = [item for item in {item.pk: item for item in items}.values() if item.pk not in present]
        CaseItem.objects.bulk_create([CaseItem(case=case, item=item, added_by=actor, added_at=now) for item in added])
        if added:
            audit.record(
                obj=case,
                action=AuditEntry.Action.CHANGE,
                actor=actor,
                changes={"items_added": [item.canonical for item in added[:1000]]},
                reason=_("%(count)d items added") % {"count": len(added)},
            )
    return added


def remove_item(case: Case, *, item: FlaggedItem, actor, reason: str) -> CaseItem:
    require_permission(actor, "tracker.change_case")
    if not (reason or "").strip():
        raise DomainError(_("Say why the item leaves the case."), fields={"reason": [_("required")]})
    with transaction.atomic():
        membership = CaseItem.objects.select_for_update().filter(case=case, item=item, removed_at__isnull=True).first()
        if membership is None:
            raise DomainError(_("The item is not in this case."), fields={"item": [_("not in this case")]})
        membership.removed_at, membership.removed_by = timezone.now(), actor
        membership.save(update_fields=["removed_at", "removed_by"])
        audit.record(
            obj=case,
            action=AuditEntry.Action.CHANGE,
            actor=actor,
            changes={"items_removed": [item.canonical]},
            reason=reason,
        )
    return membership


def change_case_status(case: Case, *, to_status: str, actor, reason: str = "") -> Case:
    """Move a case along its state machine (Case.STATE_MACHINE), audited.

    Who may: a person with `tracker.change_case`, or the system (the escalation sweep escalates a case
    whose ladder ran out).
    """
    require_permission(actor, "tracker.change_case", system_may=True)
    if to_status == Status.CLOSED:
        also = {"closed_at": timezone.now()}
    else:
        also = {"closed_at": None} if case.status == Status.CLOSED else {}
    refusal = _("A case that is %(from)s cannot become %(to)s.")
    return change_state(case, to=to_status, actor=actor, reason=reason, also=also, refusal=refusal)
