"""Bulk actions on cases, and adding selected items to a case: the per-case rules over a selection.

Who may: as the per-case services (`tracker.change_case`). Each case is changed through its service in its
own savepoint (audited per case as one at a time would be); refusals are reported per id (BulkResult).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from tracker.cases import services
from tracker.cases.models import Case
from tracker.core.bulk import BulkResult, each_record, selection
from tracker.core.errors import DomainError, require_permission
from tracker.items.models import FlaggedItem


def _each_case(*, ids, act) -> BulkResult:
    return each_record(Case.objects.select_related("platform"), ids=ids, act=act, missing=_("No such case."))


def bulk_case_transition(*, actor, ids, to_status: str, reason: str = "") -> BulkResult:
    """Move every selected case to `to_status` where its state machine allows it."""
    require_permission(actor, "tracker.change_case")
    return _each_case(
        ids=ids,
        act=lambda case: services.change_case_status(case, to_status=to_status, actor=actor, reason=reason),
    )


def bulk_assign_owner(*, actor, ids, owner, reason: str = "") -> BulkResult:
    """Give every selected case `owner`."""
    require_permission(actor, "tracker.change_case")
    return _each_case(
        ids=ids,
        act=lambda case: services.edit_case(case, actor=actor, reason=reason, owner=owner),
    )


def bulk_add_to_case(*, actor, case: Case, ids) -> BulkResult:
    """Add the selected items to `case`: items of another platform are refused one by one, the rest added."""
    require_permission(actor, "tracker.change_case")
    chosen = selection(ids)
    result = BulkResult()
    items = {item.pk: item for item in FlaggedItem.objects.filter(pk__in=chosen)}
    fitting = []
    for pk in chosen:
        item = items.get(pk)
        if item is None:
            result.refuse(pk, _("No such item."))
        elif item.platform_id != case.platform_id:
            result.refuse(pk, _("Not on %(platform)s, so not part of this case.") % {"platform": case.platform.name})
        else:
            fitting.append(item)
    if fitting:
        try:
            services.add_items(case, items=fitting, actor=actor)
        except DomainError as refusal:
            for item in fitting:
                result.refuse(item.pk, refusal.message)
            return result
        result.done = [item.pk for item in fitting]
    return result
