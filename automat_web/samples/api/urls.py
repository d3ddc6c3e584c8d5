from rest_framework.routers import DefaultRouter

from automat_web.samples.api.views import SampleViewSet

router = DefaultRouter()
router.register("samples", SampleViewSet, basename="sample")
urlpatterns = router.urls
