"""Which notifications a person may see: those whose target the owning app's policy lets them
see, now. This module decides nothing about the targets themselves; it asks their apps."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from notifications.models import Mute, Notification

Kind = Notification.Kind


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def has_notifications(user: User) -> bool:
    return _active(user)


def visible_filter(user: User) -> Q:
    """A filter on Notification: the target is one `user` may see today (one SQL query with a
    subquery per kind of target, whatever the number of notifications)."""
    from consultations.policy import visible_contributions
    from files.policy import visible_files
    from groups import policy as group_policy
    from groups.models import Invitation, Membership
    from meetings.policy import visible_decisions, visible_meetings
    from messaging.policy import visible_conversations
    from social.policy import visible_posts

    managed = group_policy.active_memberships(user).filter(
        role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
    )
    invitations = Invitation.objects.filter(
        email__iexact=user.email, accepted_at__isnull=True, expires_at__gt=timezone.now()
    )
    return (
        Q(post__in=visible_posts(user).filter(deleted_at__isnull=True).values("pk"))
        | Q(file__in=visible_files(user).values("pk"))
        | Q(decision__in=visible_decisions(user).values("pk"))
        | Q(decision__isnull=True, meeting__in=visible_meetings(user).values("pk"))
        | Q(conversation__in=visible_conversations(user).values("pk"))
        | Q(contribution__in=visible_contributions(user).values("pk"))
        | (
            Q(kind=Kind.JOIN_REQUEST, group__isnull=False)
            if user.is_superuser
            else Q(kind=Kind.JOIN_REQUEST, group__in=managed.values("group_id"))
        )
        | Q(kind=Kind.JOIN_APPROVED, group__in=group_policy.readable_groups(user).values("pk"))
        | Q(kind=Kind.GROUP_INVITATION, invitation__in=invitations.values("pk"))
    )


def visible_notifications(user: User) -> QuerySet[Notification]:
    """`user`'s own notifications about what they may still see."""
    if not has_notifications(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).filter(visible_filter(user))


def can_see_target(user: User, target) -> bool:
    """Whether `user` may see a notification's target (a Target, see services), asking the
    owning app's policy for one object."""
    if not has_notifications(user):
        return False
    if target.post is not None:
        from social.policy import can_view_post

        return not target.post.is_deleted and can_view_post(user, target.post)
    if target.file is not None:
        from files.policy import can_view_file

        return can_view_file(user, target.file)
    if target.decision is not None:
        from meetings.policy import can_view_decision

        return can_view_decision(user, target.decision)
    if target.meeting is not None:
        from meetings.policy import can_view_meeting

        return can_view_meeting(user, target.meeting)
    if target.conversation is not None:
        from messaging.policy import can_view_conversation

        return can_view_conversation(user, target.conversation)
    if target.contribution is not None:
        from consultations.policy import can_view_contribution

        return can_view_contribution(user, target.contribution)
    if target.invitation is not None:
        invitation = target.invitation
        return invitation.is_usable and invitation.email.lower() == user.email.lower()
    if target.group is not None:
        from groups import policy as group_policy

        if target.kind == Kind.JOIN_REQUEST:
            return group_policy.can_manage_group(user, target.group)
        return group_policy.can_read_group(user, target.group)
    return False


def can_mute(user: User, kind: str, obj) -> bool:
    """Mute what one may see (the mute itself reveals nothing, but an id must not be probed)."""
    if not has_notifications(user) or kind not in Mute.Kind.values:
        return False
    if kind == Mute.Kind.POST:
        from social.policy import can_view_post

        return can_view_post(user, obj)
    if kind == Mute.Kind.FILE:
        from files.policy import can_view_file

        return can_view_file(user, obj)
    if kind == Mute.Kind.MEETING:
        from meetings.policy import can_view_meeting

        return can_view_meeting(user, obj)
    if kind == Mute.Kind.CONVERSATION:
        from messaging.policy import can_view_conversation

        return can_view_conversation(user, obj)
    from groups import policy as group_policy

    return group_policy.can_see_group(user, obj)
