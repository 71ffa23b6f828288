"""Writes of notifications: notify (with mutes and visibility), read state, mutes, e-mail
preferences and unsubscribing. One function per action; side effects after commit."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import events, policy
from notifications.models import (
    MAX_ACTORS,
    TITLE_MAX_LENGTH,
    Frequency,
    GroupEmailPreference,
    Mute,
    Notification,
    NotificationSettings,
)

logger = logging.getLogger(__name__)
Kind = Notification.Kind
MAX_IDS = 500  # ids marked read in one request
# Kinds e-mailed at once (unless the person turned it off), the others wait for digests.
EMAILED_AT_ONCE = {Kind.MENTION: "email_mentions", Kind.MESSAGE: "email_messages"}


@dataclass(frozen=True)
class Target:
    """What a notification is about: exactly one object, and the kind of notification (the
    policy of a group's notifications depends on it)."""

    kind: str
    post: Any = None
    file: Any = None
    meeting: Any = None
    decision: Any = None
    group: Any = None
    invitation: Any = None
    conversation: Any = None
    contribution: Any = None

    NAMES = (
        "post",
        "file",
        "decision",
        "meeting",
        "invitation",
        "group",
        "conversation",
        "contribution",
    )

    def __post_init__(self) -> None:
        if sum(getattr(self, name) is not None for name in self.NAMES) != 1:
            raise ValueError("a notification has exactly one target")

    @property
    def name(self) -> str:
        return next(name for name in self.NAMES if getattr(self, name) is not None)

    @property
    def object(self):
        return getattr(self, self.name)

    def fields(self) -> dict[str, Any]:
        return {self.name: self.object}

    def group_key(self) -> str:
        return f"{self.kind}:{self.name}:{self.object.pk}"

    def mute_filter(self) -> Q:
        """A filter on Mute: the mutes that silence this target."""
        if self.post is not None:
            found = Q(post=self.post)
            return found | Q(group_id=self.post.group_id) if self.post.group_id else found
        if self.file is not None:
            return Q(file=self.file)
        if self.decision is not None:
            meeting = self.decision.meeting
            return Q(meeting_id=meeting.pk) | Q(group_id=meeting.group_id)
        if self.meeting is not None:
            return Q(meeting=self.meeting) | Q(group_id=self.meeting.group_id)
        if self.conversation is not None:
            return Q(conversation=self.conversation)
        if self.invitation is not None:
            return Q(group_id=self.invitation.group_id)
        if self.group is not None:
            return Q(group=self.group)
        return Q(pk__in=[])  # a consultation request: only its author hears of it


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TITLE_MAX_LENGTH else text[: TITLE_MAX_LENGTH - 1] + "…"


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    target: Target,
    actor: User | None = None,
    title: str = "",
    comment_id: int | None = None,
    detail: str = "",
) -> list[Notification]:
    """Tell these people that `actor` did `kind` about `target`; returns the notifications
    written (new or grouped).

    Nobody is told about their own action, about a target they muted, or about a target the
    owning app's policy does not let them see. Grouped kinds (Notification.GROUPED) add the
    actor to the recipient's unread notification about the same target, if there is one.
    The unread count goes to the recipients' sockets and the e-mails due at once leave after
    commit.
    """
    if kind not in Kind.values:
        raise ValueError(kind)
    people = {
        p.pk: p
        for p in recipients
        if p is not None and p.is_active and (actor is None or p.pk != actor.pk)
    }
    if not people:
        return []
    muted = set(
        Mute.objects.filter(user_id__in=list(people))
        .filter(target.mute_filter())
        .values_list("user_id", flat=True)
    )
    allowed = [p for p in people.values() if p.pk not in muted and policy.can_see_target(p, target)]
    if not allowed:
        return []
    written: list[Notification] = []
    fresh: list[Notification] = []
    with transaction.atomic():
        for person in allowed:
            notification, created = _record(
                person, kind, target, actor, _short(title), comment_id, detail[:100]
            )
            written.append(notification)
            if created:
                fresh.append(notification)
        # A grouped notification that was still unread leaves the count as it was.
        events.count_changed([n.recipient_id for n in fresh])
        _email_at_once(kind, fresh)
    return written


def _record(
    person: User,
    kind: str,
    target: Target,
    actor: User | None,
    title: str,
    comment_id: int | None,
    detail: str,
) -> tuple[Notification, bool]:
    key = target.group_key() if kind in Notification.GROUPED else None
    actor_ids = [actor.pk] if actor is not None else []
    for _attempt in range(3):
        if key is not None:
            existing = (
                Notification.objects.select_for_update()
                .filter(recipient=person, group_key=key, read_at__isnull=True)
                .first()
            )
            if existing is not None:
                if actor is not None:
                    known = actor.pk in existing.actor_ids
                    existing.actor_ids = [
                        *[pk for pk in existing.actor_ids if pk != actor.pk],
                        actor.pk,
                    ][-MAX_ACTORS:]
                    existing.actor_count += 0 if known else 1
                    existing.actor = actor
                existing.created_at = timezone.now()
                existing.comment_id = comment_id
                existing.title = title or existing.title
                existing.detail = detail
                existing.save(
                    update_fields=[
                        "actor",
                        "actor_ids",
                        "actor_count",
                        "created_at",
                        "comment_id",
                        "title",
                        "detail",
                    ]
                )
                return existing, False
        try:
            with transaction.atomic():
                return Notification.objects.create(
                    recipient=person,
                    kind=kind,
                    actor=actor,
                    actor_ids=actor_ids,
                    actor_count=max(1, len(actor_ids)),
                    title=title,
                    comment_id=comment_id,
                    detail=detail,
                    group_key=key,
                    **target.fields(),
                ), True
        except IntegrityError:
            continue  # created meanwhile by a concurrent event: group into it
    raise RuntimeError(f"could not record notification {key}")


