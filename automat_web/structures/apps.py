from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "automat_web.structures"
    label = "structures"
    verbose_name = "Reconstructed structures"

    def ready(self) -> None:
        # Registers the energy task with whichever Celery app runs (the worker only
        # autodiscovers worker.tasks).
        from automat_web.structures import tasks  # noqa: F401
