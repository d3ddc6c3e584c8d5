from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "automat_web.runs"
    label = "runs"
    verbose_name = "Agent runs and their steps"
