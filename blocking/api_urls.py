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


# Block proposals, compliance checks and the ISP registry (proposals_api.py, compliance_api.py, registry_api.py).
from . import compliance_api, proposals_api, registry_api, zone_transfer_api  # noqa: E402

registry_router = Router()
registry_router.register("block-proposals", proposals_api.BlockProposalViewSet, basename="blockproposal")
registry_router.register("compliance-alerts", compliance_api.ComplianceAlertViewSet, basename="compliancealert")
registry_router.register("isps", registry_api.ISPViewSet, basename="isp")
urlpatterns += [
    path("", include(registry_router.urls)),
    path(
        "block-orders/<int:pk>/compliance/",
        compliance_api.OrderComplianceView.as_view(),
        name="api-blockorder-compliance",
    ),
    path(
        "block-orders/<int:pk>/compliance/check/",
        compliance_api.OrderComplianceCheckView.as_view(),
        name="api-blockorder-compliance-check",
    ),
    path(
        "block-orders/<int:pk>/zone-transfers/",
        zone_transfer_api.OrderZoneTransfersView.as_view(),
        name="api-blockorder-zone-transfers",
    ),
]
