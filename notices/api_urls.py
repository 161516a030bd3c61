from tracker.core.routers import Router

from . import api

router = Router()
router.register("notices", api.NoticeViewSet, basename="notice")
router.register("rebuttals", api.RebuttalViewSet, basename="rebuttal")
router.register("sanctions", api.SanctionViewSet, basename="sanction")
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = router.urls
