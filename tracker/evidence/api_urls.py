from tracker.core.routers import Router
from tracker.evidence import api

router = Router()
router.register("evidence", api.EvidenceViewSet, basename="evidence")

urlpatterns = router.urls
