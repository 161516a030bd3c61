"""A case's timeline: everything that happened to it, in order, from every app.

Each app may provide `<app>/timeline.py` with `case_events(case) -> list[TimelineEvent]`;
`case_timeline` merges them, this module's own entries among them: opening, items coming and
going, status changes. Each provider must use a bounded number of queries.

Three queries whatever the case's size: items added or removed at the same moment by the same
person are one entry ("120 items added"), as a bulk import or a pasted list adds them.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.cases.models import Case, CaseItem
from tracker.core.discovery import app_modules
from tracker.core.models import AuditEntry
from tracker.core.timeline import TimelineEvent


def case_timeline(case: Case) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for module in app_modules("timeline"):
        if hasattr(module, "case_events"):
            events.extend(module.case_events(case))
    return sorted(events, key=lambda event: event.at)


def case_events(case: Case) -> list[TimelineEvent]:
    events = [TimelineEvent(case.opened_at, "case_opened", _("Case opened"), actor=case.owner.username)]
    added = (
        CaseItem.objects.filter(case=case)
        .values("added_at", "added_by__username")
        .annotate(count=Count("id"), first=Min("item__display"))
        .order_by("added_at")
    )
    for group in added:
        events.append(
            TimelineEvent(
                group["added_at"],
                "item_added",
                ngettext("%(count)d item added", "%(count)d items added", group["count"]) % {"count": group["count"]},
                actor=group["added_by__username"],
                detail=group["first"] if group["count"] == 1 else "",
            )
        )
    removed = (
        CaseItem.objects.filter(case=case, removed_at__isnull=False)
        .values("removed_at", "removed_by__username")
        .annotate(count=Count("id"), first=Min("item__display"))
    )
    for group in removed:
        events.append(
            TimelineEvent(
                group["removed_at"],
                "item_removed",
                ngettext("%(count)d item removed", "%(count)d items removed", group["count"])
                % {"count": group["count"]},
                actor=group["removed_by__username"],
                detail=group["first"] if group["count"] == 1 else "",
            )
        )
    transitions = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=str(case.pk),
        action=AuditEntry.Action.TRANSITION,
    ).order_by("at")
    for entry in transitions:
        events.append(
            TimelineEvent(
                entry.at,
                "case_status",
                _("Case %(status)s") % {"status": Case.Status(entry.to_state).label if entry.to_state else ""},
                actor=entry.actor_label,
                detail=entry.reason,
            )
        )
    return events
