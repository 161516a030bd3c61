from rest_framework.routers import SimpleRouter

from tracker.items import api

router = SimpleRouter()
router.register("categories", api.CategoryViewSet, basename="category")
router.register("items", api.FlaggedItemViewSet, basename="flaggeditem")

urlpatterns = router.urls
