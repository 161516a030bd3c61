from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("categories", api.CategoryViewSet, basename="category")
router.register("items", api.FlaggedItemViewSet, basename="flaggeditem")
router.register("evidence", api.EvidenceViewSet, basename="evidence")
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = router.urls
