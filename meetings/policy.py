"""Who may see and do what with meetings, their agenda, opinions and decisions. The only place
that decides it.

A meeting is visible to whoever may read its group, plus its participants: an elected official
invited to a meeting of a group they may not read sees that meeting only. A participant is
someone invited (the organiser always is) who may still read the group, or an invited elected
official, or the organiser themselves, with an active account that is not a citizen's.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from groups import policy as group_policy
from groups.models import Group, Membership
from meetings.models import AgendaItem, Decision, Invitation, Meeting


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active) and not user.is_citizen


# --- Participants ----------------------------------------------------------------------------


def participants_filter(meeting: Meeting) -> Q:
    """A filter on User: the meeting's participants today (mirror of `is_participant`)."""
    may_attend = (
        group_policy.readers_of(meeting.group)
        | Q(kind=User.Kind.ELECTED)
        | Q(pk=meeting.organiser_id)
    )
    invited = Q(pk__in=Invitation.objects.filter(meeting=meeting).values("user_id"))
    return invited & may_attend & Q(is_active=True) & ~Q(kind=User.Kind.CITIZEN)


def participant_ids(meeting: Meeting) -> set[int]:
    """Ids of the meeting's participants today (one query)."""
    return set(User.objects.filter(participants_filter(meeting)).values_list("pk", flat=True))


def may_be_invited(person: User, meeting: Meeting) -> bool:
    """Group members who may read the group, and elected officials even if not members."""
    if not _active(person):
        return False
    if person.kind == User.Kind.ELECTED:
        return True
    return group_policy.membership_of(person, meeting.group) is not None


def is_participant(user: User, meeting: Meeting) -> bool:
    """Invited, and still allowed to attend (see the module's docstring)."""
    if not _active(user):
        return False
    if not Invitation.objects.filter(meeting=meeting, user=user).exists():
        return False
    return (
        user.pk == meeting.organiser_id
        or user.kind == User.Kind.ELECTED
        or group_policy.can_read_group(user, meeting.group)
    )


# --- Seeing ----------------------------------------------------------------------------------


def visible_meetings(
    user: User, *, group_ids: group_policy.ReadableGroups | None = None
) -> QuerySet[Meeting]:
    """Meetings `user` may see: in groups they may read, organised by them, or invited to
    (as an elected official). `group_ids`: `group_policy.readable_group_ids(user)` when the
    caller already read it (search)."""
    if not _active(user):
        return Meeting.objects.none()
    if group_ids is None:
        readable = Q(group__in=group_policy.readable_groups(user).values("pk"))
    else:
        readable = group_policy.in_groups("group_id", group_ids, user=user)
    seen = readable | Q(organiser=user)
    if user.kind == User.Kind.ELECTED:
        seen |= Q(pk__in=Invitation.objects.filter(user=user).values("meeting_id"))
    return Meeting.objects.filter(seen)


def can_view_meeting(user: User, meeting: Meeting) -> bool:
    """The single-meeting mirror of `visible_meetings`."""
    return _can_view_meeting(
        user,
        meeting,
        membership=lambda: group_policy.membership_of(user, meeting.group),
        invited=lambda: Invitation.objects.filter(meeting=meeting, user=user).exists(),
    )


def can_view_meeting_given(
    user: User, meeting: Meeting, *, membership: Membership | None, invited: bool
) -> bool:
    """`can_view_meeting` for a batch that already holds `membership_of(user, meeting.group)`
    and whether `user` is invited: no query."""
    return _can_view_meeting(user, meeting, membership=lambda: membership, invited=lambda: invited)


def _can_view_meeting(
    user: User,
    meeting: Meeting,
    *,
    membership: Callable[[], Membership | None],
    invited: Callable[[], bool],
) -> bool:
    """The rule of both: `membership` and `invited` are asked for only when they decide (a
    single check reads each with a query, in this order)."""
    if not _active(user):
        return False
    if meeting.organiser_id == user.pk:
        return True
    if group_policy.can_read_group_given(user, meeting.group, membership()):
        return True
    return user.kind == User.Kind.ELECTED and invited()


def viewers_filter(meeting: Meeting) -> Q:
    """A filter on User: who may see the meeting (recipients of its realtime events)."""
    return group_policy.readers_of(meeting.group) | (
        Q(is_active=True)
        & ~Q(kind=User.Kind.CITIZEN)
        & (
            Q(pk=meeting.organiser_id)
            | Q(
                kind=User.Kind.ELECTED,
                pk__in=Invitation.objects.filter(meeting=meeting).values("user_id"),
            )
        )
    )


def viewer_ids(meeting: Meeting) -> list[int]:
    """Ids of everyone who may see the meeting (one query)."""
    return list(User.objects.filter(viewers_filter(meeting)).values_list("pk", flat=True))


def can_view_opinions(user: User, meeting: Meeting) -> bool:
    """Positions and arguments (and so the synthesis): participants and the meeting's
    managers; everyone who may see the meeting once it is closed (the minutes are public to
    the group)."""
    if not can_view_meeting(user, meeting):
        return False
    if meeting.status == Meeting.Status.CLOSED:
        return True
    return is_participant(user, meeting) or can_manage_meeting(user, meeting)


