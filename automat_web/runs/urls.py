from django.urls import path

from automat_web.runs import views

app_name = "runs"
urlpatterns = [
    path("<int:pk>/", views.panel, name="panel"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/rerun/", views.rerun, name="rerun"),
    path("<int:pk>/artifacts/<int:artifact_pk>/", views.artifact, name="artifact"),
    path("start/<int:sample_pk>/", views.start, name="start"),
]
