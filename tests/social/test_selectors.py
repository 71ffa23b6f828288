"""Feeds: keyset pagination, filters, pinned announcements, and a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social import selectors, services
from social.models import Bookmark, Comment, Follow, PollVote, Post, Reaction, Topic

FEEDS = ["home", "group", "profile", "topic"]


def fetch(feed, world, viewer, **kwargs):
    """One page of `feed` as `viewer` sees it, over the posts `many_posts` writes."""
    if feed == "home":
        return selectors.home_feed(viewer, **kwargs)
    if feed == "group":
        return selectors.group_feed(viewer, world.groups["public"], **kwargs)
    if feed == "profile":
        return selectors.profile_feed(viewer, world.users["staff_member"], **kwargs)
    return selectors.topic_feed(viewer, Topic.objects.get(name="pagination"), **kwargs)


def many_posts(world, count: int) -> list[Post]:
    """`count` posts of #pagination in the public group, in runs of four sharing one moment."""
    author, group = world.users["staff_member"], world.groups["public"]
    topic, _created = Topic.objects.get_or_create(name="pagination")
    moment = timezone.now() - timedelta(hours=1)
    posts = Post.objects.bulk_create(
        Post(
            author=author,
            group=group,
            body=f"Message {i} #pagination",
            body_html=f"<p>Message {i}</p>",
            # Runs of equal timestamps, where only the id orders the posts.
            created_at=moment + timedelta(seconds=i // 4),
        )
        for i in range(count)
    )
    Post.topics.through.objects.bulk_create(
        Post.topics.through(post=post, topic=topic) for post in posts
    )
    return posts


def walk(feed, world, viewer, size, **kwargs) -> list[int]:
    ids, cursor = [], None
    for _page in range(1000):
        page = fetch(feed, world, viewer, cursor=cursor, size=size, **kwargs)
        assert len(page.posts) <= size
        ids.extend(post.pk for post in page.posts)
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("the feed never ends")


# --- Keyset pagination ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 4, 7, 50])
@pytest.mark.parametrize("feed", FEEDS)
def test_load_more_shows_every_post_exactly_once_newest_first(world, feed, size):
    posts = many_posts(world, 23)
    viewer = world.users["staff_member"]
    ids = walk(feed, world, viewer, size)
    assert len(ids) == len(set(ids))
    expected = sorted(posts, key=lambda p: (p.created_at, p.pk), reverse=True)
    mine = {p.pk for p in posts}
    assert [i for i in ids if i in mine] == [p.pk for p in expected]


def test_a_post_deleted_between_two_pages_neither_hides_nor_repeats_the_others(world):
    posts = many_posts(world, 10)
    viewer = world.users["staff_member"]
    first = fetch("topic", world, viewer, size=4)
    services.delete_post(actor=viewer, post=first.posts[-1])  # the cursor's own post
    rest = walk_from(world, viewer, first.next_cursor)
    shown = [p.pk for p in first.posts] + rest
    assert sorted(shown) == sorted(p.pk for p in posts)
    assert len(shown) == len(set(shown))


def walk_from(world, viewer, cursor) -> list[int]:
    ids = []
    while cursor:
        page = fetch("topic", world, viewer, cursor=cursor, size=4)
        ids.extend(p.pk for p in page.posts)
        cursor = page.next_cursor
    return ids


def test_the_last_page_offers_no_further_cursor(world):
    many_posts(world, 4)
    viewer = world.users["staff_member"]
    assert fetch("topic", world, viewer, size=4).next_cursor is None
    assert fetch("topic", world, viewer, size=3).next_cursor is not None


@pytest.mark.parametrize(("asked", "served"), [(0, 1), (-5, 1), (10_000, selectors.MAX_PAGE_SIZE)])
def test_a_page_size_out_of_bounds_is_brought_within_them(world, asked, served):
    many_posts(world, selectors.MAX_PAGE_SIZE + 1)
    page = fetch("topic", world, world.users["staff_member"], size=asked)
    assert len(page.posts) == served


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "1_",
        "_1",
        "1_2_3",
        "-1_2",
        "1_-2",
        "1.5_2",
        "1_2\n",
        " 1_2",
        "\x00",
        "1\x00_2",
        "１_２",  # full-width digits
        "9" * 17 + "_1",
        "1_" + "9" * 19,
        "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx",  # a base64 cursor of another format
        "é",
    ],
)
@pytest.mark.parametrize("feed", FEEDS)
def test_a_malformed_cursor_is_refused_as_such(world, feed, cursor):
    Topic.objects.get_or_create(name="pagination")
    with pytest.raises(selectors.InvalidCursor):
        fetch(feed, world, world.users["staff_member"], cursor=cursor)


@pytest.mark.parametrize("cursor", ["0_0", "9999999999999999_999999999999999999", "1_1"])
def test_a_well_formed_cursor_anywhere_in_time_answers_a_page(world, cursor):
    many_posts(world, 2)
    page = fetch("topic", world, world.users["staff_member"], cursor=cursor)
    assert page.next_cursor is None


