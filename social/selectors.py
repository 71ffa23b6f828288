"""Reads of posts and feeds, filtered by social.policy, at a constant number of queries."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from files import selectors as file_selectors
from groups import policy as group_policy
from groups.models import Group, Membership
from notifications.models import Mute
from social import policy
from social.models import Bookmark, Comment, Follow, PollVote, Post, Reaction, Topic

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
FEED_FILTERS = ("all", "mentions", "bookmarks", "questions", "announcements")


@dataclass
class FeedPage:
    posts: list[Post]
    next_cursor: str | None
    pinned: list[Post] = field(default_factory=list)


class InvalidCursor(ValueError):
    pass


# A cursor is `<microseconds since 1970 UTC>_<post id>`. Every string of this shape is a valid
# cursor (the API states the pattern, so a client or a fuzzer that follows it is never refused);
# it only points inside the viewer's own filtered feed, so forging one reveals nothing.
CURSOR_PATTERN = r"^[0-9]{1,16}_[0-9]{1,18}$"
_CURSOR_RE = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(post: Post) -> str:
    return f"{(post.created_at - _EPOCH) // timedelta(microseconds=1)}_{post.pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    if not _CURSOR_RE.fullmatch(cursor):
        raise InvalidCursor
    micros, pk = cursor.split("_")
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


def _comment_count() -> Subquery:
    return Subquery(
        Comment.objects.filter(post=OuterRef("pk"), deleted_at__isnull=True)
        .order_by()
        .values("post")
        .annotate(n=Count("*"))
        .values("n")
    )


def _detailed(posts: QuerySet[Post], viewer: User) -> QuerySet[Post]:
    return posts.select_related(
        "author__organisation",
        "group",
        "shared_from__author__organisation",
        "shared_from__group",
        "best_answer__author",
    ).annotate(
        comment_count=Coalesce(_comment_count(), 0),
        is_bookmarked=Exists(Bookmark.objects.filter(user=viewer, post=OuterRef("pk"))),
        # The state of the card's « Mettre en sourdine » button, in the same query.
        is_muted=Exists(Mute.objects.filter(user=viewer, post=OuterRef("pk"))),
        group_is_muted=Exists(Mute.objects.filter(user=viewer, group=OuterRef("group_id"))),
        # A share outlives its original's readers (a group turned private, or the share's
        # group opened to external members later): the original shows only to its readers.
        # Evaluated only for shares: a bare EXISTS here made PostgreSQL hash every readable
        # post for each page (bench/feeds.py: ~130 ms a page at 200,000 posts).
        shared_readable=Case(
            When(shared_from__isnull=True, then=Value(False)),
            default=Exists(policy.visible_posts(viewer).filter(pk=OuterRef("shared_from_id"))),
            output_field=BooleanField(),
        ),
    )


def attach_details(posts: list[Post], viewer: User) -> list[Post]:
    """Topics, mentions, reactions, poll results and attached files for a page of posts (with
    its pinned ones): seven queries at most, whatever its size."""
    ids = [p.pk for p in posts]
    if not ids:
        return posts
    prefetch_related_objects(posts, "topics", "poll_options", "mentions")
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    mine: dict[int, set[str]] = defaultdict(set)
    for row in (
        Reaction.objects.filter(post_id__in=ids)
        .values("post_id", "kind")
        .annotate(n=Count("*"), n_mine=Count("pk", filter=Q(user_id=viewer.pk)))
        .order_by()
    ):
        counts[row["post_id"]][row["kind"]] = row["n"]
        if row["n_mine"]:
            mine[row["post_id"]].add(row["kind"])
    managed = policy.managed_group_ids(viewer)
    poll_ids = [p.pk for p in posts if p.kind == Post.Kind.POLL]
    votes: dict[int, int] = {}
    my_votes: dict[int, int] = {}
    if poll_ids:
        for row in (
            PollVote.objects.filter(post_id__in=poll_ids)
            .values("option_id", "post_id", "user_id")
            .order_by()
        ):
            votes[row["option_id"]] = votes.get(row["option_id"], 0) + 1
            if row["user_id"] == viewer.pk:
                my_votes[row["post_id"]] = row["option_id"]
    for post in posts:
        if post.shared_from_id is not None and not getattr(post, "shared_readable", False):
            post.shared_from = None
        post.reaction_summary = [
            {
                "kind": kind,
                "label": label,
                "count": counts[post.pk].get(kind, 0),
                "mine": kind in mine[post.pk],
            }
            for kind, label in Reaction.Kind.choices
        ]
        post.viewer_can_edit = not post.is_deleted and post.author_id == viewer.pk
        post.viewer_can_delete = not post.is_deleted and policy.moderates(viewer, post, managed)
        post.like_count = counts[post.pk].get(Reaction.Kind.LIKE, 0)
        post.liked = Reaction.Kind.LIKE in mine[post.pk]
        if post.kind == Post.Kind.POLL:
            post.my_vote = my_votes.get(post.pk)
            post.show_results = policy.can_see_poll_results(
                viewer, post, has_voted=post.my_vote is not None, managed=managed
            )
            total = sum(votes.get(o.pk, 0) for o in post.poll_options.all())
            # Hidden results are not computed at all, so no page or API can show them by mistake.
            post.poll_total = total if post.show_results else None
            for option in post.poll_options.all():
                option.votes_count = votes.get(option.pk, 0) if post.show_results else None
                option.percent = (
                    (round(100 * option.votes_count / total) if total else 0)
                    if post.show_results
                    else None
                )
    _attach_files(posts, viewer)
    return posts


def _attach_files(posts: list[Post], viewer: User) -> None:
    """`post.attachments`: the files shared to each live post, and to the original a share
    shows, in one query. The viewer reads the post, so they may see its files."""
    shown = [p for p in posts if not p.is_deleted]
    shown += [
        p.shared_from
        for p in shown
        if p.shared_from_id is not None
        and p.shared_from is not None
        and not p.shared_from.is_deleted
    ]
    attached = file_selectors.attachments_for(viewer, shown) if shown else {}
    for post in posts:
        post.attachments = []
    for post in shown:
        post.attachments = attached.get(post.pk, [])


def _page(
    posts: QuerySet[Post],
    viewer: User,
    cursor: str | None,
    size: int,
    pinned: QuerySet[Post] | None = None,
) -> FeedPage:
    size = max(1, min(size, MAX_PAGE_SIZE))
    if cursor:
        moment, pk = decode_cursor(cursor)
        # The `lte` bound is redundant but indexable: a deep page starts where the cursor
        # points in the feed indexes instead of scanning every newer post.
        posts = posts.filter(created_at__lte=moment).filter(
            Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk)
        )
    rows = list(_detailed(posts, viewer).order_by("-created_at", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    on_top = [] if pinned is None else list(_detailed(pinned, viewer).order_by("-created_at")[:5])
    attach_details(rows + on_top, viewer)  # one batch of detail queries for both lists
    return FeedPage(
        posts=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None, pinned=on_top
    )


def _filtered(posts: QuerySet[Post], viewer: User, filter: str) -> QuerySet[Post]:
    if filter == "mentions":
        return posts.filter(
            Q(pk__in=Post.mentions.through.objects.filter(user=viewer).values("post_id"))
            | Q(
                pk__in=Comment.mentions.through.objects.filter(user=viewer).values(
                    "comment__post_id"
                )
            )
        )
    if filter == "bookmarks":
        return posts.filter(pk__in=Bookmark.objects.filter(user=viewer).values("post_id"))
    if filter == "questions":
        return posts.filter(kind=Post.Kind.QUESTION, best_answer__isnull=True)
    if filter == "announcements":
        return posts.filter(kind=Post.Kind.ANNOUNCEMENT)
    return posts


def _live(viewer: User) -> QuerySet[Post]:
    return policy.visible_posts(viewer).filter(deleted_at__isnull=True)


def home_feed(
    viewer: User,
    *,
    filter: str = "all",
    cursor: str | None = None,
    size: int = PAGE_SIZE,
) -> FeedPage:
    """What `viewer` follows (people, groups, topics), what mentions them, and their own posts."""
    follows = Follow.objects.filter(follower=viewer)
    followed = (
        Q(group__in=follows.filter(group__isnull=False).values("group_id"))
        | Q(author__in=follows.filter(user__isnull=False).values("user_id"))
        | Q(
            pk__in=Post.topics.through.objects.filter(
                topic__in=follows.filter(topic__isnull=False).values("topic_id")
            ).values("post_id")
        )
        | Q(pk__in=Post.mentions.through.objects.filter(user=viewer).values("post_id"))
        | Q(author=viewer)
    )
    # "My bookmarks" and "mentions of me" cover every visible post, followed or not.
    base = _live(viewer) if filter in ("mentions", "bookmarks") else _live(viewer).filter(followed)
    posts = _filtered(base, viewer, filter)
    return _page(posts, viewer, cursor, size)


_NOT_LOADED = object()


def group_feed(
    viewer: User,
    group: Group,
    *,
    filter: str = "all",
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    membership: Membership | object | None = _NOT_LOADED,
) -> FeedPage:
    """`membership`: the viewer's `membership_of` the group, when the caller already has it."""
    readable = (
        group_policy.can_read_group(viewer, group)
        if membership is _NOT_LOADED
        else group_policy.can_read_group_given(viewer, group, membership)
    )
    if not readable:
        raise Http404
    posts = _filtered(_live(viewer).filter(group=group), viewer, filter)
    # Pinned announcements head the first page only.
    pinned = (
        None
        if cursor
        else posts.filter(kind=Post.Kind.ANNOUNCEMENT, pinned_until__gt=timezone.now())
    )
    return _page(posts, viewer, cursor, size, pinned=pinned)


