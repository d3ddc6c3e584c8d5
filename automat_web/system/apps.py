from django.apps import AppConfig


class SystemConfig(AppConfig):
    name = "automat_web.system"
    label = "system"
    verbose_name = "System status"
