"""Background jobs of notifications (Celery; inline when no broker is configured).

Jobs take ids, never model instances. Every e-mail goes through emails.deliver_once, so a
retried job never sends one twice; a failing job is logged and retried with exponential
backoff (SMTP or database trouble), never dropped silently.
"""

import logging
import smtplib
import time
from collections.abc import Callable
from datetime import date
from functools import partial

from celery import Task, shared_task
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import emails, rendering
from notifications.digests import Activity, Digest, Period, build_digests
from notifications.models import (
    EmailDelivery,
    Frequency,
    GroupEmailPreference,
    Mute,
    Notification,
    NotificationSettings,
)

logger = logging.getLogger(__name__)
BATCH_SIZE = 200
RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError, DatabaseError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "ignore_result": True,
}


class LoggedTask(Task):
    """A failure is logged with its arguments before Celery retries or gives up."""

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        logger.warning("task %s%s failed, retrying: %r", self.name, tuple(args), exc)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        logger.error("task %s%s failed for good: %r", self.name, tuple(args), exc)


def _task(**options):
    return shared_task(base=LoggedTask, **{**RETRY, **options})


# --- At once -----------------------------------------------------------------------------------


@_task()
def send_notification_email(notification_id: int) -> bool:
    """E-mail a mention or a message received offline, if still visible and not muted."""
    from notifications.policy import visible_notifications

    notification = Notification.objects.select_related("recipient").filter(pk=notification_id)
    notification = notification.first()
    if notification is None:
        return False
    user = notification.recipient
    found = (
        visible_notifications(user)
        .select_related("actor", "group")
        .filter(pk=notification_id)
        .first()
    )
    if found is None or not user.email:
        return False
    scope = "mentions" if found.kind == Notification.Kind.MENTION else "messages"

    def build():
        language = emails.language_of(user)
        with translation.override(language):
            subject = rendering.text(found)
            url = emails.site_url(rendering.url(found))
        return emails.build_message(
            user=user,
            subject=subject,
            template="notification",
            context={"notification": found, "url": url, "subject": subject},
            scope=scope,
            language=language,
        )

    return emails.deliver_once(f"notification:{found.pk}", user, build)


def every_post_recipients(post) -> list[User]:
    """Members of the post's group who want every post by e-mail and may read it."""
    from groups import policy as group_policy
    from groups.models import Membership

    members = Membership.objects.filter(group_id=post.group_id).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    chosen = GroupEmailPreference.objects.filter(group_id=post.group_id)
    wants = Q(pk__in=chosen.filter(frequency=Frequency.EVERY_POST).values("user_id")) | (
        ~Q(pk__in=chosen.values("user_id"))
        & Q(
            pk__in=NotificationSettings.objects.filter(
                default_frequency=Frequency.EVERY_POST
            ).values("user_id")
        )
    )
    muted = Mute.objects.filter(Q(group_id=post.group_id) | Q(post_id=post.pk)).values("user_id")
    return list(
        User.objects.filter(group_policy.readers_of(post.group))
        .filter(pk__in=members.values("user_id"))
        .filter(wants)
        .exclude(pk=post.author_id)
        .exclude(pk__in=muted)
        .select_related("notification_settings")
    )


@_task()
def notify_unread_message(message_id: int, user_ids: list[int]) -> int:
    """The in-app notification (and the e-mail due at once) of a message to participants
    who were offline when it was sent (notifications.triggers.message_sent); how many were
    told. A retry is harmless: the notification of a conversation is grouped while unread,
    and an e-mail leaves once (emails.deliver_once)."""
    from messaging.models import Message
    from notifications.services import Target, notify
    from notifications.triggers import excerpt

    message = Message.objects.select_related("author", "conversation").filter(pk=message_id).first()
    if message is None or message.is_deleted:
        return 0
    return len(
        notify(
            recipients=User.objects.filter(pk__in=user_ids),
            kind=Notification.Kind.MESSAGE,
            actor=message.author,
            target=Target(Notification.Kind.MESSAGE, conversation=message.conversation),
            title=excerpt(message.body),
        )
    )


@_task()
def send_post_emails(post_id: int) -> int:
    """A new post, to the members who chose « à chaque publication » for its group."""
    from social.models import Post
    from social.policy import can_view_post

    post = Post.objects.select_related("group", "author").filter(pk=post_id).first()
    if post is None or post.group_id is None or post.is_deleted:
        return 0
    sent = 0
    for user in every_post_recipients(post):
        if not can_view_post(user, post):
            continue

        def build(user=user):
            settings_row = getattr(user, "notification_settings", None)
            language = emails.language_of(user, settings_row or NotificationSettings())
            with translation.override(language):
                subject = _("%(author)s dans « %(group)s »") % {
                    "author": post.author.display_name,
                    "group": post.group.name,
                }
            return emails.build_message(
                user=user,
                subject=subject,
                template="post",
                context={
                    "post": post,
                    "url": emails.site_url(post_url(post)),
                    "subject": subject,
                },
                scope=f"group:{post.group_id}",
                language=language,
            )

        sent += emails.deliver_once(f"post:{post.pk}:{user.pk}", user, build)
    return sent


def post_url(post) -> str:
    from django.urls import reverse

    return reverse("social:post", args=[post.pk])


# --- Digests -----------------------------------------------------------------------------------


def digest_subject(digest: Digest) -> str:
    if digest.period.frequency == Frequency.DAILY:
        title = _("Votre résumé du jour")
    else:
        title = _("Votre résumé de la semaine")
    if digest.actions:
        return _("%(title)s : %(n)s action(s) attendue(s)") % {"title": title, "n": digest.actions}
    return title


EXCERPT_CHARS = 200


