from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """A room of the tracker package; its models keep the app label "tracker" (and so their tables)."""

    name = "tracker.evidence"
    label = "evidence"
