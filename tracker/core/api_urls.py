from django.urls import path

from tracker.core import api
from tracker.core.routers import Router

router = Router()
router.register("audit-entries", api.AuditEntryViewSet, basename="auditentry")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
