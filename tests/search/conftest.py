"""A world to search: the social world's groups and people (tests/social/conftest.py), and in
them one object of every searchable kind, each with the common word WORD and a secret of its
own (`secret(key)`), so a test can tell what a response shows of each object."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consultations.models import Category, Consultation, Contribution, ModerationState
from files import services as file_services
from groups.models import Group
from meetings import services as meeting_services
from messaging import services as messaging_services
from social import services as social_services
from tests.factories import UserFactory
from tests.files.conftest import png_bytes, upload
from tests.social.conftest import World, build_world

WORD = "ornithorynque"


def secret(key: str) -> str:
    """A word only object `key` contains (letters only: one token for every parser)."""
    return "zq" + "".join(c for c in key.lower() if c.isalpha())


@dataclass
class SearchWorld:
    base: World
    users: dict[str, User]
    # (kind, key) -> object
    objects: dict[tuple[str, str], object] = field(default_factory=dict)


def _text(key: str, lead: str) -> str:
    return f"{lead} {WORD} {secret(key)}"


def build_search_world(make_user) -> SearchWorld:
    base = build_world(make_user)
    u = base.users
    owner = u["owner"]
    w = SearchWorld(base=base, users=u)
    now = timezone.now()
    o = w.objects
    # Deactivated accounts are not members any more of anything they could act in: the base
    # world deactivates `deactivated` at its end, so nothing below is written by them.
    for key, group in base.groups.items():
        Group.objects.filter(pk=group.pk).update(description=_text(f"group{key}", "Groupe"))
        o[("group", key)] = group
        post = social_services.create_post(
            author=owner, group=group, body=_text(f"post{key}", "Publication")
        )
        o[("post", key)] = post
        o[("comment", key)] = social_services.add_comment(
            author=owner, post=post, body=_text(f"comment{key}", "Réponse")
        )
        o[("file", key)] = file_services.create_file(
            owner=owner,
            incoming=upload("plan.png", png_bytes()),
            name=f"Plan {key}.png",
            description=_text(f"file{key}", "Plan"),
            group=group,
        )
        meeting = meeting_services.create_meeting(
            actor=owner,
            group=group,
            title=_text(f"meeting{key}", "Réunion"),
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            place="Salle du conseil",
        )
        o[("meeting", key)] = meeting
        item = meeting_services.add_item(
            actor=owner, meeting=meeting, title=_text(f"item{key}", "Point")
        )
        o[("item", key)] = item
        o[("decision", key)] = meeting_services.add_decision(
            actor=owner, meeting=meeting, text=_text(f"decision{key}", "Décision"), owner=owner
        )
        o[("comment", f"item{key}")] = social_services.add_comment(
            author=owner, item=item, body=_text(f"itemcomment{key}", "Avis")
        )
    o[("post", "profile")] = social_services.create_post(
        author=owner, group=None, body=_text("postprofile", "Profil")
    )
    o[("post", "by_external")] = social_services.create_post(
        author=u["external_member"], group=base.groups["garage"], body=_text("postext", "Levée")
    )
    gone = social_services.create_post(
        author=owner, group=base.groups["public"], body=_text("postdeleted", "Effacé")
    )
    social_services.delete_post(actor=owner, post=gone)
    o[("post", "deleted")] = gone
    o[("file", "nowhere")] = file_services.create_file(
        owner=owner, incoming=upload("a.png", png_bytes()), description=_text("filenowhere", "Mien")
    )
    to_elected = file_services.create_file(
        owner=owner, incoming=upload("b.png", png_bytes()), description=_text("filetoelu", "Pour")
    )
    file_services.share_to_person(actor=owner, file=to_elected, person=u["elected"])
    o[("file", "to_elected")] = to_elected
    deleted = file_services.create_file(
        owner=owner,
        incoming=upload("c.png", png_bytes()),
        description=_text("filedeleted", "Ancien"),
        group=base.groups["public"],
    )
    file_services.delete_file(actor=owner, file=deleted)
    o[("file", "deleted")] = deleted
    o[("comment", "on_file")] = social_services.add_comment(
        author=owner, file=to_elected, body=_text("filecomment", "Lu")
    )

    direct = messaging_services.start_direct(actor=owner, person=u["staff_member"])
    o[("message", "direct")] = messaging_services.send_message(
        author=owner,
        conversation=direct,
        body=_text("messagedirect", "Bonjour"),
        client_key=uuid.uuid4(),
    )[0]
    garage_talk = messaging_services.create_group_conversation(
        actor=owner, title="Pitch", people=[u["external_member"]]
    )
    o[("message", "with_external")] = messaging_services.send_message(
        author=owner,
        conversation=garage_talk,
        body=_text("messageext", "Salut"),
        client_key=uuid.uuid4(),
    )[0]

    for key in ("staff_member", "elected", "external_member", "external_outsider", "citizen"):
        User.objects.filter(pk=u[key].pk).update(job_title=f"Chargée {WORD} {secret('p' + key)}")
        o[("person", key)] = u[key]

    u["citizen2"] = make_user(User.Kind.CITIZEN, handle="camille", display_name="Camille")
    for state, opens in (("open", now - timedelta(days=1)), ("upcoming", now + timedelta(days=5))):
        consultation = Consultation.objects.create(
            title=f"Visite {state}",
            slug=f"visite-{state}",
            neighbourhoods="Europe",
            opens_at=opens,
            closes_at=now + timedelta(days=20),
            created_by=owner,
        )
        category = Category.objects.create(consultation=consultation, name="voirie")
        # Nobody contributes before a consultation opens but staff (preparing it).
        author = u["citizen2"] if state == "open" else owner
        cases = [
            (f"{state}_published", author, ModerationState.PUBLISHED),
            (f"{state}_pending", author, ModerationState.PENDING),
            (f"{state}_hidden", author, ModerationState.HIDDEN),
        ]
        if state == "open":
            cases.append(("open_own_pending", u["citizen"], ModerationState.PENDING))
        for key, author, moderation in cases:
            o[("contribution", key)] = Contribution.objects.create(
                consultation=consultation,
                author=author,
                kind=Contribution.Kind.IDEA,
                title=f"Idée {key}",
                body=_text(f"contribution{key}", "Proposition"),
                body_html="<p>…</p>",
                category=category,
                moderation_state=moderation,
            )
    # Objects read back as the database holds them (descriptions and job titles updated).
    for (kind, key), obj in list(o.items()):
        o[(kind, key)] = type(obj).objects.get(pk=obj.pk)
    return w


@pytest.fixture(scope="module")
def search_world_once(django_db_setup, django_db_blocker) -> SearchWorld:
    """One world per module, inside a transaction rolled back at the module's end."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            built = build_search_world(lambda kind, **fields: UserFactory(kind=kind, **fields))
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def search_world(search_world_once, db) -> SearchWorld:
    return search_world_once
