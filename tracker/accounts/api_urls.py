from tracker.accounts import api
from tracker.core.routers import Router

router = Router()
router.register("api-tokens", api.ApiTokenViewSet, basename="apitoken")

urlpatterns = router.urls