def profile_feed(
    viewer: User, person: User, *, cursor: str | None = None, size: int = PAGE_SIZE
) -> FeedPage:
    from accounts import policy as account_policy

    # Someone the viewer may not see has no profile, hence no profile feed, for them.
    if not account_policy.can_view_profile(viewer, person):
        raise Http404
    return _page(_live(viewer).filter(author=person), viewer, cursor, size)


def topic_feed(
    viewer: User, topic: Topic, *, cursor: str | None = None, size: int = PAGE_SIZE
) -> FeedPage:
    return _page(_live(viewer).filter(topics=topic), viewer, cursor, size)


def get_post_for(viewer: User, post_id: int) -> Post:
    """A post `viewer` may read, deleted ones included (shown as tombstones); 404 otherwise."""
    try:
        post = _detailed(policy.visible_posts(viewer), viewer).get(pk=post_id)
    except (Post.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None
    attach_details([post], viewer)
    return post


def get_comment_for(viewer: User, comment_id: int) -> Comment:
    try:
        comment = (
            policy.visible_comments(viewer)
            .select_related("post__group", "file", "author")
            .filter(pk=comment_id)
            .first()
        )
    except (ValueError, OverflowError):
        raise Http404 from None
    if comment is None:
        raise Http404
    return comment


def comments_of(viewer: User, post: Post) -> list[Comment]:
    """The thread of a post the viewer may read, best answer first; 404 otherwise."""
    if not policy.can_view_post(viewer, post):
        raise Http404
    comments = thread(viewer, post.comments.all())
    if post.best_answer_id:
        comments.sort(key=lambda c: c.pk != post.best_answer_id)
    return comments


def thread(viewer: User, comments: QuerySet[Comment]) -> list[Comment]:
    """Comments of one subject the caller has checked, oldest first, with their likes."""
    return list(
        comments.select_related("author__organisation")
        .annotate(
            like_count=Count("reactions", filter=Q(reactions__kind=Reaction.Kind.LIKE)),
            liked=Exists(
                Reaction.objects.filter(
                    comment=OuterRef("pk"), user=viewer, kind=Reaction.Kind.LIKE
                )
            ),
        )
        .order_by("created_at", "id")
    )


def get_topic(viewer: User, name: str) -> Topic:
    if "\x00" in name:  # PostgreSQL cannot even compare it: the query would fail
        raise Http404
    topic = Topic.objects.filter(name=name.lower()[:50]).first()
    if topic is None or not _live(viewer).filter(topics=topic).exists():
        raise Http404
    return topic


def trending_topics(viewer: User, *, days: int = 7, limit: int = 8) -> list[Topic]:
    since = timezone.now() - timedelta(days=days)
    return list(
        Topic.objects.filter(posts__in=_live(viewer).filter(created_at__gte=since))
        .annotate(uses=Count("posts"))
        .order_by("-uses", "name")[:limit]
    )


def revisions_of(viewer: User, post: Post):
    if not policy.can_view_revisions(viewer, post):
        raise Http404
    return post.revisions.select_related("edited_by__organisation").order_by("-created_at", "-id")


def is_following(
    viewer: User,
    *,
    user: User | None = None,
    group: Group | None = None,
    topic: Topic | None = None,
) -> bool:
    return Follow.objects.filter(follower=viewer, user=user, group=group, topic=topic).exists()


MENTION_QUERY_MAX_LENGTH = 50
MENTION_CANDIDATES = 8


def mention_candidates(
    author: User, *, group: Group | None, query: str, limit: int = MENTION_CANDIDATES
) -> list[User]:
    """The composer's @mention suggestions: people `author` may see who could read the post."""
    from accounts import policy as account_policy

    query = query.replace("\x00", "").strip().lstrip("@")[:MENTION_QUERY_MAX_LENGTH]
    if not query:
        return []
    people = (
        account_policy.visible_people(author)
        .exclude(pk=author.pk)
        .filter(policy.readers_of_posts_in(group))
    )
    return list(
        people.filter(Q(handle__istartswith=query) | Q(display_name__icontains=query))
        .select_related("organisation")
        .order_by("display_name", "id")[:limit]
    )


def reactors_of(viewer: User, post: Post) -> dict[str, list[User]]:
    """Who reacted to a post, per kind of reaction: only the people `viewer` may see."""
    from accounts import policy as account_policy

    if not policy.can_view_post(viewer, post):
        raise Http404
    visible = account_policy.visible_people(viewer).values("pk")
    reactors: dict[str, list[User]] = defaultdict(list)
    for reaction in (
        Reaction.objects.filter(post=post, user__in=visible)
        .select_related("user__organisation")
        .order_by("created_at", "id")
    ):
        reactors[reaction.kind].append(reaction.user)
    return dict(reactors)
