from django.urls import include, path

from tracker.core.routers import Router

from . import api

router = Router()
router.register("block-orders", api.BlockOrderViewSet, basename="blockorder")

urlpatterns = [
    path("", include(router.urls)),
    path("blocklist/", api.BlocklistView.as_view(), name="api-blocklist"),
    path("blocklist/public-key/", api.PublicKeyView.as_view(), name="api-blocklist-public-key"),
    path("blocklist/diff/", api.DiffView.as_view(), name="api-blocklist-diff"),
    path(
        "blocklist/diff/signature/",
        api.DiffView.as_view(),
        {"signature": True},
        name="api-blocklist-diff-signature",
    ),
    path("blocklist/export/<str:kind>/", api.ExportView.as_view(), name="api-blocklist-export"),
    path(
        "blocklist/export/<str:kind>/signature/",
        api.ExportView.as_view(),
        {"signature": True},
        name="api-blocklist-export-signature",
    ),
]
