from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

API_V1 = [
    path("", include("automat_web.samples.api.urls")),
    path("", include("automat_web.runs.api.urls")),
    path("", include("automat_web.accounts.api.urls")),
    path("", include("templates_lib.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="samples:list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("samples/", include("automat_web.samples.urls")),
    path("status/", include("automat_web.system.urls")),
    path("runs/", include("automat_web.runs.urls")),
    path("structures/", include("automat_web.structures.urls")),
    path("accounts/", include("automat_web.accounts.urls")),
    path("api/v1/", include((API_V1, "v1"))),
    # Unversioned aliases of v1, for the scripts and the CLI written before /api/v1/.
    path("api/", include("automat_web.samples.api.urls")),
    path("api/", include("automat_web.runs.api.urls")),
    path("api/", include("templates_lib.api.urls")),
    path("admin/", admin.site.urls),
]