def opinion_viewer_ids(meeting: Meeting) -> list[int]:
    """Ids of the people `can_view_opinions` admits (recipients of `meeting.opinion`)."""
    if meeting.status == Meeting.Status.CLOSED:
        return viewer_ids(meeting)
    managers = Q(
        pk__in=Membership.objects.filter(
            group=meeting.group, role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
        ).values("user_id")
    ) | Q(is_superuser=True)
    people = User.objects.filter(
        participants_filter(meeting) | (managers & viewers_filter(meeting))
    )
    return list(people.values_list("pk", flat=True))


# --- Acting ----------------------------------------------------------------------------------


def can_create_meeting(user: User, group: Group) -> bool:
    """Group managers, staff members of the group, and administrators."""
    if not _active(user):
        return False
    membership = group_policy.membership_of(user, group)
    if group_policy.can_manage_given(user, membership):
        return True
    return membership is not None and user.kind == User.Kind.STAFF


def can_manage_meeting(user: User, meeting: Meeting) -> bool:
    """Edit, invite, reorder, record attendance and decisions, close: the organiser (while
    they may see it), the group's managers and administrators."""
    if not _active(user):
        return False
    if meeting.organiser_id == user.pk and can_view_meeting(user, meeting):
        return True
    return group_policy.can_manage_group(user, meeting.group)


def is_open(meeting: Meeting) -> bool:
    """In preparation and not cancelled: the agenda and opinions may still change."""
    return meeting.status == Meeting.Status.PREPARATION and not meeting.is_cancelled


def is_changeable(meeting: Meeting) -> bool:
    """Its details (title, schedule, place) may still change: neither closed nor cancelled."""
    return meeting.status != Meeting.Status.CLOSED and not meeting.is_cancelled


def can_update_meeting(user: User, meeting: Meeting) -> bool:
    """Change the title, schedule, place and description: the meeting's managers, until it is
    closed or cancelled (a held meeting may still be corrected)."""
    return is_changeable(meeting) and can_manage_meeting(user, meeting)


def can_add_item(user: User, meeting: Meeting) -> bool:
    """Managers; participants too if the organiser allows it; in preparation only."""
    if not is_open(meeting):
        return False
    if can_manage_meeting(user, meeting):
        return True
    return meeting.members_may_add_items and is_participant(user, meeting)


def can_edit_item(user: User, item: AgendaItem) -> bool:
    """The item's author (still a participant) or the meeting's managers, in preparation."""
    meeting = item.meeting
    if not is_open(meeting):
        return False
    if can_manage_meeting(user, meeting):
        return True
    return item.author_id == user.pk and is_participant(user, meeting)


def can_move_items(user: User, meeting: Meeting) -> bool:
    """Reorder the agenda: the meeting's managers, in preparation."""
    return is_open(meeting) and can_manage_meeting(user, meeting)


def can_attach_to_item(user: User, item: AgendaItem) -> bool:
    """The item's author or the meeting's managers attach (their own) files."""
    return can_edit_item(user, item)


def can_give_opinion(user: User, meeting: Meeting) -> bool:
    """Participants, while the meeting is in preparation and has not started."""
    return is_open(meeting) and timezone.now() < meeting.starts_at and is_participant(user, meeting)


def can_mark_ready(user: User, meeting: Meeting) -> bool:
    """Say « prêt » (or take it back): participants, in preparation."""
    return is_open(meeting) and is_participant(user, meeting)


def can_record(user: User, meeting: Meeting) -> bool:
    """Attendance, decisions, synthesis, holding and closing: managers, until it is closed."""
    return meeting.status != Meeting.Status.CLOSED and can_manage_meeting(user, meeting)


def can_view_thread(user: User, item: AgendaItem) -> bool:
    """An item's discussion thread: whoever may see the meeting."""
    return can_view_meeting(user, item.meeting)


def can_take_part(user: User, item: AgendaItem) -> bool:
    """Comment and react in an item's thread: whoever may see the meeting, until it closes."""
    return item.meeting.status != Meeting.Status.CLOSED and can_view_meeting(user, item.meeting)


def can_moderate_thread(user: User, item: AgendaItem) -> bool:
    """Delete others' comments in an item's thread: the meeting's managers."""
    return can_manage_meeting(user, item.meeting)


# --- Decisions -------------------------------------------------------------------------------


def visible_decisions(user: User) -> QuerySet[Decision]:
    """Decisions of the meetings `user` may see (the decisions register)."""
    return Decision.objects.filter(meeting__in=visible_meetings(user).values("pk"))


def can_view_decision(user: User, decision: Decision) -> bool:
    """The single-decision mirror of `visible_decisions`."""
    return can_view_meeting(user, decision.meeting)


def may_own_decision(person: User, meeting: Meeting) -> bool:
    """A decision's owner must be able to see the meeting it comes from."""
    return can_view_meeting(person, meeting)


def can_update_decision(user: User, decision: Decision) -> bool:
    """Its owner (while they may see it), the organiser and the group's managers."""
    meeting = decision.meeting
    if decision.owner_id == user.pk and can_view_meeting(user, meeting):
        return True
    return can_manage_meeting(user, meeting)
