"""Celery workers: the app and thin tasks that call services."""

from worker.celery import app

__all__ = ["app"]