def test_a_cursor_is_stable_text_that_round_trips(world):
    post = many_posts(world, 1)[0]
    cursor = selectors.encode_cursor(post)
    assert selectors.decode_cursor(cursor) == (post.created_at, post.pk)


# --- Filters --------------------------------------------------------------------------------


@pytest.fixture
def filtered(world):
    """Posts of the public group that each filter should single out, for the staff member."""
    me, owner, group = world.users["staff_member"], world.users["owner"], world.groups["public"]

    def post(**kwargs):
        return services.create_post(author=owner, group=group, **kwargs)

    made = {
        "plain": post(body="Rien de spécial"),
        "mentioned": post(body="Pour @marie"),
        "mentioned_in_comment": post(body="Un fil"),
        "bookmarked": post(body="À garder"),
        "question": post(body="Qui vient ?", kind="question"),
        "answered": post(body="Qui conduit ?", kind="question"),
        "announcement": post(
            body="Salon", kind="announcement", pinned_until=timezone.now() + timedelta(days=2)
        ),
        "old_announcement": post(
            body="Ancien", kind="announcement", pinned_until=timezone.now() + timedelta(days=2)
        ),
    }
    services.add_comment(author=owner, post=made["mentioned_in_comment"], body="Avis, @marie ?")
    services.bookmark(actor=me, post=made["bookmarked"])
    answer = services.add_comment(author=me, post=made["answered"], body="Moi")
    services.choose_best_answer(actor=owner, comment=answer)
    Post.objects.filter(pk=made["old_announcement"].pk).update(
        pinned_until=timezone.now() - timedelta(minutes=1)
    )
    return made


FILTERED = {
    "mentions": {"mentioned", "mentioned_in_comment"},
    "bookmarks": {"bookmarked"},
    "questions": {"question"},
    "announcements": {"announcement", "old_announcement"},
}


@pytest.mark.parametrize("feed_filter", list(FILTERED))
@pytest.mark.parametrize("feed", ["home", "group"])
def test_each_filter_keeps_exactly_its_posts(world, filtered, feed, feed_filter):
    viewer = world.users["staff_member"]
    ids = set(walk(feed, world, viewer, 50, filter=feed_filter))
    made = {post.pk: key for key, post in filtered.items()}
    assert {made[i] for i in ids if i in made} == FILTERED[feed_filter]
    if feed_filter == "questions":
        assert all(Post.objects.get(pk=i).kind == "question" for i in ids)


def test_mentions_and_bookmarks_reach_beyond_what_one_follows(world, filtered):
    viewer = world.users["staff_member"]
    Follow.objects.filter(follower=viewer).delete()
    for feed_filter in ("mentions", "bookmarks"):
        ids = set(walk("home", world, viewer, 50, filter=feed_filter))
        assert {filtered[k].pk for k in FILTERED[feed_filter]} <= ids


def test_an_announcement_is_pinned_only_until_its_end_date(world, filtered):
    viewer, group = world.users["staff_member"], world.groups["public"]
    page = selectors.group_feed(viewer, group)
    assert [p.pk for p in page.pinned] == [filtered["announcement"].pk]
    assert page.pinned[0].reaction_summary  # pinned posts carry their details too
    Post.objects.filter(pk=filtered["announcement"].pk).update(pinned_until=timezone.now())
    assert selectors.group_feed(viewer, group).pinned == []


def test_pinned_announcements_head_the_first_page_only(world, filtered):
    viewer, group = world.users["staff_member"], world.groups["public"]
    first = selectors.group_feed(viewer, group, size=2)
    assert first.pinned
    assert selectors.group_feed(viewer, group, size=2, cursor=first.next_cursor).pinned == []


def test_a_deleted_announcement_is_no_longer_pinned(world, filtered):
    viewer, group = world.users["staff_member"], world.groups["public"]
    services.delete_post(actor=world.users["owner"], post=filtered["announcement"])
    assert selectors.group_feed(viewer, group).pinned == []


def test_an_unknown_filter_shows_the_whole_feed(world, filtered):
    viewer = world.users["staff_member"]
    everything = walk("group", world, viewer, 50)
    assert walk("group", world, viewer, 50, filter="n'importe quoi") == everything


# --- Details of a page ----------------------------------------------------------------------


def test_a_page_tells_each_post_s_reactions_comments_and_rights(world):
    viewer, owner = world.users["staff_member"], world.users["owner"]
    post = world.posts["public"]
    services.react(actor=viewer, post=post)
    services.react(actor=owner, post=post)
    services.react(actor=owner, post=post, kind=Reaction.Kind.PARTY)
    services.add_comment(author=viewer, post=post, body="Deux")
    deleted = services.add_comment(author=viewer, post=post, body="Trois")
    services.delete_comment(actor=viewer, comment=deleted)
    seen = selectors.get_post_for(viewer, post.pk)
    assert (seen.like_count, seen.liked) == (2, True)
    summary = {r["kind"]: (r["count"], r["mine"]) for r in seen.reaction_summary}
    assert summary["party"] == (1, False)
    assert seen.comment_count == 2  # the deleted one is not counted
    assert (seen.viewer_can_edit, seen.viewer_can_delete) == (False, False)
    as_owner = selectors.get_post_for(owner, post.pk)
    assert (as_owner.viewer_can_edit, as_owner.viewer_can_delete) == (True, True)


