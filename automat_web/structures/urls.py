from django.urls import path

from automat_web.structures import views

app_name = "structures"
urlpatterns = [
    path("", views.structure_list, name="list"),
    path("export.zip", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/energy/", views.energy, name="energy"),
    path("<int:pk>/promote/", views.promote, name="promote"),
    path("<int:pk>/structure.cif", views.cif, name="cif"),
    path("<int:pk>/annotations.json", views.annotations, name="annotations"),
]
