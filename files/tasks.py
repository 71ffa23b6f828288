"""Background jobs of the files app (inline when no broker is configured)."""

from celery import shared_task

from files import previews, services
from files.models import FileVersion


@shared_task(ignore_result=True)
def make_preview(version_id: int) -> None:
    version = FileVersion.objects.filter(pk=version_id).first()
    if version is not None:
        previews.make_preview(version)


@shared_task(ignore_result=True)
def purge_files() -> None:
    """What `manage.py purge_files` does, for Celery beat (docs/deploy.md)."""
    services.purge_deleted()
    services.purge_stale_uploads()
