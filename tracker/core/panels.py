"""Panels that higher apps add to a lower app's page, so the lower app never imports them.

An app adds a panel to a page by defining `<page>_panel(request, obj) -> str` (HTML, or "" to show
nothing) in its `panels.py`; the page's view calls `page_panels(request, "<page>", obj)` and the
template prints the list in order (lower apps first).
"""

from tracker.core.discovery import app_modules


def page_panels(request, page: str, obj=None) -> list[str]:
    panels = []
    for module in app_modules("panels"):
        render_panel = getattr(module, f"{page}_panel", None)
        if render_panel is not None and (html := render_panel(request, obj)):
            panels.append(html)
    return panels
