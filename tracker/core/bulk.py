"""What every bulk action shares: a bounded selection, one record at a time through its own service in a
savepoint, and an answer saying what was done and, per refused id, why.

The apps' bulk modules (tracker.items.bulk, tracker.cases.bulk, notices.bulk, notices.mail.bulk) say who may act
and which service each record goes through; this module holds the loop, so a refusal is reported the same way
everywhere and one bad record never undoes the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError

MAX_IDS = 10_000


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)  # {"id": …, "reason": …}

    def refuse(self, pk, reason: str) -> None:
        self.refused.append({"id": pk, "reason": str(reason)})

    def as_dict(self) -> dict:
        return {"done": self.done, "refused": self.refused}


def selection(ids: Iterable) -> list[int]:
    """The distinct selected ids, in the order given; none, or more than MAX_IDS, is refused."""
    chosen = list(dict.fromkeys(int(pk) for pk in ids))
    if not chosen:
        message = _("Select at least one.")
        raise DomainError(message, fields={"ids": [message]})
    if len(chosen) > MAX_IDS:
        message = _("At most %(max)d at a time.") % {"max": MAX_IDS}
        raise DomainError(message, fields={"ids": [message]})
    return chosen


def each_record(
    queryset: models.QuerySet, *, ids: Iterable, act: Callable, missing: str, lock: bool = True
) -> BulkResult:
    """Call `act(record)` for each selected record of `queryset`, each in its own savepoint: a DomainError
    refuses that record only. Ids that match no record are refused with `missing`. With `lock`, the records
    are locked (in id order, so two bulk actions cannot deadlock) for the whole selection."""
    chosen = selection(ids)
    result = BulkResult()
    with transaction.atomic():
        found = queryset.filter(pk__in=chosen).order_by("pk")
        if lock:
            found = found.select_for_update()
        records = {record.pk: record for record in found}
        for pk in chosen:
            record = records.get(pk)
            if record is None:
                result.refuse(pk, missing)
                continue
            try:
                with transaction.atomic():
                    act(record)
            except DomainError as refusal:
                result.refuse(pk, refusal.message)
            else:
                result.done.append(pk)
    return result
