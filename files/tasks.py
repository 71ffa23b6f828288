"""Background jobs of the files app (inline when no broker is configured)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from files import previews, services, texts
from files.models import FileVersion


@shared_task(ignore_result=True)
def make_preview(version_id: int) -> None:
    version = FileVersion.objects.filter(pk=version_id).first()
    if version is not None:
        previews.make_preview(version)


# Storage or database unreachable for a while: retried with growing, jittered delays. A file
# that cannot be read as text is not an error (files.texts logs it and stores no text).
@shared_task(
    ignore_result=True,
    autoretry_for=(OSError, OperationalError, InterfaceError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=120,
    time_limit=180,
)
def extract_text(version_id: int) -> None:
    texts.index_version(version_id)


@shared_task(ignore_result=True)
def purge_files() -> None:
    """What `manage.py purge_files` does, for Celery beat (docs/deploy.md)."""
    services.purge_deleted()
    services.purge_stale_uploads()
