from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The global search: one box that finds items, cases, notices, orders and platforms. It reads every app
    below it and nothing imports it."""

    name = "tracker.search"
    label = "search"
