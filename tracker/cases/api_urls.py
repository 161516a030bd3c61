from tracker.cases import api
from tracker.core.routers import Router

router = Router()
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = router.urls
