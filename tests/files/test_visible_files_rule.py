"""`visible_files` asks each file about its own shares (correlated EXISTS): it must keep exactly
the rows of the rule it replaced (`pk IN (every share the person may see)`), for every kind of
user and every way a file is shared, with and without the viewer's `group_ids`."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from files import policy
from files.models import File, FileShare
from groups import policy as group_policy
from meetings import policy as meeting_policy
from meetings.models import AgendaItem, Invitation, Meeting
from messaging import policy as messaging_policy
from messaging.models import Conversation, Participant
from social import policy as social_policy
from social.models import Post
from tests.factories import UserFactory


def reference_visible_files(
    user, *, group_ids: group_policy.ReadableGroups | None = None
) -> QuerySet[File]:
    """REFERENCE ONLY: the rule as `files.policy.visible_files` wrote it before the rewrite
    (`pk IN (shares…)`, `post__in`, `item__meeting__in`), kept verbatim to compare against."""
    if not policy.can_have_files(user):
        return File.objects.none()
    if group_ids is None:
        in_readable_group = Q(group__in=group_policy.readable_groups(user).values("pk"))
    else:
        in_readable_group = group_policy.in_groups("group_id", group_ids, user=user)
    posts = social_policy.visible_posts(user, group_ids=group_ids)
    meetings = meeting_policy.visible_meetings(user, group_ids=group_ids)
    shares = FileShare.objects.filter(
        in_readable_group
        | Q(post__in=posts.filter(deleted_at__isnull=True).values("pk"))
        | Q(user=user)
        | Q(conversation__in=messaging_policy.visible_conversations(user).values("pk"))
        | Q(item__meeting__in=meetings.values("pk"))
    )
    return File.objects.filter(deleted_at__isnull=True).filter(
        Q(owner=user) | Q(pk__in=shares.values("file_id"))
    )


def _meeting(group, organiser, title: str, invited=()) -> AgendaItem:
    start = timezone.now() + timedelta(days=3)
    meeting = Meeting.objects.create(
        group=group, title=title, starts_at=start, ends_at=start + timedelta(hours=2),
        organiser=organiser,
    )  # fmt: skip
    for person in {organiser, *invited}:
        Invitation.objects.create(meeting=meeting, user=person, invited_by=organiser)
    return AgendaItem.objects.create(meeting=meeting, position=1, title="Point", author=organiser)


def _conversation(creator, people, left=()) -> Conversation:
    conversation = Conversation.objects.create(kind="group", title="Fil", created_by=creator)
    for person in {creator, *people, *left}:
        gone = timezone.now() if person in left else None
        Participant.objects.create(conversation=conversation, user=person, left_at=gone)
    return conversation


@pytest.fixture
def people_and_files(world):
    """The social world's people (every kind) plus an elected official invited to meetings of
    groups they may not read; files shared every way, alone and combined, some gone."""
    u, g, p = world.users, world.groups, world.posts
    owner = u["owner"]
    u["elected_invited"] = UserFactory(kind=User.Kind.ELECTED, handle="ines")
    Post.objects.filter(pk=p["public_poll"].pk).update(deleted_at=timezone.now())
    items = {
        **{f"meeting_{key}": _meeting(group, owner, key) for key, group in g.items()},
        # Invited elected see it without reading the group; an invited external does not.
        "meeting_unlisted_invited": _meeting(
            g["unlisted"], owner, "conseil", [u["elected_invited"], u["external_member"]]
        ),
        "meeting_private_invited": _meeting(
            g["private"], owner, "comité", [u["elected_invited"], u["external_outsider"]]
        ),
        # Organised by an external member whose membership has ended since: still theirs.
        "meeting_by_expired": _meeting(g["garage"], u["external_expired"], "pitch"),
        "meeting_by_external": _meeting(g["garage"], u["external_member"], "démo"),
    }
    conversations = {
        "conv_external": _conversation(owner, [u["external_member"], u["elected"]]),
        "conv_left": _conversation(
            owner, [u["staff_outsider"]], left=[u["external_outsider"], u["elected"]]
        ),
        "conv_deactivated": _conversation(u["deactivated"], [u["external_expired"]]),
        "conv_citizen": _conversation(owner, [u["citizen"]]),
    }
    targets = {
        **{f"group_{key}": {"group": group} for key, group in g.items()},
        **{f"post_{key}": {"post": post} for key, post in p.items()},
        **{f"user_{key}": {"user": person} for key, person in u.items() if key != "owner"},
        **{key: {"conversation": c} for key, c in conversations.items()},
        **{key: {"item": item} for key, item in items.items()},
    }

    files: dict[str, File] = {}

    def make(key: str, file_owner: User, *shares: dict, deleted: bool = False) -> None:
        file = File.objects.create(owner=file_owner, name=f"{key}.pdf")
        for target in shares:
            FileShare.objects.create(file=file, shared_by=file_owner, **target)
        if deleted:
            File.objects.filter(pk=file.pk).update(deleted_at=timezone.now())
        files[key] = file

    for key, target in targets.items():
        make(key, owner, target)
        make(f"deleted_{key}", owner, target, deleted=True)
    for key, person in u.items():
        make(f"owned_by_{key}", person)
        make(f"owned_by_{key}_in_garage", person, {"group": g["garage"]})
    make(
        "everywhere_but_garage",
        owner,
        {"group": g["unlisted"]},
        {"post": p["profile"]},
        {"user": u["elected"]},
        {"conversation": conversations["conv_left"]},
        {"item": items["meeting_private_invited"]},
    )
    make(
        "garage_post_and_unlisted_item",
        owner,
        {"post": p["garage"]},
        {"item": items["meeting_unlisted"]},
    )
    make(
        "person_and_deleted_post",
        owner,
        {"post": p["public_poll"]},
        {"user": u["external_outsider"]},
    )
    return u, files


def _ids(files: QuerySet[File]) -> set[int]:
    return set(files.values_list("pk", flat=True))


def test_the_fixture_shares_files_to_some_people_and_not_others(people_and_files):
    """Each way of sharing is seen by some and hidden from others, so the comparison below
    can tell the rules apart."""
    users, files = people_and_files
    seen_by = {key: set() for key in files}
    for user_key, user in users.items():
        visible = _ids(reference_visible_files(user))
        for key, file in files.items():
            if file.pk in visible:
                seen_by[key].add(user_key)
    for key in ("group_public", "group_garage", "post_garage", "post_profile", "conv_left",
                "conv_external", "meeting_unlisted_invited", "meeting_by_expired"):  # fmt: skip
        assert {"owner"} < seen_by[key] < set(users), key
    assert all(not seen for key, seen in seen_by.items() if key.startswith("deleted_"))
    assert seen_by["post_public_poll"] == {"owner"}  # a deleted post shares nothing
    assert seen_by["person_and_deleted_post"] == {"owner", "external_outsider"}


@pytest.mark.parametrize("with_group_ids", [False, True])
def test_visible_files_keeps_exactly_the_rows_of_the_previous_rule(
    people_and_files, with_group_ids
):
    users, files = people_and_files
    viewers = {**users, "anonymous": AnonymousUser()}
    some = [files[key].pk for key in ("group_garage", "conv_external", "meeting_by_expired")]
    for key, user in viewers.items():
        ids = group_policy.readable_group_ids(user) if with_group_ids else None
        new, old = (
            policy.visible_files(user, group_ids=ids),
            reference_visible_files(user, group_ids=ids),
        )
        assert _ids(new) == _ids(old), key
        # The notification count's question: a few ids.
        assert _ids(new.filter(pk__in=some)) == _ids(old.filter(pk__in=some)), key
        if user.is_authenticated and user.is_active and user.is_external and ids:
            for group_id in ids.ids:  # search reads an external member's groups one by one
                one = ids.only(group_id)
                assert _ids(policy.visible_files(user, group_ids=one)) == _ids(
                    reference_visible_files(user, group_ids=one)
                ), key
    for key in ("citizen", "deactivated", "anonymous"):
        assert not _ids(policy.visible_files(viewers[key]))


def test_group_ids_must_be_the_viewers_own(people_and_files):
    users, _files = people_and_files
    others = group_policy.readable_group_ids(users["staff_member"])
    with pytest.raises(ValueError, match="same user"):
        policy.visible_files(users["external_member"], group_ids=others)


def test_each_file_asks_only_about_its_own_shares(people_and_files):
    """The shape that lets PostgreSQL probe the files asked about: correlated EXISTS on the
    file's shares, never `id IN (every visible share)`."""
    users, _files = people_and_files
    sql = str(policy.visible_files(users["external_member"]).query)
    assert "EXISTS" in sql
    assert '"files_file"."id" IN (SELECT' not in sql
    assert '"post_id" IN (SELECT' not in sql


@pytest.mark.django_db
def test_database_sessions_never_jit_compile():
    """The correlated EXISTS above are costed as if run for every file: with JIT on, a list of
    20,000 files spent 2 s compiling a query that runs in a few milliseconds (settings.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone()[0] == "off"
