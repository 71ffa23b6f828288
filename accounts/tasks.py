"""Background jobs of accounts (inline when no broker is configured)."""

from celery import shared_task

from accounts import services


@shared_task(ignore_result=True)
def forget_inactive_citizens() -> None:
    """The retention the processing notice promises (accounts.notice.RETENTION_YEARS), daily
    from Celery beat: warn those whose account goes within a month, then forget those whose
    time is up."""
    services.warn_inactive_citizens()
    services.forget_inactive_citizens()
