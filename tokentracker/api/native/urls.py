"""Our own API under /api/v1/, described by drf-spectacular (the events read-back is
MyTokenTracker's contract and lives in `mytokentracker`)."""

from rest_framework.routers import SimpleRouter

from .evals import EvalViewSet

router = SimpleRouter(trailing_slash=False)
router.register("evals", EvalViewSet, basename="eval")

urlpatterns = router.urls
