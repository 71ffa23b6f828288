"""Daily and weekly digests: what one person may see, worth reading, built when it is sent.

Order: first what expects an action from the reader (opinions awaited before a meeting,
decisions they own that are due, requests to join a group they manage), then the decisions
taken in their groups, then the most discussed posts of their groups. Each section is read
through the owning app's policy at build time, so a post that became invisible since it was
written is not in the digest.

Cost: a run reads the period's activity once (Activity); then each person costs a constant
number of queries (tests/notifications/test_digests.py pins it), whatever their groups hold.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from notifications.models import Frequency, Mute

POSTS_PER_DIGEST = 5
DECISIONS_PER_DIGEST = 10
ACTIONS_PER_SECTION = 10
CANDIDATES_PER_DIGEST = 25
MEETING_HORIZON = timedelta(days=14)
DECISION_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Period:
    """The window a digest covers, derived from its key only (a retried job finds the same
    window): daily `2026-12-01` covers the day before; weekly `2026-W49` the week before."""

    frequency: str
    key: str
    since: datetime
    until: datetime

    @classmethod
    def daily(cls, day: date) -> "Period":
        until = timezone.make_aware(datetime.combine(day, time.min))
        return cls(Frequency.DAILY, day.isoformat(), until - timedelta(days=1), until)

    @classmethod
    def weekly(cls, day: date) -> "Period":
        year, week, _weekday = day.isocalendar()
        monday = date.fromisocalendar(year, week, 1)
        until = timezone.make_aware(datetime.combine(monday, time.min))
        return cls(Frequency.WEEKLY, f"{year}-W{week:02d}", until - timedelta(days=7), until)

    @classmethod
    def of(cls, frequency: str, day: date) -> "Period":
        return cls.daily(day) if frequency == Frequency.DAILY else cls.weekly(day)


@dataclass
class Activity:
    """The period's posts and how much they were discussed, by group: read once per run."""

    by_group: dict[int, list[tuple[int, int, datetime]]] = field(default_factory=dict)

    @classmethod
    def of(cls, period: Period) -> "Activity":
        from social.models import Comment, Post

        scores: dict[int, int] = {}
        rows = (
            Comment.objects.filter(
                post__isnull=False,
                created_at__gte=period.since,
                created_at__lt=period.until,
                deleted_at__isnull=True,
            )
            .values("post_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            scores[row["post_id"]] = row["n"]
        new = Post.objects.filter(
            created_at__gte=period.since, created_at__lt=period.until, group__isnull=False
        ).values_list("pk", flat=True)
        ids = set(scores) | set(new)
        activity = cls()
        posts = Post.objects.filter(pk__in=ids, deleted_at__isnull=True, group__isnull=False)
        for pk, group_id, created_at in posts.values_list("pk", "group_id", "created_at"):
            activity.by_group.setdefault(group_id, []).append((pk, scores.get(pk, 0), created_at))
        for entries in activity.by_group.values():
            entries.sort(key=lambda e: (e[1], e[2]), reverse=True)
            del entries[CANDIDATES_PER_DIGEST:]
        return activity

    def candidates(self, group_ids, muted_posts: set[int]) -> dict[int, int]:
        """The best posts of these groups: post id → comments in the period."""
        found = [
            entry
            for group_id in group_ids
            for entry in self.by_group.get(group_id, [])
            if entry[0] not in muted_posts
        ]
        found.sort(key=lambda e: (e[1], e[2]), reverse=True)
        return {pk: score for pk, score, _created in found[:CANDIDATES_PER_DIGEST]}


@dataclass
class Digest:
    user: User
    period: Period
    groups: list = field(default_factory=list)
    meetings_awaiting: list = field(default_factory=list)
    decisions_due: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    decisions_taken: list = field(default_factory=list)
    posts: list = field(default_factory=list)

    @property
    def actions(self) -> int:
        return len(self.meetings_awaiting) + len(self.decisions_due) + len(self.requests)

    @property
    def is_empty(self) -> bool:
        return not (self.actions or self.decisions_taken or self.posts)


def build_digest(user: User, period: Period, activity: Activity | None = None) -> Digest | None:
    """`user`'s digest for `period`, or None when no group of theirs is at that frequency.

    Load users with `select_related("notification_settings")` to save a query each.
    """
    return build_digests([user], period, activity)[user.pk]


@dataclass
class _Reader:
    """What a batch knows of one person: their access today and what they silenced."""

    user: User
    memberships: dict = field(default_factory=dict)  # group id → active Membership
    muted_posts: set = field(default_factory=set)
    muted_meetings: set = field(default_factory=set)
    muted_groups: set = field(default_factory=set)


def build_digests(users, period: Period, activity: Activity | None = None) -> dict:
    """The digests of a batch of people for `period`: user id → Digest, or None when no group
    of theirs is at that frequency.

    Each section is read once for the whole batch (a fixed number of queries, whoever is in it
    and whatever their groups hold); each person then keeps what the owning app's policy lets
    them see, decided from their memberships read in the same run (the `*_given` predicates).
    Load users with `select_related("notification_settings")` to save a query each.
    """
    from notifications.selectors import group_frequencies_of

    digests: dict[int, Digest | None] = {user.pk: None for user in users}
    readers = {u.pk: _Reader(u) for u in users if u.is_active and not u.is_citizen}
    if not readers:
        return digests
    for membership in group_frequencies_of([r.user for r in readers.values()]):
        readers[membership.user_id].memberships[membership.group_id] = membership
    mutes = Mute.objects.filter(user_id__in=list(readers)).values_list(
        "user_id", "post_id", "meeting_id", "group_id"
    )
    for user_id, post_id, meeting_id, group_id in mutes:
        reader = readers[user_id]
        for found, muted in (
            (post_id, reader.muted_posts),
            (meeting_id, reader.muted_meetings),
            (group_id, reader.muted_groups),
        ):
            if found:
                muted.add(found)
    for pk, reader in readers.items():
        groups = [
            m.group
            for m in reader.memberships.values()
            if m.frequency == period.frequency and m.group_id not in reader.muted_groups
        ]
        if groups:
            digests[pk] = Digest(user=reader.user, period=period, groups=groups)
    chosen_readers = {pk: readers[pk] for pk, digest in digests.items() if digest is not None}
    if not chosen_readers:
        return digests
    # 1. What expects an action from the reader.
    _meetings_awaiting(chosen_readers, digests)
    _decisions_due(chosen_readers, digests)
    _requests(chosen_readers, digests)
    # 2. Decisions taken in their groups during the period.
    _decisions_taken(chosen_readers, digests, period)
    # 3. The most discussed posts of their groups.
    activity = activity if activity is not None else Activity.of(period)
    _posts(chosen_readers, digests, activity)
    return digests


def _meetings_awaiting(readers: dict[int, _Reader], digests: dict) -> None:
    """Meetings in preparation soon, to which they are invited, with agenda items they have
    not given their opinion on."""
    from meetings.models import AgendaItem, Invitation, Meeting, Opinion
    from meetings.policy import can_view_meeting_given

    now = timezone.now()
    items = (
        AgendaItem.objects.filter(meeting=OuterRef("meeting_id"))
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    opinions = (
        Opinion.objects.filter(item__meeting=OuterRef("meeting_id"), user=OuterRef("user_id"))
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    invitations = (
        Invitation.objects.filter(
            user_id__in=list(readers),
            meeting__status=Meeting.Status.PREPARATION,
            meeting__cancelled_at__isnull=True,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + MEETING_HORIZON,
        )
        .annotate(
            item_count=Coalesce(Subquery(items), 0),
            my_opinions=Coalesce(Subquery(opinions), 0),
        )
        .filter(item_count__gt=F("my_opinions"))
        .select_related("meeting__group")
        .order_by("meeting__starts_at", "meeting_id")
    )
    for invitation in invitations:
        reader, meeting = readers[invitation.user_id], invitation.meeting
        found = digests[invitation.user_id].meetings_awaiting
        if (
            len(found) >= ACTIONS_PER_SECTION
            or meeting.pk in reader.muted_meetings
            or meeting.group_id in reader.muted_groups
            or not can_view_meeting_given(
                reader.user,
                meeting,
                membership=reader.memberships.get(meeting.group_id),
                invited=True,
            )
        ):
            continue
        meeting.item_count = invitation.item_count
        meeting.my_opinions = invitation.my_opinions
        found.append(meeting)


def _decisions_due(readers: dict[int, _Reader], digests: dict) -> None:
    """Open decisions they own, due within the horizon (or late)."""
    from meetings.models import Decision, Invitation
    from meetings.policy import can_view_meeting_given

    decisions = (
        Decision.objects.filter(
            owner_id__in=list(readers),
            status__in=Decision.OPEN,
            due_on__isnull=False,
            due_on__lte=timezone.localdate() + DECISION_HORIZON,
        )
        .annotate(
            owner_invited=Exists(
                Invitation.objects.filter(meeting=OuterRef("meeting_id"), user=OuterRef("owner_id"))
            )
        )
        .select_related("meeting__group")
        .order_by("due_on", "pk")
    )
    for decision in decisions:
        reader = readers[decision.owner_id]
        found = digests[decision.owner_id].decisions_due
        if len(found) < ACTIONS_PER_SECTION and can_view_meeting_given(
            reader.user,
            decision.meeting,
            membership=reader.memberships.get(decision.meeting.group_id),
            invited=decision.owner_invited,
        ):
            found.append(decision)


def _requests(readers: dict[int, _Reader], digests: dict) -> None:
    """Pending requests to join the groups they own or manage (one row per manager)."""
    from groups.models import JoinRequest, Membership

    now = timezone.now()
    requests = (
        JoinRequest.objects.filter(
            Q(group__memberships__expires_at__isnull=True)
            | Q(group__memberships__expires_at__gt=now),
            status=JoinRequest.Status.PENDING,
            group__memberships__user_id__in=list(readers),
            group__memberships__role__in=[Membership.Role.OWNER, Membership.Role.MANAGER],
        )
        .annotate(manager_id=F("group__memberships__user_id"))
        .select_related("user", "group")
        .order_by("created_at", "pk")
    )
    for request in requests:
        found = digests[request.manager_id].requests
        if (
            len(found) < ACTIONS_PER_SECTION
            and request.group_id not in readers[request.manager_id].muted_groups
        ):
            found.append(request)


def _decisions_taken(readers: dict[int, _Reader], digests: dict, period: Period) -> None:
    """Decisions recorded during the period in their groups: read once for everyone."""
    from meetings.models import Decision
    from meetings.policy import can_view_meeting_given

    group_ids = {g.pk for pk in readers for g in digests[pk].groups}
    by_group: dict[int, list] = {}
    decisions = (
        Decision.objects.filter(
            meeting__group_id__in=group_ids,
            created_at__gte=period.since,
            created_at__lt=period.until,
        )
        .select_related("meeting__group", "owner")
        .order_by("-created_at", "-pk")
    )
    for decision in decisions:
        by_group.setdefault(decision.meeting.group_id, []).append(decision)
    if not by_group:
        return
    for pk, reader in readers.items():
        found = [
            decision
            for group in digests[pk].groups
            for decision in by_group.get(group.pk, [])
            if decision.meeting_id not in reader.muted_meetings
            # Read through their membership of the group: whether they are invited is moot.
            and can_view_meeting_given(
                reader.user,
                decision.meeting,
                membership=reader.memberships.get(group.pk),
                invited=False,
            )
        ]
        found.sort(key=lambda d: (d.created_at, d.pk), reverse=True)
        digests[pk].decisions_taken = found[:DECISIONS_PER_DIGEST]


def _posts(readers: dict[int, _Reader], digests: dict, activity: Activity) -> None:
    """The most discussed posts of their groups, still there and still readable."""
    from social.models import Post
    from social.policy import can_view_post_given

    scores = {
        pk: activity.candidates([g.pk for g in digests[pk].groups], reader.muted_posts)
        for pk, reader in readers.items()
    }
    wanted = {post_id for found in scores.values() for post_id in found}
    if not wanted:
        return
    posts = Post.objects.filter(pk__in=wanted, deleted_at__isnull=True).select_related(
        "author", "group"
    )
    posts = {post.pk: post for post in posts}
    for pk, reader in readers.items():
        found = []
        for post_id, score in scores[pk].items():
            post = posts.get(post_id)
            if post is not None and can_view_post_given(
                reader.user, post, reader.memberships.get(post.group_id)
            ):
                post.digest_comments = score
                found.append(post)
        found.sort(key=lambda p: (p.digest_comments, p.created_at), reverse=True)
        digests[pk].posts = found[:POSTS_PER_DIGEST]
