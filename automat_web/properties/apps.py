from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "automat_web.properties"
    label = "properties"
    verbose_name = "Property prediction"
