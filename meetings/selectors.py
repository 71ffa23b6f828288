"""Reads of meetings, agenda items and decisions, already filtered by meetings.policy."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from files.models import FileShare
from groups.models import Group
from meetings import policy
from meetings.models import AgendaItem, CalendarToken, Decision, Invitation, Meeting, Opinion
from meetings.services import calendar_token_digest
from social.models import Comment


def _get(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def get_meeting_for(user: User, meeting_id: int) -> Meeting:
    """The meeting if `user` may see it; 404 alike for missing and forbidden."""
    return _get(
        policy.visible_meetings(user).select_related("group", "organiser", "minutes_post"),
        meeting_id,
    )


def get_item_for(user: User, item_id: int) -> AgendaItem:
    """The agenda item if `user` may see its meeting; 404 alike for missing and forbidden."""
    items = AgendaItem.objects.filter(meeting__in=policy.visible_meetings(user).values("pk"))
    return _get(items.select_related("meeting__group", "meeting__organiser", "author"), item_id)


def get_decision_for(user: User, decision_id: int) -> Decision:
    """The decision if `user` may see its meeting; 404 alike for missing and forbidden."""
    return _get(
        policy.visible_decisions(user).select_related("meeting__group", "owner", "item"),
        decision_id,
    )


def meetings_of_group(user: User, group: Group) -> QuerySet[Meeting]:
    """A group's meetings visible to `user`, latest first."""
    return (
        policy.visible_meetings(user)
        .filter(group=group)
        .select_related("group", "organiser")
        .order_by("-starts_at", "-id")
    )


def upcoming_meetings_for(user: User) -> QuerySet[Meeting]:
    """Meetings `user` is invited to that have not ended, soonest first."""
    return (
        policy.visible_meetings(user)
        .filter(invitations__user=user, ends_at__gte=timezone.now(), cancelled_at__isnull=True)
        .select_related("group", "organiser")
        .order_by("starts_at", "id")
    )


def calendar_meetings_for(user: User) -> QuerySet[Meeting]:
    """Every meeting `user` is invited to and may still see (their calendar feed)."""
    return (
        policy.visible_meetings(user)
        .filter(invitations__user=user)
        .select_related("group", "organiser")
        .order_by("starts_at", "id")
    )


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    """The meeting's agenda items in order (the caller may see the meeting)."""
    return meeting.items.select_related("author").order_by("position", "id")


def invitations_of(meeting: Meeting) -> QuerySet[Invitation]:
    """The meeting's participants today with their preparation (ready, agenda read, attended)."""
    participants = User.objects.filter(policy.participants_filter(meeting))
    return (
        Invitation.objects.filter(meeting=meeting, user__in=participants)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )


def opinions_on(user: User, item: AgendaItem) -> QuerySet[Opinion]:
    """Current positions on an item, for people allowed to see positions (else none)."""
    if not policy.can_view_opinions(user, item.meeting):
        return Opinion.objects.none()
    participants = User.objects.filter(policy.participants_filter(item.meeting))
    return (
        Opinion.objects.filter(item=item, user__in=participants)
        .select_related("user")
        .order_by("updated_at", "id")
    )


def my_opinions(user: User, meeting: Meeting) -> dict[int, Opinion]:
    """`user`'s own positions on the meeting's items, by item id."""
    return {o.item_id: o for o in Opinion.objects.filter(item__meeting=meeting, user=user)}


def thread_of(user: User, item: AgendaItem) -> QuerySet[Comment]:
    """An agenda item's discussion thread (social comments), oldest first."""
    if not policy.can_view_thread(user, item):
        return Comment.objects.none()
    return (
        Comment.objects.filter(item=item)
        .select_related("author", "reply_to")
        .order_by("created_at", "id")
    )


def decisions_register(
    user: User,
    *,
    group: Group | None = None,
    owner: User | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> QuerySet[Decision]:
    """The decisions register: decisions `user` may see, filtered, newest first."""
    decisions = policy.visible_decisions(user).select_related("meeting__group", "owner", "item")
    if group is not None:
        decisions = decisions.filter(meeting__group=group)
    if owner is not None:
        decisions = decisions.filter(owner=owner)
    if status:
        decisions = decisions.filter(status=status)
    late = Q(due_on__lt=timezone.localdate(), status__in=Decision.OPEN)
    if overdue is True:
        decisions = decisions.filter(late)
    elif overdue is False:
        decisions = decisions.exclude(late)
    return decisions.order_by("-created_at", "-id")


def user_for_calendar_token(raw: str) -> User | None:
    """The active owner of an unrevoked calendar token, or None. Marks the token used."""
    if not raw or len(raw) > 100:
        return None
    token = (
        CalendarToken.objects.select_related("user")
        .filter(digest=calendar_token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        CalendarToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def calendar_tokens_of(user: User) -> QuerySet[CalendarToken]:
    """`user`'s active calendar tokens."""
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True)


def threads_of(user: User, meeting: Meeting) -> dict[int, list[Comment]]:
    """The discussion threads of every agenda item of `meeting`, by item id, oldest first
    (one query: the meeting page)."""
    threads: dict[int, list[Comment]] = {}
    if not policy.can_view_meeting(user, meeting):
        return threads
    comments = (
        Comment.objects.filter(item__meeting=meeting)
        .select_related("author", "reply_to__author")
        .order_by("created_at", "id")
    )
    for comment in comments:
        threads.setdefault(comment.item_id, []).append(comment)
    return threads


def item_files_of(meeting: Meeting) -> dict[int, list[FileShare]]:
    """The live files attached to the meeting's agenda items, by item id (one query); the
    caller may see the meeting."""
    files: dict[int, list[FileShare]] = {}
    shares = (
        FileShare.objects.filter(item__meeting=meeting, file__deleted_at__isnull=True)
        .select_related("file__current_version")
        .order_by("created_at", "id")
    )
    for share in shares:
        files.setdefault(share.item_id, []).append(share)
    return files
