"""E-mails of notifications: one-click unsubscribe links, the recipient's language, and
sending each e-mail at most once (EmailDelivery)."""

import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
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


Build = Callable[[], EmailMultiAlternatives | None]


def deliver_once(key: str, user: User, build: Build, connection=None) -> bool:
    """Send the e-mail `build()` makes unless the one with this key already left; returns
    whether it was sent now (`deliver_many` for one e-mail)."""
    return key in deliver_many([(key, user, build)], connection=connection)


def deliver_many(deliveries: Sequence[tuple[str, User, Build]], connection=None) -> set[str]:
    """Send each e-mail whose key has not left yet, over one connection to the mail server;
    returns the keys sent now.

    Each e-mail is claimed, sent and marked sent in its own short transaction (its row locked,
    skipped when another worker holds it), so a job killed or cut from the database midway
    leaves every e-mail that left marked sent: its retry sends at most one of them twice (the
    one in flight). `build()` returning None (nothing worth sending) marks it done too.
    Costs two queries for the batch, then two per e-mail (lock, mark).
    """
    if not deliveries:
        return set()
    # INSERT … ON CONFLICT DO NOTHING: one statement, whether the rows exist or not.
    EmailDelivery.objects.bulk_create(
        [EmailDelivery(key=key, recipient=user) for key, user, _build in deliveries],
        ignore_conflicts=True,
    )
    pending = dict(
        EmailDelivery.objects.filter(
            key__in=[key for key, _user, _build in deliveries], sent_at__isnull=True
        ).values_list("key", "pk")
    )
    if not pending:
        return set()
    sent: set[str] = set()
    backend = connection or get_connection()
    opened = bool(backend.open())
    try:
        for key, user, build in deliveries:
            pk = pending.pop(key, None)  # a key given twice is sent once
            if pk is not None and _deliver(pk, build, backend):
                sent.add(key)
                logger.info("e-mail %s sent to user %s", key, user.pk)
    finally:
        if opened:
            backend.close()
    return sent


def _deliver(pk: int, build: Build, backend) -> bool:
    """Claim one delivery, send it and mark it sent, in one transaction: committed as soon as
    it left. False when it was sent or is being sent by another worker, or not worth sending."""
    with transaction.atomic():
        claimed = (
            EmailDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, sent_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not claimed:
            return False
        message = build()
        if message is not None:
            message.connection = backend
            message.send()
        EmailDelivery.objects.filter(pk=pk).update(
            sent_at=timezone.now(), skipped=message is None, attempts=F("attempts") + 1
        )
    return message is not None
