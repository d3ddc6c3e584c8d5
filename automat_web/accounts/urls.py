from django.urls import path

from automat_web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("labs/", views.lab_list, name="labs"),
    path("labs/new/", views.create_lab, name="create_lab"),
    path("labs/<int:pk>/", views.lab_detail, name="lab"),
    path("labs/<int:pk>/rename/", views.rename_lab, name="rename_lab"),
    path("labs/<int:pk>/members/", views.add_member, name="add_member"),
    path("labs/<int:pk>/members/<int:user_pk>/remove/", views.remove_member, name="remove_member"),
    path("labs/<int:pk>/members/<int:user_pk>/roles/", views.set_role, name="set_role"),
]
