"""Celery tasks: thin functions that call services. The app is ``automat_web.celery``;
it is re-exported here so that ``celery -A worker`` keeps working."""

from automat_web.celery import app

__all__ = ["app"]
