from rest_framework.routers import SimpleRouter

from tracker.evidence import api

router = SimpleRouter()
router.register("evidence", api.EvidenceViewSet, basename="evidence")

urlpatterns = router.urls
