"""« Who sees what », as a matrix: every kind of user, every kind of object, every read path.

Paths at this level: groups.policy and groups.selectors, social.policy and social.selectors,
accounts.policy (the people one may find and mention), and the mention rules of the services.
Forbidden lookups raise Http404 exactly like unknown ids.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts import policy as account_policy
from accounts import selectors as account_selectors
from accounts.models import User
from groups import policy as group_policy
from groups import selectors as group_selectors
from groups.models import Group, Membership
from social import policy, selectors, services
from social.models import Bookmark, Follow, Post, PostRevision, Reaction
from tests.social.conftest import (
    GROUPS,
    POST_GROUP,
    VIEWERS,
    listed_groups,
    readable_groups,
    readable_posts,
)

UNKNOWN_IDS = [987_654_321, 2**63, -1, "abc", "1 OR 1=1"]
WRITERS = {  # who may publish where: active members with access today
    "staff_member": {"public", "private", "unlisted", "garage"},
    "elected": {"private"},
    "external_member": {"garage"},
}


def keys_of(world, posts) -> set[str]:
    by_id = {post.pk: key for key, post in world.posts.items()}
    return {by_id.get(post.pk, f"other:{post.pk}") for post in posts}


def group_keys(world, groups) -> set[str]:
    by_id = {group.pk: key for key, group in world.groups.items()}
    return {by_id[group.pk] for group in groups}


def whole_feed(fetch, *, viewer=None, **kwargs) -> list:
    """Every page of a feed, following the cursors."""
    posts, cursor = [], None
    args = () if viewer is None else (viewer,)
    for _page in range(100):
        page = fetch(*args, cursor=cursor, size=50, **kwargs)
        posts.extend(page.posts)
        cursor = page.next_cursor
        if cursor is None:
            return posts
    raise AssertionError("the feed never ends")


# --- Groups: listing visibility and content readability -------------------------------------


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_group_is_listed_and_opens_only_for_those_allowed_to_see_it(world, viewer, group):
    user, target = world.users[viewer], world.groups[group]
    expected = group in listed_groups(viewer)

    assert group_policy.can_see_group(user, target) is expected
    assert group_policy.visible_groups(user).filter(pk=target.pk).exists() is expected
    listed = group_selectors.groups_for_listing(user)
    assert (target.pk in {g.pk for g in listed}) is expected
    for listing_filter in group_selectors.LISTING_FILTERS:
        assert group_keys(
            world, group_selectors.groups_for_listing(user, filter=listing_filter)
        ) <= (listed_groups(viewer))
    if expected:
        assert group_selectors.get_group_for(user, target.slug) == target
    else:
        with pytest.raises(Http404):
            group_selectors.get_group_for(user, target.slug)


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_group_s_content_is_read_only_by_those_allowed_to_read_it(world, viewer, group):
    user, target = world.users[viewer], world.groups[group]
    expected = group in readable_groups(viewer)

    assert group_policy.can_read_group(user, target) is expected
    assert group_policy.readable_groups(user).filter(pk=target.pk).exists() is expected
    # The query-free form used by the group page agrees, given the loaded membership.
    membership = group_policy.membership_of(user, target)
    assert group_policy.can_read_group_given(user, target, membership) is expected
    # The people-side mirror (mention suggestions) agrees too.
    assert User.objects.filter(group_policy.readers_of(target), pk=user.pk).exists() is expected
    if not expected:
        with pytest.raises(Http404):
            selectors.group_feed(user, target, membership=membership)
    if expected:
        posts = whole_feed(lambda **kw: selectors.group_feed(user, target, **kw))
        assert keys_of(world, posts) == {k for k, g in POST_GROUP.items() if g == group}
        assert set(group_selectors.members_of(user, target).values_list("group_id", flat=True)) == {
            target.pk
        }
    else:
        with pytest.raises(Http404):
            selectors.group_feed(user, target)
        with pytest.raises(Http404):
            group_selectors.members_of(user, target)
        for feed_filter in selectors.FEED_FILTERS:
            with pytest.raises(Http404):
                selectors.group_feed(user, target, filter=feed_filter)


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_only_members_with_access_today_may_publish_in_a_group(world, viewer, group):
    user, target = world.users[viewer], world.groups[group]
    expected = group in WRITERS.get(viewer, set())
    assert group_policy.can_post_in(user, target) is expected
    assert policy.can_post_in_group(user, target) is expected
    assert (target in group_selectors.postable_groups(user)) is expected
    before = Post.objects.count()
    if expected:
        services.create_post(author=user, group=target, body="Bonjour")
        assert Post.objects.count() == before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.create_post(author=user, group=target, body="Bonjour")
        assert Post.objects.count() == before


@pytest.mark.parametrize("viewer", VIEWERS)
def test_group_listing_and_readable_groups_are_exactly_the_issue_s_table(world, viewer):
    user = world.users[viewer]
    assert group_keys(world, group_policy.visible_groups(user)) == listed_groups(viewer)
    assert group_keys(world, group_policy.readable_groups(user)) == readable_groups(viewer)
    assert group_keys(world, group_selectors.groups_for_listing(user)) == listed_groups(viewer)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_unknown_and_forbidden_group_slugs_answer_the_same_404(world, viewer):
    user = world.users[viewer]
    for slug in ["inconnu", "", "a" * 500, "\x00", "unlisted/../public"]:
        with pytest.raises(Http404):
            group_selectors.get_group_for(user, slug)


# --- Posts, comments, revisions -------------------------------------------------------------


@pytest.mark.parametrize("post", list(POST_GROUP))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_post_and_its_thread_are_read_only_by_those_allowed(world, viewer, post):
    user, target = world.users[viewer], world.posts[post]
    comment = world.comments[post]
    expected = post in readable_posts(viewer)

    assert policy.can_view_post(user, target) is expected
    assert policy.visible_posts(user).filter(pk=target.pk).exists() is expected
    assert policy.can_interact(user, target) is expected
    if expected:
        assert selectors.get_post_for(user, target.pk).pk == target.pk
        assert selectors.get_comment_for(user, comment.pk) == comment
        assert [c.pk for c in selectors.comments_of(user, target)] == [comment.pk]
        assert list(selectors.revisions_of(user, target)) == []
        return
    with pytest.raises(Http404):
        selectors.get_post_for(user, target.pk)
    with pytest.raises(Http404):
        selectors.get_post_for(user, str(target.pk))
    with pytest.raises(Http404):
        selectors.get_comment_for(user, comment.pk)
    with pytest.raises(Http404):
        selectors.comments_of(user, target)
    with pytest.raises(Http404):
        selectors.revisions_of(user, target)
    with pytest.raises(Http404):
        selectors.reactors_of(user, target)


@pytest.mark.parametrize("post", list(POST_GROUP))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_nobody_acts_on_a_post_they_may_not_read(world, viewer, post):
    user, target = world.users[viewer], world.posts[post]
    if post in readable_posts(viewer):
        return
    counts = (target.comments.count(), target.reactions.count(), Bookmark.objects.count())
    refused = [
        lambda: services.add_comment(author=user, post=target, body="Je passe"),
        lambda: services.react(actor=user, post=target),
        lambda: services.react(actor=user, comment=world.comments[post]),
        lambda: services.bookmark(actor=user, post=target),
        lambda: services.edit_post(actor=user, post=target, body="Réécrit"),
        lambda: services.delete_post(actor=user, post=target),
        lambda: services.share_post(actor=user, post=target, group=world.groups["private"]),
    ]
    if target.kind == Post.Kind.POLL:
        option = target.poll_options.first()
        refused.append(lambda: services.vote(actor=user, post=target, option_id=option.pk))
    for action in refused:
        with pytest.raises(PermissionDenied):
            action()
    target.refresh_from_db()
    assert not target.is_deleted
    assert target.body
    assert (target.comments.count(), target.reactions.count(), Bookmark.objects.count()) == counts


@pytest.mark.parametrize("viewer", VIEWERS)
def test_unknown_and_forbidden_post_and_comment_ids_answer_the_same_404(world, viewer):
    user = world.users[viewer]
    for unknown in UNKNOWN_IDS:
        with pytest.raises(Http404):
            selectors.get_post_for(user, unknown)
        with pytest.raises(Http404):
            selectors.get_comment_for(user, unknown)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_visible_posts_are_exactly_the_issue_s_table(world, viewer):
    user = world.users[viewer]
    assert keys_of(world, policy.visible_posts(user)) == readable_posts(viewer)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_home_feed_never_shows_an_unreadable_post_despite_old_follows_and_mentions(
    world, viewer
):
    """Follows, mentions and bookmarks outlive access (a membership ends, a group closes)."""
    user = world.users[viewer]
    for group in world.groups.values():
        Follow.objects.get_or_create(follower=user, group=group)
    for person in world.users.values():
        if person != user:
            Follow.objects.get_or_create(follower=user, user=person)
    for post in world.posts.values():
        post.mentions.add(user)
        Bookmark.objects.get_or_create(user=user, post=post)
        for topic in post.topics.all():
            Follow.objects.get_or_create(follower=user, topic=topic)
    expected = readable_posts(viewer)

    assert keys_of(world, whole_feed(lambda **kw: selectors.home_feed(user, **kw))) == expected
    for feed_filter in selectors.FEED_FILTERS:
        feed = keys_of(world, whole_feed(selectors.home_feed, viewer=user, filter=feed_filter))
        if feed_filter in ("mentions", "bookmarks"):
            assert feed == expected, feed_filter
        assert feed <= expected, feed_filter


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_home_feed_of_a_new_reader_holds_only_their_groups_and_what_mentions_them(
    world, viewer
):
    user = world.users[viewer]
    feed = keys_of(world, whole_feed(lambda **kw: selectors.home_feed(user, **kw)))
    assert feed <= readable_posts(viewer)
    # Members follow their groups: their groups' posts are all there.
    members_groups = set(WRITERS.get(viewer, set()))
    assert {k for k, g in POST_GROUP.items() if g in members_groups} <= feed


# --- Profiles: profile posts, profile feeds, the people one may find --------------------------


@pytest.mark.parametrize("author", ["owner", "external_member", "staff_outsider"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_profile_feed_shows_only_the_posts_the_viewer_may_read(world, viewer, author):
    user, person = world.users[viewer], world.users[author]
    if not account_policy.can_view_profile(user, person):
        with pytest.raises(Http404):
            selectors.profile_feed(user, person)
        return
    posts = whole_feed(lambda **kw: selectors.profile_feed(user, person, **kw))
    assert all(post.author_id == person.pk for post in posts)
    mine = {k for k, p in world.posts.items() if p.author_id == person.pk}
    assert keys_of(world, posts) == mine & readable_posts(viewer)


# viewer -> the people of the world they may find, open and mention (themselves included)
EVERYONE_INTERNAL_SEES = {
    "owner",
    "staff_outsider",
    "staff_member",
    "elected",
    "external_member",
    "external_outsider",
    "external_expired",
}
PEOPLE = {
    "staff_outsider": EVERYONE_INTERNAL_SEES,
    "staff_member": EVERYONE_INTERNAL_SEES,
    "elected": EVERYONE_INTERNAL_SEES,
    "external_member": {"owner", "staff_member", "external_member"},
    "external_outsider": {"external_outsider"},
    "external_expired": {"external_expired"},
    "citizen": {"citizen"},
    "deactivated": set(),
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_people_are_found_only_by_who_may_see_them(world, viewer):
    """Staff and elected see everyone but citizens; an external member, co-members only."""
    user = world.users[viewer]
    expected = {world.users[key].pk for key in PEOPLE[viewer]}
    assert set(account_policy.visible_people(user).values_list("pk", flat=True)) == expected
    for key, person in world.users.items():
        allowed = person.pk in expected
        assert account_policy.can_view_profile(user, person) is allowed, key
        if allowed:
            assert account_selectors.get_person_for(user, person.pk) == person
        else:
            with pytest.raises(Http404):
                account_selectors.get_person_for(user, person.pk)


def test_an_external_member_never_finds_people_outside_their_groups(world):
    user = world.users["external_member"]
    found = set(account_selectors.search_people(user).values_list("pk", flat=True))
    assert found == {user.pk, world.users["owner"].pk, world.users["staff_member"].pk}


# --- Topics ---------------------------------------------------------------------------------


TOPIC_POSTS = {
    "cloud": {"public", "private", "garage"},
    "salon": {"public"},
    "confidentiel": {"private"},
    "direction": {"unlisted"},
    "garage": {"garage", "garage_by_external"},
    "profil": {"profile"},
}


@pytest.mark.parametrize("topic", list(TOPIC_POSTS))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_topic_page_exists_only_for_who_may_read_one_of_its_posts(world, viewer, topic):
    user = world.users[viewer]
    expected = TOPIC_POSTS[topic] & readable_posts(viewer)
    if not expected:
        for name in (topic, topic.upper()):
            with pytest.raises(Http404):
                selectors.get_topic(user, name)
        return
    found = selectors.get_topic(user, topic.upper())
    assert found == world.topic(topic)
    posts = whole_feed(lambda **kw: selectors.topic_feed(user, found, **kw))
    assert keys_of(world, posts) == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_unknown_topics_answer_the_same_404_as_forbidden_ones(world, viewer):
    user = world.users[viewer]
    for name in ["inconnu", "", "x" * 500, "\x00", "cloud\x00", "%"]:
        with pytest.raises(Http404):
            selectors.get_topic(user, name)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_trending_topics_count_only_the_posts_the_viewer_may_read(world, viewer):
    user = world.users[viewer]
    readable = readable_posts(viewer)
    expected = {
        name: len(posts & readable) for name, posts in TOPIC_POSTS.items() if posts & readable
    }
    trending = selectors.trending_topics(user, limit=50)
    assert {topic.name: topic.uses for topic in trending} == expected


def test_a_topic_page_closes_when_its_last_readable_post_is_deleted(world):
    staff = world.users["staff_outsider"]
    services.delete_post(actor=world.users["owner"], post=world.posts["public"])
    with pytest.raises(Http404):
        selectors.get_topic(staff, "salon")
    assert "salon" not in {t.name for t in selectors.trending_topics(staff, limit=50)}


# --- Polls ----------------------------------------------------------------------------------


# poll -> who sees the results before voting: its author, the group's managers
POLL_MANAGERS = {"public_poll": {"owner"}, "garage_poll": {"owner"}}


@pytest.mark.parametrize("poll", ["public_poll", "garage_poll"])
@pytest.mark.parametrize("viewer", [*VIEWERS, "owner"])
def test_poll_results_are_shown_to_voters_and_managers_and_to_nobody_outside(world, viewer, poll):
    user, target = world.users[viewer], world.posts[poll]
    first, second = target.poll_options.all()
    voter = world.users["staff_member"]
    services.vote(actor=voter, post=target, option_id=first.pk)
    readable = poll in readable_posts(viewer) or viewer == "owner"
    if not readable:
        with pytest.raises(Http404):
            selectors.get_post_for(user, target.pk)
        with pytest.raises(PermissionDenied):
            services.vote(actor=user, post=target, option_id=second.pk)
        return
    seen = selectors.get_post_for(user, target.pk)
    manager = viewer in POLL_MANAGERS[poll]
    assert seen.show_results is (manager or viewer == "staff_member")
    if seen.show_results:
        assert [o.votes_count for o in seen.poll_options.all()] == [1, 0]
    else:
        assert all(getattr(o, "votes_count", None) is None for o in seen.poll_options.all())
        services.vote(actor=user, post=target, option_id=second.pk)
        seen = selectors.get_post_for(user, target.pk)
        assert seen.show_results
        assert [o.votes_count for o in seen.poll_options.all()] == [1, 1]
        assert seen.my_vote == second.pk


# --- Mentions -------------------------------------------------------------------------------


# (author, where) pairs; the post is written by `author` in that group (None: their profile).
PLACES = [
    ("owner", "public"),
    ("owner", "private"),
    ("owner", "unlisted"),
    ("owner", "garage"),
    ("owner", None),
    ("elected", "private"),
    ("external_member", "garage"),
]


def _can_read_place(world, person, group) -> bool:
    if group is None:
        return person.is_active and person.is_internal
    return group_policy.can_read_group(person, world.groups[group])


@pytest.mark.parametrize(("author", "where"), PLACES)
@pytest.mark.parametrize("mentioned", [*VIEWERS, "owner"])
def test_a_mention_is_refused_when_the_person_cannot_read_the_post_and_plain_when_unseen(
    world, author, where, mentioned
):
    writer, person = world.users[author], world.users[mentioned]
    group = world.groups[where] if where else None
    body = f"Pour avis @{person.handle} #mention"
    before = Post.objects.count()
    sees = account_policy.can_view_profile(writer, person)
    if not sees:
        post = services.create_post(author=writer, group=group, body=body)
        assert list(post.mentions.all()) == []
        assert 'class="mention"' not in post.body_html
        assert f"@{person.handle}" in post.body_html
        return
    if not _can_read_place(world, person, where):
        with pytest.raises(ValidationError) as refused:
            services.create_post(author=writer, group=group, body=body)
        assert f"@{person.handle}" in str(refused.value)
        assert Post.objects.count() == before
        return
    post = services.create_post(author=writer, group=group, body=body)
    assert list(post.mentions.all()) == [person]
    assert 'class="mention"' in post.body_html


@pytest.mark.parametrize(("author", "where"), [p for p in PLACES if p[1] is not None])
def test_mentions_in_comments_and_edits_follow_the_same_rules(world, author, where):
    writer = world.users[author]
    post = services.create_post(author=writer, group=world.groups[where], body="Bonjour")
    outsider = world.users["staff_outsider"]
    if where == "public":
        comment = services.add_comment(author=writer, post=post, body=f"@{outsider.handle} ?")
        assert list(comment.mentions.all()) == [outsider]
        return
    if not account_policy.can_view_profile(writer, outsider):
        comment = services.add_comment(author=writer, post=post, body=f"@{outsider.handle} ?")
        assert list(comment.mentions.all()) == []
        return
    count = post.comments.count()
    with pytest.raises(ValidationError):
        services.add_comment(author=writer, post=post, body=f"@{outsider.handle} ?")
    assert post.comments.count() == count
    with pytest.raises(ValidationError):
        services.edit_post(actor=writer, post=post, body=f"Bonjour @{outsider.handle}")
    post.refresh_from_db()
    assert post.body == "Bonjour"
    assert not PostRevision.objects.filter(post=post).exists()


@pytest.mark.parametrize(("author", "where"), PLACES)
def test_mention_suggestions_offer_exactly_the_people_one_may_mention(world, author, where):
    writer = world.users[author]
    group = world.groups[where] if where else None
    for key, person in world.users.items():
        if person == writer:
            continue
        suggested = selectors.mention_candidates(writer, group=group, query=person.handle)
        expected = account_policy.can_view_profile(writer, person) and _can_read_place(
            world, person, where
        )
        assert (person in suggested) is expected, key


def test_who_reacted_lists_only_the_people_the_viewer_may_see(world):
    post = world.posts["garage"]
    for key in ("owner", "staff_member", "external_member"):
        services.react(actor=world.users[key], post=post)
    # A reaction left before an access ended.
    Reaction.objects.create(user=world.users["external_expired"], post=post)
    expected = {
        "external_member": {"owner", "staff_member", "external_member"},
        "staff_member": {"owner", "staff_member", "external_member", "external_expired"},
    }
    for viewer, people in expected.items():
        reactors = selectors.reactors_of(world.users[viewer], post)
        assert {p.pk for p in reactors["like"]} == {world.users[k].pk for k in people}


# --- Access that ended, or that never should have existed -----------------------------------


def test_an_expired_external_member_loses_every_path_into_the_group(world):
    user, garage = world.users["external_expired"], world.groups["garage"]
    assert Membership.objects.filter(user=user, group=garage).exists()
    assert Follow.objects.filter(follower=user, group=garage).exists()
    assert not group_policy.can_read_group(user, garage)
    with pytest.raises(Http404):
        group_selectors.get_group_for(user, "garage")
    assert selectors.home_feed(user).posts == []
    assert list(account_policy.visible_people(user)) == [user]
    # Their colleagues no longer find them either.
    assert not account_policy.can_view_profile(world.users["external_member"], user)


def test_a_membership_ending_now_closes_the_group_at_once(world):
    user, garage = world.users["external_member"], world.groups["garage"]
    Membership.objects.filter(user=user, group=garage).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert not group_policy.can_read_group(user, garage)
    with pytest.raises(Http404):
        selectors.get_post_for(user, world.posts["garage"].pk)


def test_an_external_account_left_in_a_group_closed_to_externals_reads_nothing_there(world):
    """Defence in depth: such a membership is refused by the services, yet must open nothing."""
    user = world.users["external_member"]
    Membership.objects.create(group=world.groups["private"], user=user)
    assert not group_policy.can_read_group(user, world.groups["private"])
    assert not group_policy.can_see_group(user, world.groups["private"])
    with pytest.raises(Http404):
        selectors.get_post_for(user, world.posts["private"].pk)
    with pytest.raises(Http404):
        selectors.get_topic(user, "confidentiel")
    assert not policy.can_be_mentioned(user, world.posts["private"])


def test_a_deactivated_member_reads_nothing_even_in_their_groups(world):
    user = world.users["deactivated"]
    assert Membership.objects.filter(user=user).count() == len(GROUPS)
    assert not group_policy.visible_groups(user).exists()
    assert not policy.visible_posts(user).exists()
    assert selectors.home_feed(user).posts == []
    assert not account_policy.visible_people(user).exists()


@pytest.mark.parametrize("viewer", ["citizen", "deactivated", "external_outsider"])
def test_who_belongs_nowhere_cannot_write_anywhere(world, viewer):
    user = world.users[viewer]
    before = Post.objects.count()
    for group in [*world.groups.values(), None]:
        with pytest.raises(PermissionDenied):
            services.create_post(author=user, group=group, body="Bonjour")
    assert Post.objects.count() == before


# --- Shared posts ---------------------------------------------------------------------------


def test_a_shared_post_never_shows_its_original_to_who_may_not_read_it(world):
    """A group opened to externals after a share, or an original group turned private."""
    owner, target = world.users["owner"], world.groups["private"]
    share = services.share_post(
        actor=owner, post=world.posts["public"], group=target, body="À lire"
    )
    elected = world.users["elected"]  # reads the private group, not necessarily the original
    assert selectors.get_post_for(elected, share.pk).shared_from_id == world.posts["public"].pk

    Group.objects.filter(pk=world.groups["public"].pk).update(visibility=Group.Visibility.PRIVATE)
    seen = selectors.get_post_for(elected, share.pk)
    assert seen.shared_from is None
    feed = selectors.group_feed(elected, target).posts
    assert all(post.shared_from is None for post in feed if post.pk == share.pk)
    # The owner still reads the original.
    assert selectors.get_post_for(owner, share.pk).shared_from_id == world.posts["public"].pk


def test_shares_are_never_offered_to_external_members(world):
    owner = world.users["owner"]
    with pytest.raises(PermissionDenied):
        services.share_post(actor=owner, post=world.posts["public"], group=world.groups["garage"])
    assert not Post.objects.filter(group=world.groups["garage"], shared_from__isnull=False).exists()


# --- What each person may do with each group ------------------------------------------------

# viewer -> groups they may join at once / ask to join
# (whether they already belong is the services' business, see test_services)
JOINS_AT_ONCE = {k: {"public"} for k in ("owner", "staff_outsider", "staff_member", "elected")}
ASKS_TO_JOIN = {k: {"private", "garage"} for k in JOINS_AT_ONCE}
CREATES_GROUPS = {"staff_outsider", "staff_member"}


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("viewer", [*VIEWERS, "owner"])
def test_who_may_join_ask_manage_and_create_groups(world, viewer, group):
    user, target = world.users[viewer], world.groups[group]
    assert group_policy.can_join_directly(user, target) is (group in JOINS_AT_ONCE.get(viewer, ()))
    assert group_policy.can_request_to_join(user, target) is (group in ASKS_TO_JOIN.get(viewer, ()))
    assert group_policy.can_manage_group(user, target) is (viewer == "owner")
    assert group_policy.can_create_group(user) is (viewer in CREATES_GROUPS | {"owner"})
    # Everyone but citizens has a group list, be it empty.
    assert group_policy.can_list_groups(user) is (viewer not in {"citizen", "deactivated"})
