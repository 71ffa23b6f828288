"""Deployment checks of the files app (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def downloads_go_through_nginx(app_configs, **kwargs):
    """Daphne writes a download to the socket without waiting for the client: a slow client
    makes the process read the whole file into memory (bench/files.py measured +513 MiB for
    one client at 10 MB/s). Behind nginx, X-Accel-Redirect lets nginx send the bytes."""
    if settings.DEBUG or settings.FILES_S3_BUCKET or settings.FILES_ACCEL_REDIRECT_PREFIX:
        return []
    return [
        Warning(
            "Downloads of shared files are streamed by the application server.",
            hint="Set FILES_ACCEL_REDIRECT_PREFIX and the matching internal nginx location "
            "(docs/deploy.md, Files).",
            id="files.W001",
        )
    ]
