"""A case's timeline: everything that happened to it, in order, from every app.

Each app may provide `<app>/timeline.py` with `case_events(case) -> list[TimelineEvent]`;
the case page merges them. Each provider must use a bounded number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from tracker.roles import PROJECT_APPS


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # e.g. "item_added", "notice_sent", "reply", "block_order"
    title: str
    actor: str = ""
    detail: str = ""
    url: str = ""
    overdue: bool = False
    recorded_afterwards: bool = False
    extra: dict = field(default_factory=dict)


def case_timeline(case) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for app in PROJECT_APPS:
        module_name = f"{app}.timeline" if app != "tracker" else "tracker.case_timeline"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        events.extend(module.case_events(case))
    return sorted(events, key=lambda event: event.at)
