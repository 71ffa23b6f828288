"""Reads of notifications, mutes and e-mail preferences, already filtered by policy."""

from django.core.cache import cache
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import User
from notifications import policy
from notifications.models import (
    DEFAULT_FREQUENCY,
    GroupEmailPreference,
    Mute,
    Notification,
    NotificationSettings,
)

PAGE_SIZE = 30
# A page's bell costs no query: it shows the count last computed, at most this old (access
# that ends by itself is not an event); the socket's resync asks for a fresh one anyway.
COUNT_TTL = 300


def notifications_for(
    user: User, *, unread: bool | None = None, limit: int = PAGE_SIZE, offset: int = 0
) -> list[Notification]:
    """A page of `user`'s visible notifications, newest first (one query)."""
    found = policy.visible_notifications(user)
    if unread is True:
        found = found.filter(read_at__isnull=True)
    elif unread is False:
        found = found.filter(read_at__isnull=False)
    return list(
        found.select_related("actor", "group").order_by("-created_at", "-id")[
            offset : offset + limit
        ]
    )


def _count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user: User) -> int:
    """The unread count (one query); remembered for the bell of the next pages."""
    count = policy.visible_notifications(user).filter(read_at__isnull=True).count()
    cache.set(_count_key(user.pk), count, COUNT_TTL)
    return count


def remembered_unread_count(user: User) -> int | None:
    """The bell's count without a query: the last one computed (after each change, and by
    the API the page's script calls when its socket connects), or None if unknown."""
    return cache.get(_count_key(user.pk))


def get_notification_for(user: User, notification_id: int) -> Notification:
    found = (
        policy.visible_notifications(user)
        .select_related("actor", "group")
        .filter(pk=notification_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def settings_of(user: User) -> NotificationSettings:
    """`user`'s choices, or the defaults (not saved)."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def group_frequencies(user: User, default: str | None = None) -> QuerySet:
    """`user`'s groups (memberships giving access today) with their e-mail frequency."""
    from groups import policy as group_policy

    chosen = GroupEmailPreference.objects.filter(user=user, group=OuterRef("group_id")).values(
        "frequency"
    )[:1]
    return (
        group_policy.active_memberships(user)
        .select_related("group")
        .annotate(frequency=Coalesce(Subquery(chosen), Value(default or DEFAULT_FREQUENCY)))
        .order_by("group__name", "group_id")
    )


def mutes_of(user: User) -> list[Mute]:
    return list(
        Mute.objects.filter(user=user).select_related(
            "post", "file", "meeting", "conversation", "group"
        )
    )


def mute_state(user: User, kind: str, obj) -> str:
    """Whether `user` muted `obj` ("self"), silenced it by muting its group ("group"; posts and
    meetings), or neither (""): one query, for the « Mettre en sourdine » buttons."""
    if not policy.has_notifications(user) or kind not in Mute.Kind.values:
        return ""
    group_id = (
        getattr(obj, "group_id", None) if kind in (Mute.Kind.POST, Mute.Kind.MEETING) else None
    )
    found = Q(**{f"{kind}_id": obj.pk})
    if group_id is not None:
        found |= Q(group_id=group_id)
    rows = list(Mute.objects.filter(user=user).filter(found).values_list(f"{kind}_id", flat=True))
    if obj.pk in rows:
        return "self"
    return "group" if rows else ""


def mute_target_object(kind: str, target_id: int):
    """The object a mute would silence (unknown: 404). Whether the person may see it is
    services.mute's question (notifications.policy.can_mute)."""
    from files.models import File
    from groups.models import Group
    from meetings.models import Meeting
    from messaging.models import Conversation
    from social.models import Post

    model = {
        Mute.Kind.POST: Post,
        Mute.Kind.FILE: File,
        Mute.Kind.MEETING: Meeting,
        Mute.Kind.CONVERSATION: Conversation,
        Mute.Kind.GROUP: Group,
    }.get(kind)
    found = model.objects.filter(pk=target_id).first() if model else None
    if found is None:
        raise Http404
    return found
