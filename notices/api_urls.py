from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("notices", api.NoticeViewSet, basename="notice")
router.register("rebuttals", api.RebuttalViewSet, basename="rebuttal")
router.register("sanctions", api.SanctionViewSet, basename="sanction")
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = router.urls
