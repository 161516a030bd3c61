import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry
from tracker.core.preferences import use_preferences_of
from tracker.core.rest import error_body

# Everything is served from the tracker itself: no CDN, no web fonts, no third-party calls.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)


# Self-contained, like 500.html: the refusal comes before sessions and users, so no template context.
URL_TOO_LONG_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Address too long</title>
<link rel="stylesheet" href="/static/tracker/tracker.css"></head><body><main><section class="card narrow">
<h1>This address is too long</h1><p>The address is {length} characters long; the tracker takes at most {limit}.
If you followed a link, it was cut or built wrongly; if you searched with many filters, use fewer.</p>
<p>Alamat ini terlalu panjang (paling banyak {limit} karakter).</p><p><a href="/">Back to the start page</a></p>
</section></main></body></html>"""


class RefuseLongUrlsMiddleware:
    """Answer 414 to an address (path and query) longer than REQUEST_URL_MAX_LENGTH, before any other work.

    Gunicorn would refuse it with its own HTML page; it lets longer request lines through (see
    deploy/gunicorn.conf.py) so that the answer is the tracker's: the API's error shape, or a readable page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length, limit = len(request.get_full_path()), settings.REQUEST_URL_MAX_LENGTH
        if length <= limit:
            return self.get_response(request)
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            message = (
                f"The address is {length} characters long; the tracker takes at most {limit}. "
                "Send fewer or shorter query parameters."
            )
            return JsonResponse(error_body(414, "uri_too_long", message), status=414)
        return HttpResponse(URL_TOO_LONG_PAGE.format(length=length, limit=limit), status=414)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class NeverStoreSignedInPagesMiddleware:
    """What a signed-in person sees is never kept by a browser's cache or a proxy (a shared ministry PC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response


class UserPreferencesMiddleware:
    """Show each signed-in user the tracker in their own language and time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            use_preferences_of(user, request)
        else:
            timezone.deactivate()
        return self.get_response(request)


class AuditContextMiddleware:
    """Audit entries written while serving a request say whether it came by the UI or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = AuditEntry.Source.API if request.path.startswith("/api/") else AuditEntry.Source.UI
        with audit_context(source, remote_addr=client_address(request)):
            return self.get_response(request)


def client_address(request) -> str | None:
    """Who connected. Behind the ministry's reverse proxy (BEHIND_TLS_PROXY) that is the last address in the
    X-Forwarded-For header, the one the proxy itself appends (earlier ones are whatever the client claimed);
    otherwise, or if that entry is not an address, the connection's own."""
    if settings.BEHIND_TLS_PROXY:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").rpartition(",")[2].strip()
        try:
            return str(ipaddress.ip_address(appended))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")
