"""Background jobs of accounts (inline when no broker is configured)."""

from celery import shared_task

from accounts import services


@shared_task(ignore_result=True)
def forget_inactive_citizens() -> None:
    """The retention the processing notice promises (accounts.notice.RETENTION_YEARS), daily
    from Celery beat: warn those whose account may go within a month (or may already, unwarned),
    then forget those warned long enough ago. The forgetting runs whatever becomes of the
    warnings (it only deletes accounts whose warning was given, see accounts.services)."""
    try:
        services.warn_inactive_citizens()
    finally:
        services.forget_inactive_citizens()
