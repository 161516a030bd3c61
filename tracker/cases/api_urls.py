from rest_framework.routers import SimpleRouter

from tracker.cases import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = router.urls
