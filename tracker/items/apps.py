from django.apps import AppConfig


class ItemsConfig(AppConfig):
    """A room of the tracker package; its models keep the app label "tracker" (and so their tables)."""

    name = "tracker.items"
    label = "items"
