"""One entry of a timeline, as every app that contributes to a case's timeline writes it."""

from dataclasses import dataclass, field
from datetime import datetime


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
