from django.urls import path

from automat_web.samples import views

app_name = "samples"
urlpatterns = [
    path("", views.sample_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/calibration/", views.calibration, name="calibration"),
    path("<int:pk>/signal/", views.signal, name="signal"),
    path("<int:pk>/mode/", views.imaging_mode, name="mode"),
    path("<int:pk>/sharing/", views.share, name="sharing"),
    path("<int:pk>/thumbnail.png", views.thumbnail, name="thumbnail"),
    path("<int:pk>/original", views.original, name="original"),
    path("<int:pk>/working.npy", views.working, name="working"),
    path("<int:pk>/compare/", views.compare, name="compare"),
    path("<int:pk>/provenance.zip", views.provenance_zip, name="provenance"),
]
