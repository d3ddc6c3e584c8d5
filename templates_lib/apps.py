from django.apps import AppConfig


class TemplatesLibConfig(AppConfig):
    name = "templates_lib"
    label = "templates_lib"
    verbose_name = "Template library"
    default_auto_field = "django.db.models.BigAutoField"
