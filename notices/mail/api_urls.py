from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("inbound-mail", api.InboundMailViewSet, basename="inboundmail")

urlpatterns = [path("", include(router.urls))]
