"""The bell's unread count is the number of unread notifications the list shows (only targets
the owning app's policy lets the person see now), for every kind of user, and costs the same
few queries whatever the number of notifications."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from consultations.models import Contribution
from files import services as file_services
from groups import services as group_services
from groups.models import Group, Membership
from meetings import services as meeting_services
from messaging import services as messaging_services
from notifications import selectors
from notifications.models import Notification
from notifications.services import Target, notify
from social import services as social_services
from tests.consultations.conftest import contribute
from tests.factories import GroupFactory, MembershipFactory
from tests.files.conftest import upload

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
EVERYONE = ("anne", "bruno", "paul", "elise", "ernest", "citizen")
# One unread count, whatever the number of notifications: the person's unread rows, then one
# small query per kind of target among them (at most 9 kinds).
COUNT_QUERIES = 10


@pytest.fixture
def targets(agency, make_consultation) -> SimpleNamespace:
    """One object of each kind a notification points at, seen by some of the agency only."""
    a = agency
    start = timezone.now() + timedelta(days=3)
    meeting = meeting_services.create_meeting(
        actor=a.anne,
        group=a.garage,
        title="Comité du garage",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Salle 2",
        participants=[a.bruno, a.ernest, a.elise],
    )
    consultation = make_consultation(a.anne)
    atelier = GroupFactory(
        name="L'Atelier",
        slug="atelier",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=a.anne,
    )
    return SimpleNamespace(
        public_post=social_services.create_post(author=a.anne, group=a.innovation, body="Idée"),
        garage_post=social_services.create_post(author=a.anne, group=a.garage, body="Levée"),
        profile_post=social_services.create_post(author=a.anne, group=None, body="Bonjour"),
        file=file_services.create_file(
            owner=a.anne, incoming=upload("plan.txt", b"plan du garage"), group=a.garage
        ),
        meeting=meeting,
        decision=meeting_services.add_decision(
            actor=a.anne, meeting=meeting, text="Chiffrer les travaux", owner=a.bruno
        ),
        conversation=messaging_services.create_group_conversation(
            actor=a.anne, title="Le garage", people=[a.bruno, a.ernest, a.elise]
        ),
        contribution=contribute(a.citizen, consultation),
        atelier=atelier,
        invitations={
            name: group_services.invite(
                actor=a.anne, group=atelier, email=getattr(a, name).email
            )
            for name in ("elise", "ernest")
        },
    )


def about(agency, targets, person: User) -> list[Target]:
    """A Target of each kind; `notify` keeps those `person` may see. Kinds that are never
    grouped, so that each call writes one more notification."""
    t = targets
    found = [
        Target(Kind.MENTION, post=t.public_post),
        Target(Kind.MENTION, post=t.garage_post),
        Target(Kind.MENTION, post=t.profile_post),
        Target(Kind.MENTION, file=t.file),
        Target(Kind.MEETING_REMINDER, meeting=t.meeting),
        Target(Kind.DECISION_ASSIGNED, decision=t.decision),
        Target(Kind.MESSAGE, conversation=t.conversation),
        Target(Kind.CONSULTATION_UPDATE, contribution=t.contribution),
        Target(Kind.JOIN_REQUEST, group=agency.garage),
        Target(Kind.JOIN_APPROVED, group=agency.innovation),
    ]
    invitation = next((i for i in t.invitations.values() if i.email == person.email.lower()), None)
    if invitation is not None:
        found.append(Target(Kind.GROUP_INVITATION, invitation=invitation))
    return found


def bury(agency, targets, person: User, n: int) -> int:
    """Up to `n` notifications for `person`, cycling through the kinds of target; returns how
    many rows were written (grouped kinds add to the unread one)."""
    actor = agency.paul if person.pk != agency.paul.pk else agency.chloe
    kinds = about(agency, targets, person)
    before = Notification.objects.filter(recipient=person).count()
    for i in range(n):
        target = kinds[i % len(kinds)]
        notify(recipients=[person], kind=target.kind, actor=actor, target=target, title=f"n{i}")
    return Notification.objects.filter(recipient=person).count() - before


def shown_unread(person: User) -> int:
    return len(selectors.notifications_for(person, unread=True, limit=1000))


def test_the_count_costs_the_same_few_queries_for_2_and_30_notifications_of_mixed_kinds(
    agency, targets
):
    for name in ("anne", "elise", "ernest", "citizen"):
        person = getattr(agency, name)
        sizes = []
        for n in (2, 30):
            Notification.objects.filter(recipient=person).delete()
            bury(agency, targets, person, n)
            with CaptureQueriesContext(connection) as queries:
                count = selectors.unread_count(person)
            assert len(queries.captured_queries) <= COUNT_QUERIES, name
            assert count == shown_unread(person), name
            sizes.append(len(queries.captured_queries))
        assert sizes[1] <= COUNT_QUERIES, (name, sizes)
