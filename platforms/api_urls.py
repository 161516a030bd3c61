from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("platforms", api.PlatformViewSet, basename="platform")
router.register("platform-contacts", api.PlatformContactViewSet, basename="platformcontact")
router.register("advisories", api.GovernmentAdvisoryViewSet, basename="governmentadvisory")
router.register("advisory-reasons", api.AdvisoryReasonViewSet, basename="advisoryreason")

urlpatterns = [path("", include(router.urls))]
