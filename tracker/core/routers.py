"""The API's one router."""

from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Routes whose records are looked up by number take only digits, so `/notifications/abc/` is a 404
    rather than a lookup the database cannot make."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None and getattr(viewset, "lookup_field", "pk") in (
            "pk",
            "id",
        ):
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)
