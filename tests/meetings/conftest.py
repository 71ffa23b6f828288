"""A small agency for meeting tests: one group of each kind, people of each kind, one meeting
in preparation per group, organised by the groups' owner."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership
from meetings import services
from meetings.models import Meeting
from tests.factories import OrganisationFactory, UserFactory

# Every kind of viewer the matrix tries, with what they are in every group.
VIEWERS = (
    "owner",  # staff, owner of every group, organiser of every meeting
    "manager",  # staff, manager of every group, not invited
    "staff_member",  # staff, member of every group, invited everywhere
    "staff_outsider",  # staff, member of nothing
    "elected_invited",  # elected official, member of nothing, invited everywhere
    "elected_other",  # elected official, member of nothing, not invited
    "external_member",  # start-up member of Le Garage, invited there
    "external_outsider",  # start-up member of nothing
    "citizen",
    "deactivated",  # staff, member of every group and invited, account deactivated
)
GROUPS = ("public", "private", "unlisted", "garage")


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    meetings: dict[str, Meeting] = field(default_factory=dict)


def add_member(group: Group, user: User, role: str = Membership.Role.MEMBER, **fields):
    return Membership.objects.create(group=group, user=user, role=role, **fields)


def when(days: float = 7, hours: float = 2):
    """A meeting slot `days` from now, lasting `hours`."""
    start = timezone.now() + timedelta(days=days)
    return start, start + timedelta(hours=hours)


@pytest.fixture
def world(db) -> World:
    w = World()
    startup = OrganisationFactory(name="Ferment & Co")
    u = w.users
    u["owner"] = UserFactory(kind=User.Kind.STAFF, handle="olivier", display_name="Olivier")
    u["manager"] = UserFactory(kind=User.Kind.STAFF, handle="manon", display_name="Manon")
    u["staff_member"] = UserFactory(kind=User.Kind.STAFF, handle="marie", display_name="Marie")
    u["staff_outsider"] = UserFactory(kind=User.Kind.STAFF, handle="sacha", display_name="Sacha")
    u["elected_invited"] = UserFactory(kind=User.Kind.ELECTED, handle="elise", display_name="Élise")
    u["elected_other"] = UserFactory(kind=User.Kind.ELECTED, handle="emile", display_name="Émile")
    u["external_member"] = UserFactory(
        kind=User.Kind.EXTERNAL, handle="ernest", display_name="Ernest", organisation=startup
    )
    u["external_outsider"] = UserFactory(
        kind=User.Kind.EXTERNAL, handle="oscar", display_name="Oscar", organisation=startup
    )
    u["citizen"] = UserFactory(kind=User.Kind.CITIZEN, handle="cecile", display_name="Cécile")
    u["deactivated"] = UserFactory(kind=User.Kind.STAFF, handle="denis", display_name="Denis")
    for key, visibility, open_to_external in (
        ("public", Group.Visibility.PUBLIC, False),
        ("private", Group.Visibility.PRIVATE, False),
        ("unlisted", Group.Visibility.UNLISTED, False),
        ("garage", Group.Visibility.PRIVATE, True),
    ):
        group = Group.objects.create(
            name=f"Groupe {key}",
            slug=key,
            visibility=visibility,
            open_to_external=open_to_external,
            created_by=u["owner"],
        )
        w.groups[key] = group
        add_member(group, u["owner"], Membership.Role.OWNER)
        add_member(group, u["manager"], Membership.Role.MANAGER)
        add_member(group, u["staff_member"])
        add_member(group, u["deactivated"])
        invited = [u["staff_member"], u["elected_invited"], u["deactivated"]]
        if key == "garage":
            add_member(group, u["external_member"])
            invited.append(u["external_member"])
        start, end = when()
        w.meetings[key] = services.create_meeting(
            actor=u["owner"],
            group=group,
            title=f"Réunion {key}",
            starts_at=start,
            ends_at=end,
            place="Salle du conseil",
            participants=invited,
        )
    User.objects.filter(pk=u["deactivated"].pk).update(is_active=False)
    u["deactivated"].refresh_from_db()
    return w


@pytest.fixture
def published(monkeypatch) -> list[tuple[list[int], str, dict]]:
    """What services publish to sockets, once their transaction commits."""
    sent: list[tuple[list[int], str, dict]] = []

    def publish(user_ids, type, data) -> None:
        recipients = sorted(set(user_ids))
        transaction.on_commit(lambda: sent.append((recipients, type, data)), robust=True)

    monkeypatch.setattr("realtime.events.publish", publish)
    return sent
