from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("item-imports", api.ItemImportViewSet, basename="itemimport")

urlpatterns = [path("", include(router.urls))]
