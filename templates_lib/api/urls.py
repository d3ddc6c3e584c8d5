from django.urls import path

from templates_lib.api import views

urlpatterns = [
    path("templates/search/", views.TemplateSearchView.as_view(), name="template-search"),
]
