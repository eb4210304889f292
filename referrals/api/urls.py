from rest_framework.routers import SimpleRouter

from .views import ReferralViewSet, ServiceViewSet

router = SimpleRouter()
router.register("services", ServiceViewSet, basename="service")
router.register("referrals", ReferralViewSet, basename="referral")
urlpatterns = router.urls
