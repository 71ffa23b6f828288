"""A small agency for social tests: one group of each kind, people of each kind, their posts."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership
from social import services
from social.models import Comment, Follow, Post, Topic
from tests.factories import OrganisationFactory, UserFactory

# Every kind of reader the matrix tries, besides the owner who built the groups.
VIEWERS = (
    "staff_outsider",  # staff, member of nothing
    "staff_member",  # staff, member of every group
    "elected",  # elected official, member of the private group only
    "external_member",  # start-up member of Le Garage
    "external_outsider",  # start-up member of nothing
    "external_expired",  # was a member of Le Garage; the access ended yesterday
    "citizen",
    "deactivated",  # staff, member of every group, account deactivated
)
GROUPS = ("public", "private", "unlisted", "garage")


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)

    def topic(self, name: str) -> Topic:
        return Topic.objects.get(name=name)

    def fresh(self) -> "World":
        """The same rows as new objects (four queries): no test sees another's changes."""

        def reload(model, objects: dict) -> dict:
            rows = model.objects.in_bulk([obj.pk for obj in objects.values()])
            return {key: rows[obj.pk] for key, obj in objects.items()}

        return World(
            users=reload(User, self.users),
            groups=reload(Group, self.groups),
            posts=reload(Post, self.posts),
            comments=reload(Comment, self.comments),
        )


