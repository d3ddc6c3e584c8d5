from django.urls import path

from automat_web.system import views

app_name = "system"
urlpatterns = [path("", views.status, name="status")]