def _email_at_once(kind: str, notifications: list[Notification]) -> None:
    """Mentions and messages received offline are e-mailed at once (after commit), unless the
    person turned it off."""
    flag = EMAILED_AT_ONCE.get(kind)
    if flag is None or not notifications:
        return
    ids = [n.recipient_id for n in notifications]
    off = set(
        NotificationSettings.objects.filter(user_id__in=ids, **{flag: False}).values_list(
            "user_id", flat=True
        )
    )
    wanted = [n.pk for n in notifications if n.recipient_id not in off]
    if not wanted:
        return
    from notifications import tasks

    def send() -> None:
        for pk in wanted:
            tasks.send_notification_email.delay(pk)

    transaction.on_commit(send, robust=True)


# --- Read state ------------------------------------------------------------------------------


def mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark these notifications of `actor` read (all when `ids` is None); returns how many
    changed. Others' ids are ignored, like unknown ones."""
    if not policy.has_notifications(actor):
        raise PermissionDenied
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        ids = list(ids)
        if len(ids) > MAX_IDS:
            raise ValidationError(
                {"ids": _("%(limit)s notifications au plus à la fois.") % {"limit": MAX_IDS}}
            )
        unread = unread.filter(pk__in=ids)
    with transaction.atomic():
        changed = unread.update(read_at=timezone.now())
        if changed:
            events.count_changed([actor.pk])
    return changed


# --- Mutes -----------------------------------------------------------------------------------


def mute(*, actor: User, kind: str, target) -> Mute:
    """Silence a post, a file's thread, a meeting, a conversation or a group for `actor`."""
    if not policy.can_mute(actor, kind, target):
        raise PermissionDenied
    try:
        with transaction.atomic():
            found, _created = Mute.objects.get_or_create(user=actor, **{kind: target})
    except IntegrityError:
        found = Mute.objects.get(user=actor, **{kind: target})
    return found


def unmute(*, actor: User, kind: str, target_id: int) -> None:
    if kind not in Mute.Kind.values:
        raise ValidationError({"kind": _("Type de sourdine inconnu.")})
    Mute.objects.filter(user=actor, **{f"{kind}_id": target_id}).delete()


# --- E-mail preferences ----------------------------------------------------------------------


def _settings_of(user: User) -> NotificationSettings:
    found, _created = NotificationSettings.objects.get_or_create(user=user)
    return found


@transaction.atomic
def update_email_preferences(
    *,
    actor: User,
    language: str | None = None,
    email_mentions: bool | None = None,
    email_messages: bool | None = None,
    default_frequency: str | None = None,
    groups: dict[int, str] | None = None,
) -> NotificationSettings:
    """Change the given choices (None: unchanged). `groups`: group id → frequency, for
    groups `actor` belongs to; another id is refused like an unknown one."""
    from django.conf import settings as django_settings

    from groups import policy as group_policy

    if not policy.has_notifications(actor):
        raise PermissionDenied
    found = NotificationSettings.objects.select_for_update().filter(user=actor).first()
    found = found or NotificationSettings(user=actor)
    if language is not None:
        if language and language not in dict(django_settings.LANGUAGES):
            raise ValidationError({"language": _("Langue inconnue.")})
        found.language = language
    if email_mentions is not None:
        found.email_mentions = bool(email_mentions)
    if email_messages is not None:
        found.email_messages = bool(email_messages)
    if default_frequency is not None:
        if default_frequency not in Frequency.values:
            raise ValidationError({"default_frequency": _("Fréquence inconnue.")})
        found.default_frequency = default_frequency
    found.save()
    if groups:
        if any(value not in Frequency.values for value in groups.values()):
            raise ValidationError({"groups": _("Fréquence inconnue.")})
        mine = set(
            group_policy.active_memberships(actor)
            .filter(group_id__in=list(groups))
            .values_list("group_id", flat=True)
        )
        if mine != set(groups):
            raise ValidationError({"groups": _("Vous n'êtes pas membre de ce groupe.")})
        for group_id, frequency in groups.items():
            GroupEmailPreference.objects.update_or_create(
                user=actor, group_id=group_id, defaults={"frequency": frequency}
            )
    return found


# --- Unsubscribing ---------------------------------------------------------------------------


@transaction.atomic
def unsubscribe(*, user: User, scope: str) -> None:
    """What a one-click link in an e-mail turns off (see notifications.emails.unsubscribe_url):
    `group:<id>` that group's e-mails, `daily`/`weekly` that digest, `mentions`, `messages`."""
    found = NotificationSettings.objects.select_for_update().filter(user=user).first()
    found = found or NotificationSettings(user=user)
    if scope in (Frequency.DAILY, Frequency.WEEKLY, Frequency.EVERY_POST):
        GroupEmailPreference.objects.filter(user=user, frequency=scope).update(
            frequency=Frequency.NEVER
        )
        if found.default_frequency == scope:
            found.default_frequency = Frequency.NEVER
    elif scope.startswith("group:"):
        try:
            group_id = int(scope.removeprefix("group:"))
        except ValueError:
            raise ValidationError(_("Lien de désabonnement invalide.")) from None
        from groups.models import Group

        if Group.objects.filter(pk=group_id).exists():
            GroupEmailPreference.objects.update_or_create(
                user=user, group_id=group_id, defaults={"frequency": Frequency.NEVER}
            )
    elif scope == "mentions":
        found.email_mentions = False
    elif scope == "messages":
        found.email_messages = False
    else:
        raise ValidationError(_("Lien de désabonnement invalide."))
    found.save()
    logger.info("user %s unsubscribed from %s", user.pk, scope)
