"""Signed-in sessions: supervisors and administrators reach nothing but the second-factor page until they have
given a code; every session ends after a while without use."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from tracker.core.rest import error_body

from .second_factor import SESSION_REQUIRED_KEY, session_is_verified

OPEN_PATHS = ("/login/", "/logout/", "/reset/", "/account/second-factor/", "/static/", "/i18n/", "/jsi18n/", "/healthz")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The session says whether this person needed a second factor when they signed in (no query per request).
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(SESSION_REQUIRED_KEY)
            and not session_is_verified(request)
            and not request.path.startswith(OPEN_PATHS)
            and request.user.is_authenticated
        ):
            if request.path.startswith("/api/"):
                message = _("Give your second factor at /account/second-factor/ first, or use an API token.")
                return JsonResponse(error_body(403, "second_factor_required", message), status=403)
            return redirect(f"{reverse('second-factor')}?next={quote(request.get_full_path())}")
        return self.get_response(request)


IDLE_KEY = "last_seen"
IDLE_MARK_EVERY = 60  # seconds: the session is written at most once a minute, not on every request


class IdleSessionMiddleware:
    """Sign a person out after SESSION_IDLE_MINUTES without a request (a screen left open in an office)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            last_seen = session.get(IDLE_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                if request.path.startswith("/api/"):
                    message = _("Your session ended after a while without use. Sign in again.")
                    return JsonResponse(error_body(401, "session_expired", message), status=401)
                messages.info(request, _("You were signed out after a while without use."))
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.get_full_path())}")
            if now - last_seen >= IDLE_MARK_EVERY or IDLE_KEY not in session:
                session[IDLE_KEY] = now
        return self.get_response(request)
