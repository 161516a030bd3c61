from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Figures about the work: platforms' answers, ISPs' compliance, the ministry's own backlog, and trends.
    It reads items, notices and block orders; nothing imports it."""

    name = "tracker.reports"
    label = "reports"
    verbose_name = "Reports"
