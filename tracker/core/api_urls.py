from django.urls import path
from rest_framework.routers import SimpleRouter

from tracker.core import api

router = SimpleRouter()
router.register("audit-entries", api.AuditEntryViewSet, basename="auditentry")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
