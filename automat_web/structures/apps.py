from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "automat_web.structures"
    label = "structures"
    verbose_name = "Reconstructed structures"
