from django.apps import AppConfig


class SamplesConfig(AppConfig):
    name = "automat_web.samples"
    label = "samples"
    verbose_name = "Samples and micrographs"
