from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from automat_web.accounts.api import views

urlpatterns = [
    path("token/", views.TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(url_name="v1:schema"), name="docs"),
    path("redoc/", views.RedocView.as_view(url_name="v1:schema"), name="redoc"),
]
