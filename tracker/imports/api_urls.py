from django.urls import include, path

from tracker.core.routers import Router

from . import api

router = Router()
router.register("item-imports", api.ItemImportViewSet, basename="itemimport")

urlpatterns = [path("", include(router.urls))]
