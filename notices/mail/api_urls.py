from django.urls import include, path

from tracker.core.routers import Router

from . import api

router = Router()
router.register("inbound-mail", api.InboundMailViewSet, basename="inboundmail")

urlpatterns = [path("", include(router.urls))]
