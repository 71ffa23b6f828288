"""Celery application and its beat schedule; without a broker, tasks run inline
(CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("maillage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# `celery -A config beat`, in CELERY_TIMEZONE (the site's time zone). The digest jobs are
# idempotent (notifications.models.EmailDelivery): a beat that fires twice sends once.
app.conf.beat_schedule = {
    "overdue-decisions": {
        "task": "notifications.tasks.notify_overdue_decisions",
        "schedule": crontab(hour=6, minute=45),
    },
    "daily-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "weekly-digests": {
        "task": "notifications.tasks.send_weekly_digests",
        "schedule": crontab(hour=7, minute=15, day_of_week="mon"),
    },
    # RGPD: citizens' accounts unused for 3 years are deleted, 30 days at least after a warning
    # e-mail (idempotent, see the task).
    "forget-inactive-citizens": {
        "task": "accounts.tasks.forget_inactive_citizens",
        "schedule": crontab(hour=3, minute=15),
    },
}
