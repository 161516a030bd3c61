from django.apps import AppConfig


class CasesConfig(AppConfig):
    """A room of the tracker package; its models keep the app label "tracker" (and so their tables)."""

    name = "tracker.cases"
    label = "cases"
