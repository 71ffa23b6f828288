"""Background jobs of the files app (inline when no broker is configured)."""

from celery import shared_task

from files import previews
from files.models import FileVersion


@shared_task(ignore_result=True)
def make_preview(version_id: int) -> None:
    version = FileVersion.objects.filter(pk=version_id).first()
    if version is not None:
        previews.make_preview(version)
