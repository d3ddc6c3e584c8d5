from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from automat_web.accounts.api import views
from automat_web.accounts.api.labs import LabViewSet

router = SimpleRouter()
router.register("labs", LabViewSet, basename="lab")

urlpatterns = [
    *router.urls,
    path("token/", views.TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(url_name="v1:schema"), name="docs"),
    path("redoc/", views.RedocView.as_view(url_name="v1:schema"), name="redoc"),
]
