from django.urls import path

from automat_web.structures import views

app_name = "structures"
urlpatterns = [
    path("<int:pk>/structure.cif", views.cif, name="cif"),
]
