"""A small agency for notification tests: a public and a private group, people of each kind."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership
from meetings import services as meeting_services
from meetings.models import Meeting
from notifications.models import Notification
from tests.consultations.conftest import make_consultation  # noqa: F401 - a fixture
from tests.factories import GroupFactory, MembershipFactory, OrganisationFactory


@pytest.fixture
def agency(make_user) -> SimpleNamespace:
    """Anne (staff, owner of both groups), Bruno and Chloé (staff members), Paul (staff, not a
    member), Élise (elected), Ernest (external, member of the garage), a citizen; « Innovation »
    is public, « Le Garage » private and open to external members."""
    anne = make_user(User.Kind.STAFF, display_name="Anne Martin", handle="anne")
    bruno = make_user(User.Kind.STAFF, display_name="Bruno Petit", handle="bruno")
    chloe = make_user(User.Kind.STAFF, display_name="Chloé Roux", handle="chloe")
    paul = make_user(User.Kind.STAFF, display_name="Paul Blanc", handle="paul")
    elise = make_user(User.Kind.ELECTED, display_name="Élise Élue", handle="elise")
    ernest = make_user(
        User.Kind.EXTERNAL,
        display_name="Ernest Externe",
        handle="ernest",
        organisation=OrganisationFactory(name="Ferment & Co"),
    )
    citizen = make_user(User.Kind.CITIZEN, display_name="Cécile Citoyenne", handle="cecile")
    innovation = GroupFactory(name="Innovation", slug="innovation", created_by=anne)
    garage = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=anne,
    )
    for person in (bruno, chloe):
        MembershipFactory(group=innovation, user=person)
        MembershipFactory(group=garage, user=person)
    MembershipFactory(group=garage, user=ernest)
    return SimpleNamespace(
        anne=anne,
        bruno=bruno,
        chloe=chloe,
        paul=paul,
        elise=elise,
        ernest=ernest,
        citizen=citizen,
        innovation=innovation,
        garage=garage,
    )


def end_access(group: Group, user: User) -> None:
    Membership.objects.filter(group=group, user=user).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def innovation_committee(agency: SimpleNamespace, participants: list[User]) -> Meeting:
    """Anne's meeting of the innovation group in three days, with these participants."""
    start = timezone.now() + timedelta(days=3)
    return meeting_services.create_meeting(
        actor=agency.anne,
        group=agency.innovation,
        title="Comité innovation",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Salle 2",
        participants=participants,
    )


def notes(user: User, kind: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(recipient=user).order_by("id")
    if kind is not None:
        found = found.filter(kind=kind)
    return list(found)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what services schedule after commit, as a real commit would
    (callbacks scheduled by callbacks included)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
