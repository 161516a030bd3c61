from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("transparency-reports", api.TransparencyReportViewSet, basename="transparency-report")

urlpatterns = [path("figures/", api.FiguresView.as_view(), name="api-figures"), *router.urls]
