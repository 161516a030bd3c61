from django.urls import include, path

from tracker.core.routers import Router

from . import api

router = Router()
router.register("platforms", api.PlatformViewSet, basename="platform")
router.register("platform-contacts", api.PlatformContactViewSet, basename="platformcontact")
router.register("advisories", api.GovernmentAdvisoryViewSet, basename="governmentadvisory")
router.register("advisory-reasons", api.AdvisoryReasonViewSet, basename="advisoryreason")

urlpatterns = [path("", include(router.urls))]