def test_poll_figures_add_up(world):
    poll, owner = world.posts["public_poll"], world.users["owner"]
    first, second = poll.poll_options.all()
    for voter, option in (("staff_member", first), ("elected", first), ("staff_outsider", second)):
        services.vote(actor=world.users[voter], post=poll, option_id=option.pk)
    seen = selectors.get_post_for(owner, poll.pk)
    assert seen.poll_total == 3
    assert [(o.votes_count, o.percent) for o in seen.poll_options.all()] == [(2, 67), (1, 33)]
    assert seen.my_vote is None


# --- Constant number of queries -------------------------------------------------------------


def grow(world, start: int, stop: int) -> None:
    """Rich posts in the public group: polls with votes, questions with best answers,
    shares, mentions and topics, by several authors, with reactions, comments, bookmarks."""
    group = world.groups["public"]
    authors = [world.users[k] for k in ("owner", "staff_member")]
    readers = [world.users[k] for k in ("staff_member", "elected", "staff_outsider")]
    for i in range(start, stop):
        author = authors[i % 2]
        if i % 4 == 0:
            post = services.create_post(
                author=author,
                group=group,
                body=f"Sondage {i} #perf",
                kind="poll",
                poll_options=["Oui", "Non", "Peut-être"],
            )
            options = list(post.poll_options.all())
            PollVote.objects.bulk_create(
                PollVote(post=post, option=options[n % 3], user=reader)
                for n, reader in enumerate(readers)
            )
        elif i % 4 == 1:
            post = services.create_post(
                author=author, group=group, body=f"Question {i} @sacha #perf", kind="question"
            )
            answer = services.add_comment(author=readers[2], post=post, body="Réponse @marie")
            services.choose_best_answer(actor=author, comment=answer)
        elif i % 4 == 2:
            post = services.share_post(
                actor=world.users["staff_member"],
                post=world.posts["public"],
                group=group,
                body=f"Partage {i} #perf",
            )
        else:
            post = services.create_post(
                author=author, group=group, body=f"Message {i} @elise #perf #cloud"
            )
        comments = Comment.objects.bulk_create(
            Comment(post=post, author=reader, body=f"Avis de {reader.handle}") for reader in readers
        )
        Reaction.objects.bulk_create(
            [Reaction(user=r, post=post, kind=k) for r in readers for k in ("like", "eyes")]
            + [Reaction(user=r, comment=comments[0]) for r in readers]
        )
        Bookmark.objects.bulk_create(Bookmark(user=reader, post=post) for reader in readers)


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


PAGE_READS = {
    "home": lambda w, v: selectors.home_feed(v, size=50),
    "home_mentions": lambda w, v: selectors.home_feed(v, size=50, filter="mentions"),
    "group": lambda w, v: selectors.group_feed(v, w.groups["public"], size=50),
    "group_questions": lambda w, v: selectors.group_feed(
        v, w.groups["public"], size=50, filter="questions"
    ),
    "profile": lambda w, v: selectors.profile_feed(v, w.users["staff_member"], size=50),
    "topic": lambda w, v: selectors.topic_feed(v, Topic.objects.get(name="perf"), size=50),
    "comments": lambda w, v: selectors.comments_of(v, Post.objects.get(body="Sondage 0 #perf")),
}


@pytest.mark.parametrize("viewer", ["staff_member", "owner", "elected"])
def test_every_feed_page_costs_the_same_queries_whatever_its_length(world, viewer):
    user = world.users[viewer]
    grow(world, 0, 4)
    services.create_post(
        author=world.users["owner"],
        group=world.groups["public"],
        body="Épinglé #perf",
        kind="announcement",
        pinned_until=timezone.now() + timedelta(days=1),
    )
    small = {
        read: count_queries(lambda call=call: call(world, user))
        for read, call in PAGE_READS.items()
    }
    grow(world, 4, 20)
    poll = Post.objects.get(body="Sondage 0 #perf")
    Comment.objects.bulk_create(
        Comment(post=poll, author=world.users["owner"], body=f"Encore {n}") for n in range(10)
    )
    assert len(selectors.group_feed(user, world.groups["public"], size=50).posts) >= 20
    assert len(selectors.comments_of(user, poll)) >= 13
    large = {
        read: count_queries(lambda call=call: call(world, user))
        for read, call in PAGE_READS.items()
    }
    assert large == small
    assert max(small.values()) <= 12, small
