"""Project configuration: settings, URLs, ASGI/WSGI entry points, the API, Celery."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
