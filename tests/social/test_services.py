"""Every write of groups and social: its rules, its bad input; a refusal changes nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from groups import policy as group_policy
from groups import services as group_services
from groups.models import Group, Invitation, JoinRequest, Membership
from social import selectors, services
from social.models import (
    Bookmark,
    Comment,
    Follow,
    PollOption,
    PollVote,
    Post,
    PostRevision,
    Reaction,
    Topic,
)
from tests.social.conftest import add_member

LATER = timedelta(days=3)


@pytest.fixture
def owner(world):
    return world.users["owner"]


@pytest.fixture
def member(world):
    return world.users["staff_member"]


@pytest.fixture
def public(world):
    return world.groups["public"]


# --- Posts: limits and kinds ----------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n\t ", "\x00", " \x00 \x00"])
def test_an_empty_post_is_refused(world, owner, public, refused, body):
    error = refused(
        ValidationError, lambda: services.create_post(author=owner, group=public, body=body)
    )
    assert "Le message est vide." in error.message_dict["body"]


def test_a_post_over_10000_characters_is_refused_and_one_of_10000_accepted(
    world, owner, public, refused
):
    error = refused(
        ValidationError,
        lambda: services.create_post(author=owner, group=public, body="a" * 10_001),
    )
    assert "10 000" in error.message_dict["body"][0]
    post = services.create_post(author=owner, group=public, body="a" * 10_000)
    assert len(post.body) == 10_000


def test_nul_characters_never_reach_the_database(world, owner, public):
    post = services.create_post(author=owner, group=public, body="Bon\x00jour #c\x00loud")
    post.refresh_from_db()
    assert post.body == "Bonjour #cloud"
    assert "\x00" not in post.body_html
    comment = services.add_comment(author=owner, post=post, body="Mer\x00ci")
    assert comment.body == "Merci"


@pytest.mark.parametrize("kind", ["", "article", "PLAIN", None])
def test_an_unknown_kind_of_post_is_refused(world, owner, public, refused, kind):
    error = refused(
        ValidationError,
        lambda: services.create_post(author=owner, group=public, body="Bonjour", kind=kind),
    )
    assert "kind" in error.message_dict


@pytest.mark.parametrize(
    "pinned_until", [None, timedelta(0), -timedelta(minutes=1), -timedelta(days=30)]
)
def test_an_announcement_needs_an_end_date_in_the_future(
    world, owner, public, refused, pinned_until
):
    moment = None if pinned_until is None else timezone.now() + pinned_until
    error = refused(
        ValidationError,
        lambda: services.create_post(
            author=owner,
            group=public,
            body="Salon",
            kind=Post.Kind.ANNOUNCEMENT,
            pinned_until=moment,
        ),
    )
    assert "pinned_until" in error.message_dict


def test_an_announcement_lives_in_a_group_never_on_a_profile(world, owner, refused):
    error = refused(
        ValidationError,
        lambda: services.create_post(
            author=owner,
            group=None,
            body="Salon",
            kind=Post.Kind.ANNOUNCEMENT,
            pinned_until=timezone.now() + LATER,
        ),
    )
    assert "kind" in error.message_dict


def test_an_announcement_is_pinned_until_its_end_date(world, owner, public):
    until = timezone.now() + LATER
    post = services.create_post(
        author=owner, group=public, body="Salon", kind=Post.Kind.ANNOUNCEMENT, pinned_until=until
    )
    assert post.pinned_until == until
    assert post.is_pinned


@pytest.mark.parametrize(
    "options",
    [
        None,
        [],
        ["Oui"],
        ["Oui", "  "],
        ["Oui", "\x00"],
        ["Oui", "\x00 \x00"],
        [f"Option {i}" for i in range(11)],
        ["Oui", "oui"],
        ["Oui", " Oui "],
        ["Oui", "x" * 201],
    ],
)
def test_a_poll_needs_2_to_10_distinct_options_of_at_most_200_characters(
    world, owner, public, refused, options
):
    error = refused(
        ValidationError,
        lambda: services.create_post(
            author=owner,
            group=public,
            body="Votre avis ?",
            kind=Post.Kind.POLL,
            poll_options=options,
        ),
    )
    assert "poll_options" in error.message_dict


def test_a_poll_keeps_its_options_in_order(world, owner, public):
    labels = [f"Option {i}" for i in range(10)]
    labels[3] = "x" * 200
    post = services.create_post(
        author=owner, group=public, body="Avis ?", kind=Post.Kind.POLL, poll_options=labels
    )
    assert list(post.poll_options.values_list("label", flat=True)) == labels


# --- Editing and deleting posts -------------------------------------------------------------


def test_editing_keeps_the_previous_version_and_marks_the_post_edited(world, owner):
    post = world.posts["public"]
    original = post.body
    services.edit_post(actor=owner, post=post, body="Le stand est monté #logistique")
    post.refresh_from_db()
    assert post.body == "Le stand est monté #logistique"
    assert post.edited_at is not None
    assert list(post.revisions.values_list("body", flat=True)) == [original]
    assert set(post.topics.values_list("name", flat=True)) == {"logistique"}
    services.edit_post(actor=owner, post=post, body="Troisième version")
    assert list(selectors.revisions_of(owner, post).values_list("body", flat=True)) == [
        "Le stand est monté #logistique",
        original,
    ]


def test_saving_the_same_text_again_adds_no_revision(world, owner):
    post = world.posts["public"]
    services.edit_post(actor=owner, post=post, body=f"  {post.body}  ")
    post.refresh_from_db()
    assert post.edited_at is None
    assert not post.revisions.exists()


@pytest.mark.parametrize("editor", ["staff_member", "staff_outsider", "elected", "deactivated"])
def test_only_the_author_edits_a_post_not_even_a_manager(world, refused, editor):
    post = world.posts["public"]
    actor = world.users[editor]
    if editor == "staff_member":  # a manager of the group
        Membership.objects.filter(user=actor, group=post.group).update(role="manager")
    refused(PermissionDenied, lambda: services.edit_post(actor=actor, post=post, body="Réécrit"))


@pytest.mark.parametrize("body", ["", "\x00", "a" * 10_001])
def test_a_bad_edit_is_refused_and_keeps_the_post_as_it_was(world, owner, refused, body):
    post = world.posts["public"]
    refused(ValidationError, lambda: services.edit_post(actor=owner, post=post, body=body))


def test_deleting_leaves_a_tombstone_whose_text_stays_only_in_the_audit_history(world, owner):
    post, comment = world.posts["public"], world.comments["public"]
    original = post.body
    services.delete_post(actor=owner, post=post)
    post.refresh_from_db()
    assert post.is_deleted
    assert post.deleted_by == owner
    assert (post.body, post.body_html) == ("", "")
    assert list(post.revisions.values_list("body", flat=True)) == [original]
    assert not post.topics.exists()
    assert not post.mentions.exists()
    # The thread stays, and the tombstone still opens (without text) for its readers.
    assert Comment.objects.filter(pk=comment.pk, body=comment.body).exists()
    tombstone = selectors.get_post_for(owner, post.pk)
    assert tombstone.is_deleted
    assert [c.pk for c in selectors.comments_of(owner, tombstone)] == [comment.pk]
    # It leaves every feed.
    assert post.pk not in [p.pk for p in selectors.group_feed(owner, post.group).posts]
    assert post.pk not in [p.pk for p in selectors.home_feed(owner).posts]


def test_the_deleted_text_is_not_readable_by_the_post_s_readers(world, owner):
    post = world.posts["public"]
    services.delete_post(actor=owner, post=post)
    for reader in (world.users["staff_outsider"], owner):
        tombstone = selectors.get_post_for(reader, post.pk)
        with pytest.raises(Http404):
            selectors.revisions_of(reader, tombstone)


@pytest.mark.parametrize("deleter", ["owner", "manager"])
def test_the_author_or_a_group_manager_deletes_a_post(world, deleter):
    post = services.create_post(
        author=world.users["staff_member"], group=world.groups["public"], body="À supprimer"
    )
    actor = world.users["owner"]  # the group's owner
    if deleter == "manager":
        actor = world.users["elected"]
        add_member(world.groups["public"], actor, Membership.Role.MANAGER)
    services.delete_post(actor=actor, post=post)
    post.refresh_from_db()
    assert post.is_deleted


@pytest.mark.parametrize("deleter", ["staff_outsider", "elected", "external_member"])
def test_nobody_else_deletes_a_post(world, refused, deleter):
    post = world.posts["garage"] if deleter == "external_member" else world.posts["public"]
    actor = world.users[deleter]
    refused(PermissionDenied, lambda: services.delete_post(actor=actor, post=post))


def test_a_profile_post_is_deleted_by_its_author_only(world, owner, refused):
    post = world.posts["profile"]
    refused(
        PermissionDenied, lambda: services.delete_post(actor=world.users["staff_member"], post=post)
    )
    services.delete_post(actor=owner, post=post)


def test_a_deleted_post_cannot_be_deleted_edited_or_commented_again(world, owner, refused):
    post = world.posts["public"]
    services.delete_post(actor=owner, post=post)
    post.refresh_from_db()
    refused(PermissionDenied, lambda: services.delete_post(actor=owner, post=post))
    refused(PermissionDenied, lambda: services.edit_post(actor=owner, post=post, body="Retour"))
    refused(PermissionDenied, lambda: services.add_comment(author=owner, post=post, body="Ah"))
    refused(PermissionDenied, lambda: services.react(actor=owner, post=post))


# --- Comments -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "  ", "\x00", "a" * 5_001])
def test_a_bad_comment_is_refused(world, owner, refused, body):
    post = world.posts["public"]
    error = refused(
        ValidationError, lambda: services.add_comment(author=owner, post=post, body=body)
    )
    assert "body" in error.message_dict


def test_a_comment_of_5000_characters_is_accepted(world, owner):
    comment = services.add_comment(author=owner, post=world.posts["public"], body="a" * 5_000)
    assert len(comment.body) == 5_000


def test_only_its_author_edits_a_comment(world, refused):
    comment = world.comments["public"]  # written by the owner
    for other in ("staff_member", "staff_outsider"):
        actor = world.users[other]
        refused(
            PermissionDenied,
            lambda actor=actor: services.edit_comment(actor=actor, comment=comment, body="Non"),
        )
    services.edit_comment(actor=world.users["owner"], comment=comment, body="Corrigé")
    comment.refresh_from_db()
    assert comment.body == "Corrigé"
    assert comment.edited_at is not None


@pytest.mark.parametrize("body", ["", "\x00", "a" * 5_001])
def test_a_bad_comment_edit_is_refused(world, owner, refused, body):
    comment = world.comments["public"]
    refused(
        ValidationError,
        lambda: services.edit_comment(actor=owner, comment=comment, body=body),
    )


def test_a_deleted_comment_stays_in_the_thread_without_its_text(world, owner):
    post = world.posts["public"]
    comment = services.add_comment(
        author=world.users["staff_outsider"], post=post, body="Avis @marie"
    )
    services.delete_comment(actor=world.users["staff_outsider"], comment=comment)
    comment.refresh_from_db()
    assert comment.is_deleted
    assert (comment.body, comment.body_html) == ("", "")
    assert not comment.mentions.exists()
    thread = selectors.comments_of(owner, post)
    assert comment.pk in [c.pk for c in thread]


def test_the_group_manager_deletes_a_comment_but_another_member_cannot(world, owner, refused):
    comment = services.add_comment(
        author=world.users["staff_outsider"], post=world.posts["public"], body="Hors sujet"
    )
    refused(
        PermissionDenied,
        lambda: services.delete_comment(actor=world.users["staff_member"], comment=comment),
    )
    refused(
        PermissionDenied,
        lambda: services.delete_comment(actor=world.users["elected"], comment=comment),
    )
    services.delete_comment(actor=owner, comment=comment)


def test_a_deleted_comment_cannot_be_edited_or_deleted_again(world, owner, refused):
    comment = world.comments["public"]
    services.delete_comment(actor=owner, comment=comment)
    refused(
        PermissionDenied,
        lambda: services.edit_comment(actor=owner, comment=comment, body="Retour"),
    )
    refused(PermissionDenied, lambda: services.delete_comment(actor=owner, comment=comment))


def test_a_member_whose_access_ended_can_no_longer_edit_their_comments(world, refused):
    user, post = world.users["external_member"], world.posts["garage"]
    comment = services.add_comment(author=user, post=post, body="Merci")
    Membership.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(hours=1))
    refused(PermissionDenied, lambda: services.edit_comment(actor=user, comment=comment, body="X"))


# --- Reactions and bookmarks ----------------------------------------------------------------


@pytest.mark.parametrize("kind", Reaction.Kind.values)
def test_reacting_twice_the_same_way_counts_once(world, owner, kind):
    post = world.posts["public"]
    services.react(actor=owner, post=post, kind=kind)
    services.react(actor=owner, post=post, kind=kind)
    assert Reaction.objects.filter(post=post, user=owner, kind=kind).count() == 1
    services.unreact(actor=owner, post=post, kind=kind)
    services.unreact(actor=owner, post=post, kind=kind)
    assert not Reaction.objects.filter(post=post, user=owner).exists()


@pytest.mark.parametrize("kind", ["", "angry", "LIKE", "like ", "\x00"])
def test_an_unknown_reaction_is_refused(world, owner, refused, kind):
    post, comment = world.posts["public"], world.comments["public"]
    refused(ValidationError, lambda: services.react(actor=owner, post=post, kind=kind))
    refused(ValidationError, lambda: services.react(actor=owner, comment=comment, kind=kind))
    refused(ValidationError, lambda: services.unreact(actor=owner, post=post, kind=kind))


def test_reactions_on_a_comment_are_idempotent_and_undone_only_by_their_author(world, owner):
    comment, other = world.comments["public"], world.users["staff_outsider"]
    services.react(actor=owner, comment=comment)
    services.react(actor=owner, comment=comment)
    services.react(actor=other, comment=comment, kind=Reaction.Kind.HEART)
    services.unreact(actor=other, comment=comment)  # `like`: not theirs
    assert Reaction.objects.filter(comment=comment).count() == 2
    thread = selectors.comments_of(owner, comment.post)
    assert thread[0].like_count == 1
    assert thread[0].liked


def test_a_deleted_comment_takes_no_reaction(world, owner, refused):
    comment = world.comments["public"]
    services.delete_comment(actor=owner, comment=comment)
    comment.refresh_from_db()
    refused(PermissionDenied, lambda: services.react(actor=owner, comment=comment))


def test_a_reaction_needs_exactly_one_target(world, owner, refused):
    refused((ValidationError, PermissionDenied), lambda: services.react(actor=owner))
    refused(
        (ValidationError, PermissionDenied),
        lambda: services.react(
            actor=owner, post=world.posts["public"], comment=world.comments["public"]
        ),
    )


def test_bookmarks_are_idempotent_and_private_to_each_person(world, owner):
    post, other = world.posts["public"], world.users["staff_outsider"]
    services.bookmark(actor=owner, post=post)
    services.bookmark(actor=owner, post=post)
    assert Bookmark.objects.filter(post=post).count() == 1
    assert selectors.get_post_for(owner, post.pk).is_bookmarked
    assert not selectors.get_post_for(other, post.pk).is_bookmarked
    services.unbookmark(actor=other, post=post)
    assert Bookmark.objects.filter(post=post).count() == 1
    services.unbookmark(actor=owner, post=post)
    services.unbookmark(actor=owner, post=post)
    assert not Bookmark.objects.filter(post=post).exists()


# --- Polls ----------------------------------------------------------------------------------


def test_one_vote_per_person_changeable_until_the_poll_closes(world, owner, member, refused):
    poll = world.posts["public_poll"]
    first, second = poll.poll_options.all()
    services.vote(actor=member, post=poll, option_id=first.pk)
    services.vote(actor=member, post=poll, option_id=second.pk)
    assert list(PollVote.objects.filter(post=poll).values_list("user", "option")) == [
        (member.pk, second.pk)
    ]
    services.close_poll(actor=owner, post=poll)
    poll.refresh_from_db()
    error = refused(
        ValidationError, lambda: services.vote(actor=member, post=poll, option_id=first.pk)
    )
    assert "clos" in error.messages[0]
    refused(
        ValidationError,
        lambda: services.vote(actor=world.users["elected"], post=poll, option_id=first.pk),
    )
    # Once closed, everyone who reads the poll sees the results.
    assert selectors.get_post_for(world.users["staff_outsider"], poll.pk).show_results


def test_a_poll_closed_since_it_was_loaded_refuses_votes(world, owner, member, refused):
    poll = world.posts["public_poll"]
    stale = Post.objects.get(pk=poll.pk)
    services.close_poll(actor=owner, post=poll)
    first = stale.poll_options.first()
    refused(ValidationError, lambda: services.vote(actor=member, post=stale, option_id=first.pk))


@pytest.mark.parametrize("option", ["other_poll", "unknown", "text"])
def test_a_vote_for_an_option_of_another_poll_or_none_is_refused(world, member, refused, option):
    poll = world.posts["public_poll"]
    option_id = {
        "other_poll": world.posts["garage_poll"].poll_options.first().pk,
        "unknown": 987_654_321,
        "text": "abc",
    }[option]
    refused(ValidationError, lambda: services.vote(actor=member, post=poll, option_id=option_id))


def test_voting_on_a_post_that_is_no_poll_is_refused(world, member, refused):
    option = world.posts["public_poll"].poll_options.first()
    refused(
        PermissionDenied,
        lambda: services.vote(actor=member, post=world.posts["public"], option_id=option.pk),
    )


def test_only_the_author_or_a_manager_closes_a_poll(world, member, refused):
    poll = world.posts["public_poll"]
    refused(PermissionDenied, lambda: services.close_poll(actor=member, post=poll))
    refused(
        PermissionDenied,
        lambda: services.close_poll(actor=world.users["staff_outsider"], post=poll),
    )


# --- Questions and best answers -------------------------------------------------------------


@pytest.fixture
def question(world, member):
    post = services.create_post(
        author=member, group=world.groups["public"], body="Qui a le kakémono ?", kind="question"
    )
    answer = services.add_comment(author=world.users["staff_outsider"], post=post, body="Moi")
    return post, answer


@pytest.mark.parametrize("chooser", ["asker", "manager"])
def test_the_asker_or_a_manager_marks_the_best_answer_shown_first(world, question, chooser):
    post, answer = question
    services.add_comment(author=world.users["elected"], post=post, body="Pas moi")
    early = Comment.objects.create(post=post, author=world.users["elected"], body="Avant")
    Comment.objects.filter(pk=early.pk).update(created_at=timezone.now() - LATER)
    actor = world.users["staff_member"] if chooser == "asker" else world.users["owner"]
    services.choose_best_answer(actor=actor, comment=answer)
    post.refresh_from_db()
    assert post.best_answer == answer
    assert selectors.comments_of(actor, post)[0] == answer
    assert post.pk not in [
        p.pk for p in selectors.group_feed(actor, post.group, filter="questions").posts
    ]


@pytest.mark.parametrize("chooser", ["staff_outsider", "elected"])
def test_nobody_else_marks_the_best_answer(world, question, refused, chooser):
    _post, answer = question
    actor = world.users[chooser]
    refused(PermissionDenied, lambda: services.choose_best_answer(actor=actor, comment=answer))


def test_a_deleted_comment_cannot_become_the_best_answer(world, question, refused):
    _post, answer = question
    services.delete_comment(actor=world.users["staff_outsider"], comment=answer)
    answer.refresh_from_db()
    refused(
        ValidationError,
        lambda: services.choose_best_answer(actor=world.users["staff_member"], comment=answer),
    )


def test_deleting_the_best_answer_reopens_the_question(world, question):
    post, answer = question
    services.choose_best_answer(actor=world.users["staff_member"], comment=answer)
    services.delete_comment(actor=world.users["staff_outsider"], comment=answer)
    post.refresh_from_db()
    assert post.best_answer is None


def test_only_a_question_has_a_best_answer(world, owner, refused):
    refused(
        PermissionDenied,
        lambda: services.choose_best_answer(actor=owner, comment=world.comments["public"]),
    )


# --- Shares ---------------------------------------------------------------------------------


def test_a_public_post_is_shared_into_a_group_where_the_sharer_may_post(world, member):
    original = world.posts["public"]
    shared = services.share_post(
        actor=member, post=original, group=world.groups["private"], body="À voir #salon"
    )
    assert shared.shared_from == original
    assert shared.group == world.groups["private"]
    assert shared.author == member
    # Sharing a share shares the original.
    again = services.share_post(actor=member, post=shared, group=world.groups["unlisted"])
    assert again.shared_from == original


@pytest.mark.parametrize("source", ["private", "unlisted", "garage", "profile"])
def test_posts_of_private_unlisted_groups_and_profiles_are_never_shared(
    world, member, refused, source
):
    refused(
        PermissionDenied,
        lambda: services.share_post(
            actor=member, post=world.posts[source], group=world.groups["private"]
        ),
    )


def test_sharing_into_a_group_where_one_may_not_post_is_refused(world, refused):
    outsider = world.users["staff_outsider"]
    for target in ("public", "private"):
        refused(
            PermissionDenied,
            lambda target=target: services.share_post(
                actor=outsider, post=world.posts["public"], group=world.groups[target]
            ),
        )


def test_nothing_is_shared_into_a_group_open_to_external_members(world, owner, refused):
    refused(
        PermissionDenied,
        lambda: services.share_post(
            actor=owner, post=world.posts["public"], group=world.groups["garage"]
        ),
    )


def test_a_deleted_post_is_not_shared(world, owner, member, refused):
    services.delete_post(actor=owner, post=world.posts["public"])
    world.posts["public"].refresh_from_db()
    refused(
        PermissionDenied,
        lambda: services.share_post(
            actor=member, post=world.posts["public"], group=world.groups["private"]
        ),
    )


@pytest.mark.parametrize("body", ["a" * 10_001])
def test_a_share_s_comment_has_the_post_limits(world, member, refused, body):
    refused(
        ValidationError,
        lambda: services.share_post(
            actor=member, post=world.posts["public"], group=world.groups["private"], body=body
        ),
    )


# --- Follows --------------------------------------------------------------------------------


def test_following_a_person_a_group_or_a_topic_is_idempotent(world, owner):
    staff = world.users["staff_outsider"]
    topic = Topic.objects.get(name="cloud")
    for target in ({"user": owner}, {"group": world.groups["private"]}, {"topic": topic}):
        services.follow(actor=staff, **target)
        services.follow(actor=staff, **target)
        assert Follow.objects.filter(follower=staff, **target).count() == 1
        assert selectors.is_following(staff, **target)
        services.unfollow(actor=staff, **target)
        assert not selectors.is_following(staff, **target)


def test_nobody_follows_themselves(world, owner, refused):
    refused(PermissionDenied, lambda: services.follow(actor=owner, user=owner))


@pytest.mark.parametrize(
    ("follower", "target"),
    [
        ("external_member", "staff_outsider"),
        ("external_member", "external_outsider"),
        ("external_expired", "owner"),
        ("staff_member", "citizen"),
        ("staff_member", "deactivated"),
    ],
)
def test_nobody_follows_a_person_they_may_not_see(world, refused, follower, target):
    actor, person = world.users[follower], world.users[target]
    refused(PermissionDenied, lambda: services.follow(actor=actor, user=person))


@pytest.mark.parametrize(
    ("follower", "target"),
    [
        ("staff_outsider", "unlisted"),
        ("elected", "unlisted"),
        ("external_member", "public"),
        ("external_member", "private"),
        ("external_outsider", "garage"),
        ("external_expired", "garage"),
    ],
)
def test_nobody_follows_a_group_they_may_not_see(world, refused, follower, target):
    actor, group = world.users[follower], world.groups[target]
    Follow.objects.filter(follower=actor, group=group).delete()
    refused(PermissionDenied, lambda: services.follow(actor=actor, group=group))


def test_citizens_follow_nothing(world, refused):
    citizen = world.users["citizen"]
    for target in (
        {"user": world.users["owner"]},
        {"group": world.groups["public"]},
        {"topic": Topic.objects.get(name="cloud")},
    ):
        refused(PermissionDenied, lambda target=target: services.follow(actor=citizen, **target))


def test_a_follow_names_exactly_one_target(world, owner, refused):
    refused((ValidationError, PermissionDenied), lambda: services.follow(actor=owner))
    refused(
        (ValidationError, PermissionDenied),
        lambda: services.follow(
            actor=owner, user=world.users["staff_member"], group=world.groups["public"]
        ),
    )


# --- Groups: creation and settings ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["elected", "external_member", "citizen", "deactivated"])
def test_only_staff_create_groups(world, refused, kind):
    refused(
        PermissionDenied,
        lambda: group_services.create_group(actor=world.users[kind], data={"name": "Nouveau"}),
    )


def test_a_new_group_has_a_unique_slug_and_its_creator_as_owner_and_follower(world, owner):
    first = group_services.create_group(actor=owner, data={"name": "Économie circulaire"})
    second = group_services.create_group(actor=owner, data={"name": "Économie  circulaire!"})
    assert first.slug == "economie-circulaire"
    assert second.slug == "economie-circulaire-2"
    assert Membership.objects.get(group=first, user=owner).role == Membership.Role.OWNER
    assert Follow.objects.filter(follower=owner, group=first).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "\x00"}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Ok", "visibility": "secret"}, "visibility"),
        ({"name": "Ok", "description": "x" * 2001}, "description"),
        ({"name": "Ok", "charter": "x" * 2001}, "charter"),
    ],
)
def test_a_bad_group_is_refused(world, owner, refused, data, field):
    error = refused(ValidationError, lambda: group_services.create_group(actor=owner, data=data))
    assert field in error.message_dict


def test_nul_characters_never_reach_a_group_s_texts(world, owner):
    group = group_services.create_group(
        actor=owner, data={"name": "Vi\x00gnes", "description": "A\x00B", "charter": "C\x00"}
    )
    group.refresh_from_db()
    assert (group.name, group.description, group.charter) == ("Vignes", "AB", "C")
    group_services.update_group(actor=owner, group=group, data={"description": "D\x00E"})
    group.refresh_from_db()
    assert group.description == "DE"


def test_only_managers_edit_a_group_and_only_its_settings(world, owner, member, refused):
    public = world.groups["public"]
    refused(
        PermissionDenied,
        lambda: group_services.update_group(actor=member, group=public, data={"name": "X"}),
    )
    refused(
        ValidationError,
        lambda: group_services.update_group(actor=owner, group=public, data={"slug": "x"}),
    )
    refused(
        ValidationError,
        lambda: group_services.update_group(actor=owner, group=public, data={"name": "  "}),
    )
    group_services.update_group(actor=owner, group=public, data={"name": "Foire 2027"})
    public.refresh_from_db()
    assert public.name == "Foire 2027"


def test_a_group_is_not_closed_to_externals_while_externals_are_members(world, owner, refused):
    garage = world.groups["garage"]
    error = refused(
        ValidationError,
        lambda: group_services.update_group(
            actor=owner, group=garage, data={"open_to_external": False}
        ),
    )
    assert "open_to_external" in error.message_dict
    Membership.objects.filter(group=garage, user__kind=User.Kind.EXTERNAL).delete()
    group_services.update_group(actor=owner, group=garage, data={"open_to_external": False})
    garage.refresh_from_db()
    assert not garage.open_to_external


# --- Groups: joining, requests, members, roles ----------------------------------------------


@pytest.mark.parametrize("kind", ["staff_outsider", "elected"])
def test_staff_and_elected_join_a_public_group_at_once_and_follow_it(world, kind):
    user, public = world.users[kind], world.groups["public"]
    membership = group_services.join_group(actor=user, group=public)
    assert isinstance(membership, Membership)
    assert membership.role == Membership.Role.MEMBER
    assert Follow.objects.filter(follower=user, group=public).exists()


@pytest.mark.parametrize("kind", ["external_member", "external_outsider", "citizen"])
@pytest.mark.parametrize("group", ["public", "private", "unlisted"])
def test_externals_and_citizens_join_no_internal_group(world, refused, kind, group):
    refused(
        PermissionDenied,
        lambda: group_services.join_group(actor=world.users[kind], group=world.groups[group]),
    )


@pytest.mark.parametrize("kind", ["staff_outsider", "elected", "external_outsider"])
def test_unlisted_groups_and_le_garage_are_joined_by_invitation_only(world, refused, kind):
    user = world.users[kind]
    refused(
        PermissionDenied,
        lambda: group_services.join_group(actor=user, group=world.groups["unlisted"]),
    )
    if kind == "external_outsider":
        refused(
            PermissionDenied,
            lambda: group_services.join_group(actor=user, group=world.groups["garage"]),
        )


def test_joining_twice_is_refused(world, member, refused):
    refused(
        ValidationError,
        lambda: group_services.join_group(actor=member, group=world.groups["public"]),
    )


def test_a_private_group_takes_one_pending_request_that_a_manager_approves(world, owner):
    staff, private = world.users["staff_outsider"], world.groups["private"]
    request = group_services.join_group(actor=staff, group=private, message=" Bonjour ")
    assert isinstance(request, JoinRequest)
    assert request.message == "Bonjour"
    assert group_services.join_group(actor=staff, group=private) == request
    assert not group_policy.can_read_group(staff, private)
    group_services.decide_join_request(
        actor=owner, group=private, request_id=request.pk, approve=True
    )
    assert group_policy.can_read_group(staff, private)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (JoinRequest.Status.APPROVED, owner)


def test_a_refused_request_opens_nothing_and_is_decided_once(world, owner, refused):
    staff, private = world.users["staff_outsider"], world.groups["private"]
    request = group_services.join_group(actor=staff, group=private)
    group_services.decide_join_request(
        actor=owner, group=private, request_id=request.pk, approve=False
    )
    assert not Membership.objects.filter(user=staff, group=private).exists()
    refused(
        ValidationError,
        lambda: group_services.decide_join_request(
            actor=owner, group=private, request_id=request.pk, approve=True
        ),
    )


@pytest.mark.parametrize("message", ["x" * 501, "\x00"])
def test_a_bad_request_message_is_refused_or_cleaned(world, refused, message):
    staff, private = world.users["staff_outsider"], world.groups["private"]
    if len(message) > 500:
        refused(
            ValidationError,
            lambda: group_services.join_group(actor=staff, group=private, message=message),
        )
        return
    request = group_services.join_group(actor=staff, group=private, message=message)
    assert request.message == ""


def test_only_managers_decide_requests_and_only_for_their_group(world, owner, member, refused):
    staff = world.users["staff_outsider"]
    request = group_services.join_group(actor=staff, group=world.groups["private"])
    refused(
        PermissionDenied,
        lambda: group_services.decide_join_request(
            actor=member, group=world.groups["private"], request_id=request.pk, approve=True
        ),
    )
    # A manager of another group cannot decide it through their own group.
    refused(
        ValidationError,
        lambda: group_services.decide_join_request(
            actor=owner, group=world.groups["public"], request_id=request.pk, approve=True
        ),
    )


def test_a_group_always_keeps_an_owner(world, owner, member, refused):
    public = world.groups["public"]
    for action in (
        lambda: group_services.leave_group(actor=owner, group=public),
        lambda: group_services.remove_member(actor=owner, group=public, user=owner),
        lambda: group_services.change_role(actor=owner, group=public, user=owner, role="member"),
    ):
        refused(ValidationError, action)
    group_services.change_role(actor=owner, group=public, user=member, role="owner")
    group_services.leave_group(actor=owner, group=public)
    assert not Membership.objects.filter(group=public, user=owner).exists()


def test_only_managers_remove_others_or_change_roles(world, owner, member, refused):
    public, elected = world.groups["public"], world.users["elected"]
    refused(
        PermissionDenied,
        lambda: group_services.remove_member(actor=member, group=public, user=owner),
    )
    refused(
        PermissionDenied,
        lambda: group_services.change_role(actor=member, group=public, user=member, role="owner"),
    )
    refused(
        ValidationError,
        lambda: group_services.change_role(actor=owner, group=public, user=member, role="admin"),
    )
    refused(
        ValidationError,
        lambda: group_services.remove_member(actor=owner, group=public, user=elected),
    )
    group_services.change_role(actor=owner, group=public, user=member, role="manager")
    # A manager is no owner: they cannot name one.
    refused(
        ValidationError,
        lambda: group_services.change_role(actor=member, group=public, user=member, role="owner"),
    )


def test_a_membership_end_date_must_be_in_the_future(world, owner, refused):
    garage, user = world.groups["garage"], world.users["external_member"]
    refused(
        ValidationError,
        lambda: group_services.set_membership_end(
            actor=owner, group=garage, user=user, ends_at=timezone.now() - LATER
        ),
    )
    group_services.set_membership_end(
        actor=owner, group=garage, user=user, ends_at=timezone.now() + LATER
    )
    assert group_policy.can_read_group(user, garage)


# --- Invitations ----------------------------------------------------------------------------


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks):
    """Invite `email` as `actor`; the invitation and the token read in the e-mail sent."""

    def send(email, group="garage", actor="owner"):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = group_services.invite(
                actor=world.users[actor], group=world.groups[group], email=email
            )
        sent = mail.outbox[-1]
        assert sent.to == [invitation.email]
        token = sent.body.split("/invitations/")[1].split("/")[0]
        return invitation, token

    return send


def test_an_invitation_is_mailed_after_commit_with_a_single_use_link(world, invite):
    invitation, token = invite(" Nouvelle@Startup.test ")
    assert invitation.email == "nouvelle@startup.test"
    assert mail.outbox[-1].to == ["nouvelle@startup.test"]
    assert token not in invitation.digest


def test_a_newcomer_invited_to_le_garage_becomes_an_external_member(world, invite):
    invitation, token = invite("nouvelle@startup.test")
    assert group_services.kind_for_invited_newcomer(invitation) == User.Kind.EXTERNAL
    user = group_services.create_account_from_invitation(
        token=token,
        display_name="Nina Nouvelle",
        password="un-mot-de-passe-solide-42",
        organisation_name="Vigne & Data",
    )
    assert user.kind == User.Kind.EXTERNAL
    assert user.organisation.name == "Vigne & Data"
    assert group_policy.can_read_group(user, world.groups["garage"])
    assert not group_policy.can_see_group(user, world.groups["public"])


def test_staff_invite_a_newcomer_colleague_into_an_internal_group(world, invite):
    invitation, token = invite("collegue@agence.test", group="private")
    assert group_services.kind_for_invited_newcomer(invitation) == User.Kind.STAFF
    user = group_services.create_account_from_invitation(
        token=token, display_name="Paul Collègue", password="un-mot-de-passe-solide-42"
    )
    assert user.kind == User.Kind.STAFF


def test_only_staff_invite_a_newcomer_into_an_internal_group(world, refused):
    elected = world.users["elected"]
    Membership.objects.filter(user=elected).update(role="manager")
    refused(
        ValidationError,
        lambda: group_services.invite(
            actor=elected, group=world.groups["private"], email="inconnu@ailleurs.test"
        ),
    )


def test_an_invitation_of_a_non_staff_manager_never_creates_a_staff_account(world, refused, invite):
    """Invited into Le Garage by its external manager, then the group closes to externals."""
    manager = world.users["external_member"]
    Membership.objects.filter(user=manager).update(role="manager")
    _invitation, token = invite("nouveau@startup.test", actor="external_member")
    Membership.objects.filter(group=world.groups["garage"], user__kind="external").delete()
    Group.objects.filter(pk=world.groups["garage"].pk).update(open_to_external=False)
    refused(
        ValidationError,
        lambda: group_services.create_account_from_invitation(
            token=token, display_name="Nouveau", password="un-mot-de-passe-solide-42"
        ),
    )
    assert not User.objects.filter(email="nouveau@startup.test").exists()


def test_an_invitation_is_bound_to_its_address(world, refused, invite):
    _invitation, token = invite(world.users["external_outsider"].email)
    refused(
        ValidationError,
        lambda: group_services.accept_invitation(actor=world.users["staff_outsider"], token=token),
    )
    group_services.accept_invitation(actor=world.users["external_outsider"], token=token)
    assert group_policy.can_read_group(world.users["external_outsider"], world.groups["garage"])


def test_an_invitation_works_once(world, refused, invite):
    outsider = world.users["external_outsider"]
    _invitation, token = invite(outsider.email)
    group_services.accept_invitation(actor=outsider, token=token)
    group_services.leave_group(actor=outsider, group=world.groups["garage"])
    refused(ValidationError, lambda: group_services.accept_invitation(actor=outsider, token=token))
    refused(
        ValidationError,
        lambda: group_services.create_account_from_invitation(
            token=token, display_name="X", password="un-mot-de-passe-solide-42"
        ),
    )


def test_an_expired_invitation_is_refused(world, refused, invite):
    outsider = world.users["external_outsider"]
    invitation, token = invite(outsider.email)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    refused(ValidationError, lambda: group_services.accept_invitation(actor=outsider, token=token))


@pytest.mark.parametrize("token", ["", "inconnu", "\x00", "x" * 5000])
def test_an_unknown_invitation_token_is_refused(world, refused, token):
    refused(
        ValidationError,
        lambda: group_services.accept_invitation(actor=world.users["staff_outsider"], token=token),
    )


def test_accepting_an_invitation_never_demotes_an_owner(world, owner, refused, invite):
    """An invitation sent before the person became owner of the group, accepted afterwards."""
    staff, private = world.users["staff_outsider"], world.groups["private"]
    _invitation, token = invite(staff.email, group="private")
    group_services.join_group(actor=staff, group=private)
    add_member(private, staff, Membership.Role.OWNER)
    Membership.objects.filter(group=private, user=owner).delete()
    group_services.accept_invitation(actor=staff, token=token)
    assert Membership.objects.get(group=private, user=staff).role == Membership.Role.OWNER


@pytest.mark.parametrize(
    ("email", "group"),
    [
        ("pas-une-adresse", "garage"),
        ("", "garage"),
        ("a\x00b@example.test", "garage"),
        ("x" * 64 + "@" + ".".join(["d" * 60] * 4) + ".test", "garage"),
    ],
)
def test_a_bad_invitation_address_is_refused(world, refused, email, group):
    error = refused(
        ValidationError,
        lambda: group_services.invite(
            actor=world.users["owner"], group=world.groups[group], email=email
        ),
    )
    assert "email" in error.message_dict


@pytest.mark.parametrize(
    ("person", "group"),
    [
        ("staff_member", "garage"),  # already a member
        ("citizen", "garage"),  # citizens belong to no group
        ("external_outsider", "private"),  # not open to external members
        ("deactivated", "public"),
    ],
)
def test_an_invitation_of_someone_who_cannot_join_is_refused(world, refused, person, group):
    if person == "deactivated":
        Membership.objects.filter(user=world.users[person]).delete()
    refused(
        ValidationError,
        lambda: group_services.invite(
            actor=world.users["owner"], group=world.groups[group], email=world.users[person].email
        ),
    )


def test_only_managers_invite(world, member, refused):
    refused(
        PermissionDenied,
        lambda: group_services.invite(
            actor=member, group=world.groups["garage"], email="x@startup.test"
        ),
    )


def test_an_expired_external_member_is_welcomed_back_by_a_new_invitation(world, invite):
    user = world.users["external_expired"]
    _invitation, token = invite(user.email)
    group_services.accept_invitation(actor=user, token=token)
    assert group_policy.can_read_group(user, world.groups["garage"])


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"display_name": "Nina", "password": "court"}, None),
        ({"display_name": "Nina", "password": "un-mot-de-passe-solide-42"}, "organisation"),
        (
            {
                "display_name": "Nina",
                "password": "un-mot-de-passe-solide-42",
                "organisation_name": "x" * 151,
            },
            "organisation",
        ),
        (
            {
                "display_name": "x" * 121,
                "password": "un-mot-de-passe-solide-42",
                "organisation_name": "Vigne",
            },
            "display_name",
        ),
    ],
)
def test_a_newcomer_s_bad_account_form_is_refused(world, refused, invite, fields, key):
    _invitation, token = invite("nina@startup.test")
    users = User.objects.count()
    error = refused(
        ValidationError,
        lambda: group_services.create_account_from_invitation(token=token, **fields),
    )
    if key:
        assert key in error.message_dict
    assert User.objects.count() == users


def test_nul_characters_never_reach_a_newcomer_s_account(world, invite):
    _invitation, token = invite("nina@startup.test")
    user = group_services.create_account_from_invitation(
        token=token,
        display_name="Ni\x00na",
        password="un-mot-de-passe-solide-42",
        organisation_name="Vi\x00gne",
    )
    user.refresh_from_db()
    assert (user.display_name, user.organisation.name) == ("Nina", "Vigne")


# --- Counts that services keep right --------------------------------------------------------


def test_the_world_is_as_the_fixture_says(world):
    """Guards the other tests: eight posts, one comment each, two polls of two options."""
    assert Post.objects.count() == 8
    assert Comment.objects.count() == 8
    assert PollOption.objects.count() == 4
    assert not PostRevision.objects.exists()
