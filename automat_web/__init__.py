"""The automat web portal: Django project, apps, services and the ``automat`` CLI."""
