"""Which notifications a person may see: those whose target the owning app's policy lets them
see, now. This module decides nothing about the targets themselves; it asks their apps."""

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import User
from notifications.models import Mute, Notification

Kind = Notification.Kind


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def has_notifications(user: User) -> bool:
    return _active(user)


@dataclass(frozen=True)
class _Check:
    """One way a notification is visible: its `field` (a target key) points at one of the
    objects `targets(user)` holds in its `key` column (None: at every object), when it is of
    `kind` (None: any) and its `unset` target key, if any, is empty."""

    field: str
    targets: Callable[[User], QuerySet | None]
    key: str = "pk"
    kind: str | None = None
    unset: str | None = None

    def applies(self, row) -> int | None:
        """The target id this check asks about for `row`, or None."""
        target = getattr(row, self.field)
        if target is None or (self.kind is not None and row.kind != self.kind):
            return None
        if self.unset is not None and getattr(row, self.unset) is not None:
            return None
        return target

    def where(self, user: User) -> Q:
        """The check as a filter on Notification. A correlated EXISTS rather than `IN`: reading
        few rows (one notification), the database probes their targets instead of hashing
        every object the person may see."""
        found = self.targets(user)
        condition = Q(**{f"{self.field}__isnull": False})
        if found is not None:
            condition &= Q(Exists(found.filter(**{self.key: OuterRef(self.field)})))
        if self.kind is not None:
            condition &= Q(kind=self.kind)
        if self.unset is not None:
            condition &= Q(**{f"{self.unset}__isnull": True})
        return condition

    def among(self, user: User, ids: set[int], label: int) -> QuerySet | None:
        """Which of these target ids `user` may see: (`label`, id) rows of a query (None:
        all of them, no query needed)."""
        found = self.targets(user)
        if found is None:
            return None
        return (
            found.filter(**{f"{self.key}__in": sorted(ids)})
            .order_by()
            .annotate(notification_check=Value(label, output_field=IntegerField()))
            .values_list("notification_check", self.key)
        )


def _live_posts(user: User) -> QuerySet:
    from social.policy import visible_posts

    return visible_posts(user).filter(deleted_at__isnull=True)


def _files(user: User) -> QuerySet:
    from files.policy import visible_files

    return visible_files(user)


def _decisions(user: User) -> QuerySet:
    from meetings.policy import visible_decisions

    return visible_decisions(user)


def _meetings(user: User) -> QuerySet:
    from meetings.policy import visible_meetings

    return visible_meetings(user)


def _conversations(user: User) -> QuerySet:
    from messaging.policy import visible_conversations

    return visible_conversations(user)


def _contributions(user: User) -> QuerySet:
    from consultations.policy import visible_contributions

    return visible_contributions(user)


def _managed_memberships(user: User) -> QuerySet | None:
    """Groups whose join requests `user` decides (None: all of them, administrators)."""
    from groups import policy as group_policy
    from groups.models import Membership

    if user.is_superuser:
        return None
    return group_policy.active_memberships(user).filter(
        role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
    )


def _readable_groups(user: User) -> QuerySet:
    from groups import policy as group_policy

    return group_policy.readable_groups(user)


def _invitations(user: User) -> QuerySet:
    from groups.models import Invitation

    return Invitation.objects.filter(
        email__iexact=user.email, accepted_at__isnull=True, expires_at__gt=timezone.now()
    )


# The rule, asked of each owning app's policy: a notification is visible when one of these holds.
CHECKS = (
    _Check("post_id", _live_posts),
    _Check("file_id", _files),
    _Check("decision_id", _decisions),
    _Check("meeting_id", _meetings, unset="decision_id"),
    _Check("conversation_id", _conversations),
    _Check("contribution_id", _contributions),
    _Check("group_id", _managed_memberships, key="group_id", kind=Kind.JOIN_REQUEST),
    _Check("group_id", _readable_groups, kind=Kind.JOIN_APPROVED),
    _Check("invitation_id", _invitations, kind=Kind.GROUP_INVITATION),
)
# What `visible_among` reads of each notification.
ROW_FIELDS = ("id", "kind", *dict.fromkeys(c.field for c in CHECKS))


def visible_filter(user: User) -> Q:
    """A filter on Notification: the target is one `user` may see today (one SQL query with a
    subquery per kind of target, whatever the number of notifications)."""
    return reduce(operator.or_, (check.where(user) for check in CHECKS))


def visible_notifications(user: User) -> QuerySet[Notification]:
    """`user`'s own notifications about what they may still see."""
    if not has_notifications(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).filter(visible_filter(user))


def visible_among(user: User, rows: Iterable) -> set[int]:
    """The ids of those of `user`'s notifications in `rows` (objects with the `ROW_FIELDS`
    attributes, notifications or rows read with them) whose target `user` may see now: the
    rule of `visible_filter`, asked only about the kinds of target present among them and
    only about their ids, in one query (none without rows). For a few rows (the unread ones, a
    page) this costs far less than building and running the filter for every kind."""
    if not has_notifications(user):
        return set()
    rows = list(rows)
    asked = [
        {row.id: t for row in rows if (t := check.applies(row)) is not None} for check in CHECKS
    ]
    seen: list[set[int]] = [set() for _check in CHECKS]
    queries = []
    for label, (check, targets) in enumerate(zip(CHECKS, asked, strict=True)):
        if targets:
            query = check.among(user, set(targets.values()), label)
            if query is None:
                seen[label] = set(targets.values())
            else:
                queries.append(query)
    if queries:
        for label, target in queries[0].union(*queries[1:], all=True):
            seen[label].add(target)
    return {
        pk
        for targets, visible in zip(asked, seen, strict=True)
        for pk, target in targets.items()
        if target in visible
    }


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
