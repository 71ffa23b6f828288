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

from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from notifications.models import DEFAULT_FREQUENCY, Frequency, Mute

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


def _default_frequency(user: User) -> str:
    try:
        return user.notification_settings.default_frequency
    except User.notification_settings.RelatedObjectDoesNotExist:
        return DEFAULT_FREQUENCY


def build_digest(user: User, period: Period, activity: Activity | None = None) -> Digest | None:
    """`user`'s digest for `period`, or None when no group of theirs is at that frequency.

    Load users with `select_related("notification_settings")` to save a query each.
    """
    from groups.models import JoinRequest, Membership
    from meetings.models import Decision, Meeting
    from meetings.policy import visible_decisions, visible_meetings
    from notifications.selectors import group_frequencies
    from social.policy import visible_posts

    if not (user.is_active and not user.is_citizen):
        return None
    memberships = list(group_frequencies(user, _default_frequency(user)))
    groups = [m.group for m in memberships if m.frequency == period.frequency]
    if not groups:
        return None
    mutes = list(Mute.objects.filter(user=user).values_list("post_id", "meeting_id", "group_id"))
    muted_posts = {p for p, _m, _g in mutes if p}
    muted_meetings = {m for _p, m, _g in mutes if m}
    muted_groups = {g for _p, _m, g in mutes if g}
    groups = [g for g in groups if g.pk not in muted_groups]
    if not groups:
        return None
    group_ids = [g.pk for g in groups]
    digest = Digest(user=user, period=period, groups=groups)
    now = timezone.now()
    today = timezone.localdate()

    # 1. What expects an action from the reader.
    digest.meetings_awaiting = list(
        visible_meetings(user)
        .filter(
            invitations__user=user,
            status=Meeting.Status.PREPARATION,
            cancelled_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + MEETING_HORIZON,
        )
        .exclude(pk__in=muted_meetings)
        .exclude(group_id__in=muted_groups)
        .annotate(
            item_count=Count("items", distinct=True),
            my_opinions=Count(
                "items__opinions", filter=Q(items__opinions__user=user), distinct=True
            ),
        )
        .filter(item_count__gt=F("my_opinions"))
        .select_related("group")
        .order_by("starts_at", "pk")[:ACTIONS_PER_SECTION]
    )
    digest.decisions_due = list(
        visible_decisions(user)
        .filter(
            owner=user,
            status__in=Decision.OPEN,
            due_on__isnull=False,
            due_on__lte=today + DECISION_HORIZON,
        )
        .select_related("meeting")
        .order_by("due_on", "pk")[:ACTIONS_PER_SECTION]
    )
    managed = Membership.objects.filter(
        user=user, role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    digest.requests = list(
        JoinRequest.objects.filter(
            status=JoinRequest.Status.PENDING, group__in=managed.values("group_id")
        )
        .exclude(group_id__in=muted_groups)
        .select_related("user", "group")
        .order_by("created_at", "pk")[:ACTIONS_PER_SECTION]
    )

    # 2. Decisions taken in their groups during the period.
    digest.decisions_taken = list(
        visible_decisions(user)
        .filter(
            meeting__group_id__in=group_ids,
            created_at__gte=period.since,
            created_at__lt=period.until,
        )
        .exclude(meeting_id__in=muted_meetings)
        .select_related("meeting__group", "owner")
        .order_by("-created_at", "-pk")[:DECISIONS_PER_DIGEST]
    )

    # 3. The most discussed posts of their groups.
    activity = activity if activity is not None else Activity.of(period)
    scores = activity.candidates(group_ids, muted_posts)
    if scores:
        posts = list(
            visible_posts(user)
            .filter(pk__in=list(scores), deleted_at__isnull=True)
            .select_related("author", "group")
        )
        for post in posts:
            post.digest_comments = scores[post.pk]
        posts.sort(key=lambda p: (p.digest_comments, p.created_at), reverse=True)
        digest.posts = posts[:POSTS_PER_DIGEST]
    return digest
