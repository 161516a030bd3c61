import zoneinfo

from django.utils import timezone, translation

from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry

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


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class UserPreferencesMiddleware:
    """Show each signed-in user the tracker in their own language and time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        return self.get_response(request)


class AuditContextMiddleware:
    """Audit entries written while serving a request say whether it came by the UI or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = AuditEntry.Source.API if request.path.startswith("/api/") else AuditEntry.Source.UI
        with audit_context(source, remote_addr=request.META.get("REMOTE_ADDR")):
            return self.get_response(request)