def add_member(
    group: Group,
    user: User,
    role: str = Membership.Role.MEMBER,
    expires_at=None,
) -> Membership:
    """A membership as the services leave it: members follow their group."""
    Follow.objects.get_or_create(follower=user, group=group)
    return Membership.objects.create(group=group, user=user, role=role, expires_at=expires_at)


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker) -> World:
    """One world per test module, built inside a transaction rolled back at the module's end."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            built = build_world(lambda kind, **fields: UserFactory(kind=kind, **fields))
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(world_once, db) -> World:
    """The module's world, as fresh objects; whatever a test writes is rolled back after it.

    For `db` tests only: a transactional test in the same module would wait on the module's
    open transaction. Such a test builds its own with `build_world(make_user)`.
    """
    return world_once.fresh()


def build_world(make_user) -> World:
    """Four groups (public, private, unlisted, Le Garage open to externals) and their posts.

    Every post is written by the owner unless its name says otherwise; each carries topics:
    #cloud in public, private and garage, #confidentiel only in the private group, #direction
    only in the unlisted group, #profil only on the owner's profile.
    """
    w = World()
    startup = OrganisationFactory(name="Ferment & Co")
    u = w.users
    u["owner"] = make_user(User.Kind.STAFF, handle="olivier", display_name="Olivier Owner")
    u["staff_outsider"] = make_user(User.Kind.STAFF, handle="sacha", display_name="Sacha Seul")
    u["staff_member"] = make_user(User.Kind.STAFF, handle="marie", display_name="Marie Membre")
    u["elected"] = make_user(User.Kind.ELECTED, handle="elise", display_name="Élise Élue")
    u["external_member"] = make_user(
        User.Kind.EXTERNAL, handle="ernest", display_name="Ernest Externe", organisation=startup
    )
    u["external_outsider"] = make_user(
        User.Kind.EXTERNAL, handle="oscar", display_name="Oscar Dehors", organisation=startup
    )
    u["external_expired"] = make_user(
        User.Kind.EXTERNAL, handle="xavier", display_name="Xavier Expiré", organisation=startup
    )
    u["citizen"] = make_user(User.Kind.CITIZEN, handle="cecile", display_name="Cécile Citoyenne")
    u["deactivated"] = make_user(User.Kind.STAFF, handle="denis", display_name="Denis Parti")

    g = w.groups
    owner = u["owner"]
    for key, name, visibility, open_to_external in (
        ("public", "Foire de Hanovre 2026", Group.Visibility.PUBLIC, False),
        ("private", "Zone d'activité du Royeux", Group.Visibility.PRIVATE, False),
        ("unlisted", "Direction", Group.Visibility.UNLISTED, False),
        ("garage", "Le Garage — incubateur", Group.Visibility.PRIVATE, True),
    ):
        g[key] = Group.objects.create(
            name=name,
            slug=key,
            visibility=visibility,
            open_to_external=open_to_external,
            created_by=owner,
        )
        add_member(g[key], owner, Membership.Role.OWNER)
        add_member(g[key], u["staff_member"])
        add_member(g[key], u["deactivated"])
    add_member(g["private"], u["elected"])
    add_member(g["garage"], u["external_member"])
    add_member(g["garage"], u["external_expired"], expires_at=timezone.now() - timedelta(days=1))

    p = w.posts
    create = services.create_post
    p["public"] = create(author=owner, group=g["public"], body="Le stand est prêt #cloud #salon")
    p["private"] = create(
        author=owner, group=g["private"], body="Terrain réservé #confidentiel #cloud"
    )
    p["unlisted"] = create(author=owner, group=g["unlisted"], body="Budget 2026 #direction")
    p["garage"] = create(author=owner, group=g["garage"], body="Bienvenue au Garage #garage #cloud")
    p["garage_by_external"] = create(
        author=u["external_member"], group=g["garage"], body="Notre levée de fonds #garage"
    )
    p["profile"] = create(author=owner, group=None, body="Retour de mission #profil")
    p["public_poll"] = create(
        author=owner,
        group=g["public"],
        body="Quel créneau pour le stand ?",
        kind=Post.Kind.POLL,
        poll_options=["Matin", "Après-midi"],
    )
    p["garage_poll"] = create(
        author=owner,
        group=g["garage"],
        body="Quel jour pour le pitch ?",
        kind=Post.Kind.POLL,
        poll_options=["Lundi", "Jeudi"],
    )
    for key, post in list(p.items()):
        w.comments[key] = services.add_comment(author=owner, post=post, body=f"Suite de {key}")
    # Once everything is in place, the accounts reach their final state.
    User.objects.filter(pk=u["deactivated"].pk).update(is_active=False)
    u["deactivated"].refresh_from_db()
    return w


# Who may read what (the issue's « Who sees what »).
LISTED = {
    "staff_outsider": {"public", "private", "garage"},
    "staff_member": {"public", "private", "unlisted", "garage"},
    "elected": {"public", "private", "garage"},
    "external_member": {"garage"},
}
READABLE = {
    "staff_outsider": {"public"},
    "staff_member": {"public", "private", "unlisted", "garage"},
    "elected": {"public", "private"},
    "external_member": {"garage"},
}
READS_PROFILE_POSTS = {"staff_outsider", "staff_member", "elected"}
POST_GROUP = {
    "public": "public",
    "private": "private",
    "unlisted": "unlisted",
    "garage": "garage",
    "garage_by_external": "garage",
    "profile": None,
    "public_poll": "public",
    "garage_poll": "garage",
}


def listed_groups(viewer: str) -> set[str]:
    return LISTED.get(viewer, set())


def readable_groups(viewer: str) -> set[str]:
    return READABLE.get(viewer, set())


def readable_posts(viewer: str) -> set[str]:
    return {
        key
        for key, group in POST_GROUP.items()
        if (group is None and viewer in READS_PROFILE_POSTS) or group in readable_groups(viewer)
    }


def db_state() -> dict[str, list[dict]]:
    """Every row the groups and social apps hold: a refused action must leave it untouched."""
    from django.apps import apps

    state = {}
    for app in ("groups", "social"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


@pytest.fixture
def refused():
    """`refused(Error, action)`: the action raises Error and changes nothing at all."""

    def check(error: type[Exception], action, *, match: str | None = None):
        before = db_state()
        with pytest.raises(error, match=match) as raised:
            action()
        assert db_state() == before
        return raised.value

    return check
