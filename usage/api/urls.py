from rest_framework.routers import SimpleRouter

from .evals import EvalViewSet
from .views import UsageEventViewSet

router = SimpleRouter(trailing_slash=False)
router.register("events", UsageEventViewSet, basename="usage-event")
router.register("evals", EvalViewSet, basename="eval")

urlpatterns = router.urls
