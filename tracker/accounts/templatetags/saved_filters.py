from django import template

from tracker.accounts import saved_filters as service

register = template.Library()


@register.inclusion_tag("accounts/_saved_filters.html", takes_context=True)
def saved_filters(context, list_name: str):
    """The viewer's saved filters of the list `list_name`, and a form to save the current one."""
    request = context["request"]
    saved = service.filters_of(request.user, list_name)
    for entry in saved:
        entry.address = service.address_of(entry)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "list_name": list_name,
        "saved": saved,
        "current_query": service.filter_query(request.GET.urlencode()),
    }
