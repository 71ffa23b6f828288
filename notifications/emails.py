"""E-mails of notifications: one-click unsubscribe links, the recipient's language, and
sending each e-mail at most once (EmailDelivery)."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from notifications.models import EmailDelivery, NotificationSettings

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def site_url(path: str) -> str:
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_DOMAIN}{path}"


def unsubscribe_token(user: User, scope: str) -> str:
    return signing.dumps({"u": user.pk, "s": scope}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, scope) of a token we signed, or None. No expiry: a link in an old e-mail
    must still work (RFC 8058)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    if not isinstance(data.get("s"), str):
        return None
    return data["u"], data["s"]


def unsubscribe_url(user: User, scope: str) -> str:
    return site_url(reverse("notifications:unsubscribe", args=[unsubscribe_token(user, scope)]))


def language_of(user: User, found: NotificationSettings | None = None) -> str:
    if found is None:
        found = NotificationSettings.objects.filter(user=user).first()
    return (found.language if found else "") or settings.LANGUAGE_CODE


def build_message(
    *,
    user: User,
    subject: str,
    template: str,
    context: dict,
    scope: str,
    language: str,
) -> EmailMultiAlternatives:
    """A text and HTML e-mail in `language`, with its one-click unsubscribe link in the body
    and in the List-Unsubscribe headers (RFC 2369 and 8058)."""
    unsubscribe = unsubscribe_url(user, scope)
    with translation.override(language):
        context = {
            **context,
            "user": user,
            "unsubscribe_url": unsubscribe,
            "site_url": site_url("/"),
            "preferences_url": site_url(reverse("notifications:preferences")),
            "language": language,
        }
        text = render_to_string(f"notifications/email/{template}.txt", context)
        html = render_to_string(f"notifications/email/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + str(subject),
            body=text,
            to=[user.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
                "Content-Language": language,
            },
        )
        message.attach_alternative(html, "text/html")
    return message


def deliver_once(
    key: str, user: User, build: Callable[[], EmailMultiAlternatives | None], connection=None
) -> bool:
    """Send the e-mail `build()` makes unless the one with this key already left; returns
    whether it was sent now.

    The delivery row is written first; the sending holds its lock, and marks it sent in the
    same transaction, so a job retried (or run twice at once) finds it done or busy and
    sends nothing. `build()` returning None (nothing worth sending) marks it done too. A
    failure to send rolls the mark back and raises, for the job to retry.
    """
    # INSERT … ON CONFLICT DO NOTHING: one statement, whether the row exists or not.
    EmailDelivery.objects.bulk_create(
        [EmailDelivery(key=key, recipient=user)], ignore_conflicts=True
    )
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(skip_locked=True)
            .filter(key=key, sent_at__isnull=True)
            .first()
        )
        if delivery is None:
            return False  # sent already, or being sent by another worker right now
        message = build()
        delivery.sent_at = timezone.now()
        delivery.skipped = message is None
        if message is not None:
            message.connection = connection
            message.send()
        delivery.attempts += 1
        delivery.save(update_fields=["sent_at", "skipped", "attempts"])
    if message is not None:
        logger.info("e-mail %s sent to user %s", key, user.pk)
    return message is not None
