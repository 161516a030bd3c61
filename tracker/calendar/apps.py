from django.apps import AppConfig


class CalendarConfig(AppConfig):
    """Each person's private iCalendar feed of the deadlines that concern them. It reads notices and block orders;
    nothing imports it."""

    name = "tracker.calendar"
    label = "calendar_feeds"
    verbose_name = "Calendar feeds"
