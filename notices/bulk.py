"""Bulk actions on notices: send the selected prepared notices, each through `sending.confirm_prepared_notice`
in its own savepoint, refusals reported per id.

Who may: as the per-notice service (`notices.send_notice`: liaison officers and supervisors).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from tracker.core.bulk import BulkResult, each_record
from tracker.core.errors import require_permission

from . import sending
from .models import Notice


def bulk_confirm(*, actor, ids) -> BulkResult:
    """Send every selected notice that is prepared and waiting for confirmation; its deadline runs from now."""
    require_permission(actor, "notices.send_notice")
    # Not locked here: the service locks each notice it sends.
    return each_record(
        Notice.objects.only("pk"),
        ids=ids,
        act=lambda notice: sending.confirm_prepared_notice(notice=notice, actor=actor),
        missing=_("No such notice."),
        lock=False,
    )
