"""What every list page shares: its page size and its query string without the page."""

PAGE_SIZE = 50


def query_without_page(request) -> str:
    """The list's filters as a query string, for the pagination and export links to carry."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()
