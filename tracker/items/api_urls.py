from tracker.core.routers import Router
from tracker.items import api

router = Router()
router.register("categories", api.CategoryViewSet, basename="category")
router.register("items", api.FlaggedItemViewSet, basename="flaggeditem")

urlpatterns = router.urls
