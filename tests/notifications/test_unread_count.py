"""The bell's unread count is the number of unread notifications the list shows (only targets
the owning app's policy lets the person see now), for every kind of user, and costs the same
few queries whatever the number of notifications."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from consultations.models import Contribution, ModerationState
from files import services as file_services
from groups import services as group_services
from groups.models import Group
from meetings import services as meeting_services
from messaging import services as messaging_services
from notifications import policy, selectors
from notifications.models import Notification
from notifications.services import Target, notify
from social import services as social_services
from tests.consultations.conftest import contribute
from tests.factories import GroupFactory
from tests.files.conftest import upload

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
EVERYONE = ("anne", "bruno", "paul", "elise", "ernest", "citizen")
# The count and a page, whatever the number of notifications: the person's rows, then one query
# asking each owning app's policy about the targets among them.
QUERIES = 2


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
            name: group_services.invite(actor=a.anne, group=atelier, email=getattr(a, name).email)
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


def seen_by(agency, targets, person: User) -> list[Target]:
    return [t for t in about(agency, targets, person) if policy.can_see_target(person, t)]


def bury(agency, targets, person: User, n: int) -> int:
    """Up to `n` notifications for `person`, cycling through the kinds of target they may see;
    returns how many rows were written (grouped kinds add to the unread one)."""
    actor = agency.paul if person.pk != agency.paul.pk else agency.chloe
    kinds = seen_by(agency, targets, person)
    before = Notification.objects.filter(recipient=person).count()
    for i in range(n):
        target = kinds[i % len(kinds)]
        notify(recipients=[person], kind=target.kind, actor=actor, target=target, title=f"n{i}")
    return Notification.objects.filter(recipient=person).count() - before


def listed(person, **page) -> list[int]:
    return [n.pk for n in selectors.notifications_for(person, **page)]


def test_the_count_and_the_list_cost_the_same_queries_for_2_and_30_notifications_of_mixed_kinds(
    agency, targets
):
    for name in ("anne", "elise", "ernest", "citizen"):
        person = getattr(agency, name)
        for n in (2, 30):
            Notification.objects.filter(recipient=person).delete()
            bury(agency, targets, person, n)
            with CaptureQueriesContext(connection) as counting:
                count = selectors.unread_count(person)
            with CaptureQueriesContext(connection) as listing:
                page = selectors.notifications_for(person, unread=True)
            assert count == len(page) > 0, (name, n)
            assert len(counting.captured_queries) == QUERIES, (name, n)
            assert len(listing.captured_queries) == QUERIES, (name, n)


@pytest.fixture(params=["checked kind by kind", "filtered by the database"])
def how(request, monkeypatch) -> str:
    """Both ways the count and the list apply the rule: few rows (each kind of target asked
    about its ids), and many (the database filters them; here from the 4th)."""
    if request.param == "filtered by the database":
        monkeypatch.setattr(selectors, "MAX_CHECKED", 3)
    return request.param


def test_the_count_is_what_the_list_shows_for_everyone_after_targets_become_invisible(
    agency, targets, how
):
    for name in EVERYONE:
        person = getattr(agency, name)
        bury(agency, targets, person, len(seen_by(agency, targets, person)))  # one of each
    # A citizen is never told about a group's post, even if a row says so.
    Notification.objects.create(recipient=agency.citizen, kind=Kind.LIKE, post=targets.garage_post)
    counts = {name: selectors.unread_count(getattr(agency, name)) for name in EVERYONE}
    assert counts == {"anne": 10, "bruno": 9, "paul": 4, "elise": 8, "ernest": 6, "citizen": 1}

    group_services.remove_member(actor=agency.anne, group=agency.garage, user=agency.ernest)
    social_services.delete_post(actor=agency.anne, post=targets.public_post)
    messaging_services.leave_conversation(actor=agency.elise, conversation=targets.conversation)
    Contribution.objects.filter(pk=targets.contribution.pk).update(
        moderation_state=ModerationState.HIDDEN
    )

    expected = {"anne": 9, "bruno": 8, "paul": 3, "elise": 5, "ernest": 2, "citizen": 1}
    for name in EVERYONE:
        person = getattr(agency, name)
        shown = listed(person)
        assert selectors.unread_count(person) == len(shown) == expected[name], (name, how)
        assert listed(person, unread=True) == shown
        assert len(listed(person, unread=True, limit=1000)) == expected[name]
        # Page after page, small pages skip the hidden ones the same way.
        for size in (1, 2, 3):
            pages = [listed(person, limit=size, offset=at) for at in range(0, 12, size)]
            assert [pk for page in pages for pk in page] == shown, (name, size, how)
    # Read ones leave the count, not the list.
    anne_s = listed(agency.anne)
    Notification.objects.filter(pk__in=anne_s[:3]).update(read_at=timezone.now())
    assert selectors.unread_count(agency.anne) == 6
    assert listed(agency.anne) == anne_s
    assert listed(agency.anne, unread=False) == anne_s[:3]
    assert listed(agency.anne, unread=True) == anne_s[3:]
    # Nobody signed in, or an account switched off: nothing.
    assert selectors.notifications_for(AnonymousUser()) == []
    User.objects.filter(pk=agency.bruno.pk).update(is_active=False)
    agency.bruno.refresh_from_db()
    assert (selectors.unread_count(agency.bruno), listed(agency.bruno)) == (0, [])


def test_opening_a_notification_needs_its_target_still_visible(agency, targets, client_for):
    for name in ("ernest", "elise"):
        person = getattr(agency, name)
        bury(agency, targets, person, len(seen_by(agency, targets, person)))
    garage = Notification.objects.get(recipient=agency.ernest, post=targets.garage_post)
    talk = Notification.objects.get(recipient=agency.ernest, conversation=targets.conversation)
    elise_s = Notification.objects.get(recipient=agency.elise, conversation=targets.conversation)
    client = client_for(agency.ernest)
    opened = client.get(f"/notifications/{garage.pk}/")
    assert (opened.status_code, opened.url) == (302, f"/publications/{targets.garage_post.pk}/")
    group_services.remove_member(actor=agency.anne, group=agency.garage, user=agency.ernest)
    file_note = Notification.objects.get(recipient=agency.ernest, file=targets.file)
    assert client.get(f"/notifications/{file_note.pk}/").status_code == 404
    assert client.get(f"/notifications/{elise_s.pk}/").status_code == 404  # someone else's
    assert client.get(f"/notifications/{talk.pk}/").status_code == 302
    file_note.refresh_from_db()
    elise_s.refresh_from_db()
    assert (file_note.read_at, elise_s.read_at) == (None, None)
