from rest_framework.routers import SimpleRouter

from .views import UsageEventViewSet

router = SimpleRouter(trailing_slash=False)
router.register("events", UsageEventViewSet, basename="usage-event")

urlpatterns = router.urls
