"""The tracker's URLs: each app's (and room's) `urls.py` and `api_urls.py`, found by discovery, under one root."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from tracker.conf import health
from tracker.core.discovery import app_modules

# Rooms of an app that are not apps of their own.
ROOMS = ("notices.mail", "notices.outbox")

api_patterns = [pattern for module in app_modules("api_urls", within=ROOMS) for pattern in module.urlpatterns]
ui_patterns = [pattern for module in app_modules("urls", within=ROOMS) for pattern in module.urlpatterns]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    *ui_patterns,
]

handler400 = "tracker.core.views.bad_request"
handler403 = "tracker.core.views.permission_denied"
handler404 = "tracker.core.views.page_not_found"
handler500 = "tracker.core.views.server_error"
