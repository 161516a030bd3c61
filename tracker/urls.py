from importlib import import_module

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from tracker import api, views
from tracker.roles import PROJECT_APPS

router = DefaultRouter()
router.register("audit-entries", api.AuditEntryViewSet, basename="auditentry")

api_patterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
]
ui_patterns = []
# Each app, and each room of the tracker package, may add routes in <room>/api_urls.py and <room>/urls.py.
ROOMS = (
    "tracker.items",
    "tracker.imports",
    *(app for app in PROJECT_APPS if app != "tracker"),
    "notices.mail",
    "notices.outbox",
)
for room in ROOMS:
    for module_name, patterns in ((f"{room}.api_urls", api_patterns), (f"{room}.urls", ui_patterns)):
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        patterns.extend(module.urlpatterns)

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences_form, name="preferences"),
    path("preferences/save/", views.preferences, name="preferences-save"),
    path("audit/", views.audit_list, name="audit-list"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    *ui_patterns,
]

handler400 = "tracker.views.bad_request"
handler403 = "tracker.views.permission_denied"
handler404 = "tracker.views.page_not_found"
handler500 = "tracker.views.server_error"
