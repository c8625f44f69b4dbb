"""Routes of the CBAM API, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from cbam.api.views import InstallationViewSet

router = SimpleRouter()
router.register("installations", InstallationViewSet, basename="installation")

urlpatterns = router.urls
