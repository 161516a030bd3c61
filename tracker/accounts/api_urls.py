from tracker.accounts import api
from tracker.core.routers import Router

router = Router()
router.register("api-tokens", api.ApiTokenViewSet, basename="apitoken")
router.register("users", api.PersonViewSet, basename="person")
router.register("role-grants", api.RoleGrantViewSet, basename="rolegrant")
router.register("saved-filters", api.SavedFilterViewSet, basename="savedfilter")

urlpatterns = router.urls
