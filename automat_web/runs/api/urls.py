from rest_framework.routers import SimpleRouter

from automat_web.runs.api.views import RunViewSet
from automat_web.structures.api.views import StructureViewSet

# SimpleRouter: the API root at /api/ belongs to the samples' DefaultRouter.
router = SimpleRouter()
router.register("runs", RunViewSet, basename="run")
router.register("structures", StructureViewSet, basename="structure")
urlpatterns = router.urls
