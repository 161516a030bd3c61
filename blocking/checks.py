"""Configuration checks of blocking, run by `manage.py check` and before the server starts."""

from django.conf import settings
from django.core import checks

from tracker.core.deadlines import InvalidDeadlineRule


@checks.register()
def isp_deadline_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A bad ISP deadline setting would otherwise surface only when the sweep issues an order."""
    from .services import rules_from_settings

    problems = []
    try:
        rules_from_settings({})
    except InvalidDeadlineRule as exc:
        problems.append(
            checks.Error(
                f"ISP deadline settings (BLOCKING_ACK_DEADLINE, BLOCKING_IMPLEMENT_DEADLINE, "
                f"BLOCKING_DEADLINE_*): {exc}",
                id="blocking.E001",
            )
        )
    reminders = settings.BLOCKING_ISP_REMINDERS
    if any(isinstance(value, bool) or not isinstance(value, int) for value in reminders):
        problems.append(
            checks.Error(f"BLOCKING_ISP_REMINDERS must be whole minutes, not {reminders!r}", id="blocking.E002")
        )
    return problems
