from rest_framework.routers import SimpleRouter

from .views import FollowUpViewSet

router = SimpleRouter()
router.register("followups", FollowUpViewSet, basename="followup")
urlpatterns = router.urls
