"""Reads of notifications, mutes and e-mail preferences, already filtered by policy."""

from collections.abc import Iterable

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
# Notifications whose targets are checked kind by kind (policy.visible_among) for the count and
# the list; beyond (someone who never reads, a far page) the database filters them.
MAX_CHECKED = 500


def _mine(user: User, unread: bool | None) -> QuerySet[Notification]:
    found = Notification.objects.filter(recipient=user)
    if unread is True:
        return found.filter(read_at__isnull=True)
    if unread is False:
        return found.filter(read_at__isnull=False)
    return found


def notifications_for(
    user: User, *, unread: bool | None = None, limit: int = PAGE_SIZE, offset: int = 0
) -> list[Notification]:
    """A page of `user`'s visible notifications, newest first. The page and as many again are
    read at once and their targets checked kind by kind (policy.visible_among: one query, then
    one per kind of target among them); only when more than half of them are hidden, or for a
    far page, does the database filter them all (one more query)."""
    if not policy.has_notifications(user):
        return []
    newest = (
        _mine(user, unread)
        .select_related("actor", "group", "meeting")
        .order_by("-created_at", "-id")
    )
    wanted = offset + limit
    window = 2 * wanted
    if window <= MAX_CHECKED:
        candidates = list(newest[:window])
        shown = policy.visible_among(user, candidates)
        found = [n for n in candidates if n.pk in shown]
        if len(found) >= wanted or len(candidates) < window:
            return found[offset:wanted]
    return list(newest.filter(policy.visible_filter(user))[offset:wanted])


def _count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user: User) -> int:
    """The unread count: the person's unread notifications (usually few: one query), then one
    small query per kind of target among them; remembered for the bell of the next pages."""
    count = 0
    if policy.has_notifications(user):
        unread = _mine(user, True).order_by()
        rows = list(unread.values_list(*policy.ROW_FIELDS, named=True)[: MAX_CHECKED + 1])
        if len(rows) <= MAX_CHECKED:
            count = len(policy.visible_among(user, rows))
        else:  # someone who never reads: the database filters them (one more query)
            count = unread.filter(policy.visible_filter(user)).count()
    cache.set(_count_key(user.pk), count, COUNT_TTL)
    return count


def remembered_unread_count(user: User) -> int | None:
    """The bell's count without a query: the last one computed (after each change, and by
    the API the page's script calls when its socket connects), or None if unknown."""
    return cache.get(_count_key(user.pk))


def get_notification_for(user: User, notification_id: int) -> Notification:
    """One of `user`'s notifications, if they may still see its target (404 alike for missing
    and hidden): two small queries, asking only its target's app."""
    if not policy.has_notifications(user):
        raise Http404
    found = (
        Notification.objects.select_related("actor", "group", "meeting")
        .filter(recipient=user, pk=notification_id)
        .first()
    )
    if found is None or found.pk not in policy.visible_among(user, [found]):
        raise Http404
    return found


def settings_of(user: User) -> NotificationSettings:
    """`user`'s choices, or the defaults (not saved)."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def group_frequencies(user: User, default: str | None = None) -> QuerySet:
    """`user`'s groups (memberships giving access today) with their e-mail `frequency`: their
    choice for the group, else `default` (their default for new groups when not given)."""
    from groups import policy as group_policy

    return _with_frequency(group_policy.active_memberships(user), default).order_by(
        "group__name", "group_id"
    )


def group_frequencies_of(users: Iterable[User]) -> QuerySet:
    """`group_frequencies` of several people in one query (the digests' batches)."""
    from groups import policy as group_policy

    return _with_frequency(group_policy.active_memberships_of(users), None).order_by(
        "user_id", "group__name", "group_id"
    )


def _with_frequency(memberships: QuerySet, default: str | None) -> QuerySet:
    chosen = GroupEmailPreference.objects.filter(
        user=OuterRef("user_id"), group=OuterRef("group_id")
    ).values("frequency")[:1]
    if default is None:
        theirs = NotificationSettings.objects.filter(user=OuterRef("user_id"))
        fallback = Coalesce(
            Subquery(theirs.values("default_frequency")[:1]), Value(DEFAULT_FREQUENCY)
        )
    else:
        fallback = Value(default)
    return memberships.select_related("group").annotate(
        frequency=Coalesce(Subquery(chosen), fallback)
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


def mute_button_state(user: User, kind: str, target_id: int) -> str:
    """The state of `user`'s « Mettre en sourdine » button for this object, as `mute_state`
    says it; 404 alike for an unknown object and one they may not see (no id is probed)."""
    target = mute_target_object(kind, target_id)
    if not policy.can_mute(user, kind, target):
        raise Http404
    return mute_state(user, kind, target)