def _shown(target, path: Callable[[], str], text: str | None = None) -> None:
    """What a digest shows of an object (its address, an excerpt of its text): worked out once
    per object, however many digests of the batch show it."""
    if hasattr(target, "digest_url"):
        return
    target.digest_url = emails.site_url(path())
    if text is not None:
        target.digest_excerpt = Truncator(text).chars(EXCERPT_CHARS)


def digest_message(digest: Digest):
    from django.urls import reverse

    user = digest.user
    settings_row = getattr(user, "notification_settings", None)
    language = emails.language_of(user, settings_row or NotificationSettings())
    with translation.override(language):
        subject = digest_subject(digest)
    for meeting in digest.meetings_awaiting:
        _shown(meeting, meeting.get_absolute_url)
    for decision in [*digest.decisions_due, *digest.decisions_taken]:
        _shown(
            decision, lambda d=decision: reverse("meetings:decision", args=[d.pk]), decision.text
        )
    for request in digest.requests:
        _shown(request, lambda r=request: reverse("groups:requests", args=[r.group.slug]))
    for post in digest.posts:
        _shown(post, lambda p=post: post_url(p), post.body)
    return emails.build_message(
        user=user,
        subject=subject,
        template="digest",
        context={
            "digest": digest,
            "subject": subject,
            "today": timezone.localdate(),
        },
        scope=digest.period.frequency,
        language=language,
    )


def digest_key(user_id: int, period: Period) -> str:
    return f"digest:{period.frequency}:{period.key}:{user_id}"


def send_digests(
    users: list[User], period: Period, activity: Activity | None = None, *, done=frozenset()
) -> int:
    """Build and send these people's digests for `period`, each at most once (a few queries
    for the whole batch, one connection to the mail server); returns how many left now.
    `done`: ids of those whose digest the caller already knows left (a batch asks once)."""
    todo = [user for user in users if user.pk not in done and user.email]
    digests = build_digests(todo, period, activity)
    deliveries = [
        (digest_key(user.pk, period), user, partial(digest_message, digest))
        for user in todo
        if (digest := digests[user.pk]) is not None and not digest.is_empty
    ]
    return len(emails.deliver_many(deliveries))


def digest_recipients() -> list[int]:
    """Ids of the people who may get a digest: active members of at least one group."""
    from groups.models import Membership

    members = Membership.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    ).values("user_id")
    return list(
        User.objects.filter(is_active=True, pk__in=members)
        .exclude(kind=User.Kind.CITIZEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _start(frequency: str, day: str | None) -> int:
    when = date.fromisoformat(day) if day else timezone.localdate()
    period = Period.of(frequency, when)
    ids = digest_recipients()
    for start in range(0, len(ids), BATCH_SIZE):
        send_digest_batch.delay(ids[start : start + BATCH_SIZE], frequency, when.isoformat())
    logger.info("%s digests %s: %s people in batches", frequency, period.key, len(ids))
    return len(ids)


@_task()
def send_daily_digests(day: str | None = None) -> int:
    """Celery beat, every morning: yesterday's digest to each person who wants one."""
    return _start(Frequency.DAILY, day)


@_task()
def send_weekly_digests(day: str | None = None) -> int:
    """Celery beat, every Monday morning: last week's digest."""
    return _start(Frequency.WEEKLY, day)


_activities: dict[str, tuple[float, Activity]] = {}
ACTIVITY_SECONDS = 600


def _activity_of(period: Period) -> Activity:
    """The period's activity, read once per worker process for all its batches while nothing
    new is written (it holds post ids and counts only: what each person may see is checked
    person by person)."""
    from django.db.models import Max

    from social.models import Comment, Post

    # Anything written since makes it stale (two indexed look-ups instead of the day's scan).
    last_post = Post.objects.aggregate(last=Max("pk"))["last"]
    last_comment = Comment.objects.aggregate(last=Max("pk"))["last"]
    key = f"{period.frequency}:{period.key}:{last_post}:{last_comment}"
    found = _activities.get(key)
    if found is None or time.monotonic() - found[0] > ACTIVITY_SECONDS:
        _activities.clear()
        found = _activities[key] = (time.monotonic(), Activity.of(period))
    return found[1]


@_task()
def send_digest_batch(user_ids: list[int], frequency: str, day: str) -> int:
    """The digests of a batch of people; a retry skips those already sent."""
    if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
        raise ValueError(frequency)
    period = Period.of(frequency, date.fromisoformat(day))
    activity = _activity_of(period)
    done = set(
        EmailDelivery.objects.filter(
            key__in=[digest_key(pk, period) for pk in user_ids], sent_at__isnull=False
        ).values_list("recipient_id", flat=True)
    )
    users = User.objects.filter(pk__in=user_ids, is_active=True).select_related(
        "notification_settings"
    )
    return send_digests(list(users), period, activity, done=done)


# --- Overdue decisions ---------------------------------------------------------------------------


@_task()
def notify_overdue_decisions() -> int:
    """Celery beat, every morning: each owner of an open decision past its due date hears of
    it once."""
    from meetings.models import Decision
    from notifications.services import Target, notify

    told = Notification.objects.filter(kind=Notification.Kind.DECISION_OVERDUE).values(
        "decision_id"
    )
    overdue = (
        Decision.objects.filter(
            status__in=Decision.OPEN, due_on__lt=timezone.localdate(), owner__is_active=True
        )
        .exclude(pk__in=told)
        .select_related("owner", "meeting__group")
    )
    count = 0
    for decision in overdue:
        count += len(
            notify(
                recipients=[decision.owner],
                kind=Notification.Kind.DECISION_OVERDUE,
                target=Target(Notification.Kind.DECISION_OVERDUE, decision=decision),
                title=" ".join(decision.text.split())[:120],
            )
        )
    return count
