"""Daily and weekly digests: worth reading (actions first, then decisions, then the most
discussed posts), built from what the reader may see at build time, sent once even when a
job is retried, at a constant number of queries per person."""

import smtplib
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from groups import policy as group_policy
from groups import services as group_services
from groups.models import Membership
from meetings import policy as meeting_policy
from meetings import services as meeting_services
from meetings.models import Invitation, Meeting
from notifications import tasks
from notifications.digests import Activity, Period, build_digest, build_digests
from notifications.models import EmailDelivery, GroupEmailPreference, Mute
from social import policy as social_policy
from social import services as social_services
from social.models import Post
from tests.factories import MembershipFactory
from tests.notifications.conftest import innovation_committee

pytestmark = pytest.mark.django_db
TOMORROW = timezone.localdate() + timedelta(days=1)


def today_period() -> Period:
    """The daily digest sent tomorrow morning: it covers today, when the tests write."""
    return Period.daily(TOMORROW)


def reader(user: User) -> User:
    """The user as the digest job loads them."""
    return User.objects.select_related("notification_settings").get(pk=user.pk)


def discussed(author, group, body: str, comments: int, commenter) -> object:
    post = social_services.create_post(author=author, group=group, body=body)
    for i in range(comments):
        social_services.add_comment(author=commenter, post=post, body=f"Avis {i}")
    return post


@pytest.fixture
def busy_day(agency):
    """A day in Bruno's groups: a meeting awaiting his opinions, a decision he owns due soon,
    a request to join the group he manages, another decision, and posts discussed more or
    less."""
    Membership.objects.filter(group=agency.garage, user=agency.bruno).update(role="manager")
    meeting = innovation_committee(agency, [agency.bruno])
    first = meeting_services.add_item(actor=agency.anne, meeting=meeting, title="Budget")
    meeting_services.add_item(actor=agency.anne, meeting=meeting, title="Calendrier")
    meeting_services.set_opinion(actor=agency.bruno, item=first, position="pour")
    due = meeting_services.add_decision(
        actor=agency.anne,
        meeting=meeting,
        text="Chiffrer le tiers-lieu",
        owner=agency.bruno,
        due_on=timezone.localdate() + timedelta(days=2),
    )
    other = meeting_services.add_decision(
        actor=agency.anne, meeting=meeting, text="Visiter Station F", owner=agency.anne
    )
    group_services.join_group(actor=agency.paul, group=agency.garage)
    posts = {
        "quiet": discussed(agency.anne, agency.innovation, "Une idée en passant", 0, agency.chloe),
        "hot": discussed(agency.anne, agency.garage, "Faut-il un fablab ?", 3, agency.chloe),
        "warm": discussed(agency.chloe, agency.innovation, "Retour du salon", 1, agency.anne),
    }
    return {"meeting": meeting, "due": due, "other": other, "posts": posts}


def test_a_digest_lists_actions_first_then_decisions_then_the_most_discussed(agency, busy_day):
    digest = build_digest(reader(agency.bruno), today_period())
    assert [m.pk for m in digest.meetings_awaiting] == [busy_day["meeting"].pk]
    assert (digest.meetings_awaiting[0].item_count, digest.meetings_awaiting[0].my_opinions) == (
        2,
        1,
    )
    assert [d.pk for d in digest.decisions_due] == [busy_day["due"].pk]
    assert [r.user_id for r in digest.requests] == [agency.paul.pk]
    assert {d.pk for d in digest.decisions_taken} == {busy_day["due"].pk, busy_day["other"].pk}
    posts = busy_day["posts"]
    assert [p.pk for p in digest.posts] == [posts["hot"].pk, posts["warm"].pk, posts["quiet"].pk]

    assert tasks.send_digests([reader(agency.bruno)], today_period()) == 1
    (message,) = mail.outbox
    body = message.body
    sections = [
        "Ce qui attend votre action",
        "Donnez votre avis avant la réunion « Comité innovation »",
        "Chiffrer le tiers-lieu",
        "Paul Blanc demande à rejoindre « Le Garage »",
        "Décisions prises dans vos groupes",
        "Visiter Station F",
        "Les publications les plus discutées",
        "Faut-il un fablab ?",
        "Retour du salon",
        "Une idée en passant",
    ]
    positions = [body.index(text) for text in sections]
    assert positions == sorted(positions)
    assert "3 action(s) attendue(s)" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_digest_omits_what_became_invisible_before_it_was_built(agency, busy_day):
    period = today_period()
    activity = Activity.of(period)  # read when the run starts
    hot = busy_day["posts"]["hot"]
    social_services.delete_post(actor=agency.anne, post=hot)
    digest = build_digest(reader(agency.bruno), period, activity)
    assert hot.pk not in [p.pk for p in digest.posts]
    # Ernest's access to Le Garage ended: no digest about it at all.
    Membership.objects.filter(user=agency.ernest).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert build_digest(reader(agency.ernest), period, activity) is None
    # And a muted post or group stays out.
    Mute.objects.create(user=agency.chloe, group=agency.garage)
    Mute.objects.create(user=agency.chloe, post=busy_day["posts"]["quiet"])
    digest = build_digest(reader(agency.chloe), period, activity)
    assert [p.pk for p in digest.posts] == [busy_day["posts"]["warm"].pk]


def test_frequencies_choose_the_digest_and_never_means_none(agency, busy_day):
    GroupEmailPreference.objects.create(
        user=agency.chloe, group=agency.innovation, frequency="weekly"
    )
    GroupEmailPreference.objects.create(user=agency.chloe, group=agency.garage, frequency="never")
    assert build_digest(reader(agency.chloe), today_period()) is None
    weekly = Period.weekly(TOMORROW + timedelta(days=7))
    digest = build_digest(reader(agency.chloe), weekly)
    assert [g.pk for g in digest.groups] == [agency.innovation.pk]
    assert weekly.key.count("-W") == 1


def test_a_digest_is_sent_once_even_when_the_job_runs_twice(agency, busy_day):
    day = TOMORROW.isoformat()
    tasks.send_daily_digests.delay(day)
    tasks.send_daily_digests.delay(day)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted({m.to[0] for m in mail.outbox})
    assert agency.bruno.email in recipients
    assert agency.citizen.email not in recipients
    assert EmailDelivery.objects.filter(key__startswith="digest:daily:").count() == len(recipients)


class FlakyBackend(EmailBackend):
    """Refuses the first message it is given (an SMTP server hiccup), then delivers."""

    failures = 1

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


def test_a_failing_send_is_logged_and_retried_and_still_sent_once(
    agency, busy_day, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.notifications.test_digests.FlakyBackend"
    FlakyBackend.failures = 1
    # As a worker runs it (a failure does not propagate to the caller, the job retries).
    args = [[agency.bruno.pk], "daily", TOMORROW.isoformat()]
    tasks.send_digest_batch.apply(args=args, throw=False)
    assert [m.to for m in mail.outbox] == [[agency.bruno.email]]
    assert "failed, retrying" in caplog.text
    tasks.send_digest_batch.delay([agency.bruno.pk], "daily", TOMORROW.isoformat())
    assert len(mail.outbox) == 1
    (delivery,) = EmailDelivery.objects.all()
    assert delivery.sent_at is not None


def test_building_a_digest_costs_the_same_queries_whatever_the_reader_sees(
    agency, busy_day, make_user, django_assert_max_num_queries
):
    period = today_period()
    activity = Activity.of(period)
    with django_assert_max_num_queries(20) as small:
        build_digest(reader(agency.bruno), period, activity)
    # Much more of everything: groups, posts, meetings, decisions, requests.
    for i in range(6):
        group = group_services.create_group(
            actor=agency.anne, data={"name": f"Groupe {i}", "visibility": "private"}
        )
        Membership.objects.create(group=group, user=agency.bruno, role="manager")
        for j in range(4):
            discussed(agency.anne, group, f"Sujet {i}-{j}", j, agency.bruno)
        start = timezone.now() + timedelta(days=2)
        meeting = meeting_services.create_meeting(
            actor=agency.anne,
            group=group,
            title=f"Réunion {i}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="Salle",
            participants=[agency.bruno],
        )
        meeting_services.add_item(actor=agency.anne, meeting=meeting, title="Point")
        meeting_services.add_decision(
            actor=agency.anne,
            meeting=meeting,
            text=f"Décision {i}",
            owner=agency.bruno,
            due_on=timezone.localdate(),
        )
        group_services.join_group(actor=make_user(), group=group)
    activity = Activity.of(period)
    with django_assert_max_num_queries(20) as large:
        digest = build_digest(reader(agency.bruno), period, activity)
    assert len(digest.groups) == 8
    assert len(small.captured_queries) == len(large.captured_queries)


def test_a_batch_gives_each_person_only_what_they_may_see(agency, busy_day):
    """Digests are built for many people at once: nothing of one leaks into another's."""
    # Innovation is not open to external members: Ernest's membership gives him nothing there.
    MembershipFactory(group=agency.innovation, user=agency.ernest)
    MembershipFactory(group=agency.innovation, user=agency.elise)
    people = [agency.bruno, agency.chloe, agency.ernest, agency.elise, agency.paul, agency.citizen]
    digests = build_digests([reader(p) for p in people], today_period())
    posts = busy_day["posts"]
    hot, warm, quiet = posts["hot"].pk, posts["warm"].pk, posts["quiet"].pk
    taken = {busy_day["due"].pk, busy_day["other"].pk}

    bruno = digests[agency.bruno.pk]
    assert [m.pk for m in bruno.meetings_awaiting] == [busy_day["meeting"].pk]
    assert [d.pk for d in bruno.decisions_due] == [busy_day["due"].pk]
    assert [r.user_id for r in bruno.requests] == [agency.paul.pk]
    assert {d.pk for d in bruno.decisions_taken} == taken
    assert [p.pk for p in bruno.posts] == [hot, warm, quiet]

    chloe = digests[agency.chloe.pk]  # staff member of both, not invited, manages nothing
    assert (chloe.meetings_awaiting, chloe.decisions_due, chloe.requests) == ([], [], [])
    assert {d.pk for d in chloe.decisions_taken} == taken
    assert [p.pk for p in chloe.posts] == [hot, warm, quiet]

    ernest = digests[agency.ernest.pk]  # external: Le Garage only
    assert [g.pk for g in ernest.groups] == [agency.garage.pk]
    assert ernest.decisions_taken == []
    assert [p.pk for p in ernest.posts] == [hot]

    elise = digests[agency.elise.pk]  # elected member of Innovation only
    assert {d.pk for d in elise.decisions_taken} == taken
    assert [p.pk for p in elise.posts] == [warm, quiet]
    assert elise.requests == []

    assert digests[agency.paul.pk] is None  # in no group
    assert digests[agency.citizen.pk] is None  # citizens get no digest


def test_the_batch_checks_agree_with_each_persons_policies(agency, busy_day, make_user):
    """What a batch decides from memberships read once is what each app's policy decides
    person by person, for every kind of user and every kind of meeting and post."""
    MembershipFactory(group=agency.innovation, user=agency.ernest)  # gives no access
    MembershipFactory(group=agency.garage, user=agency.paul)
    Membership.objects.filter(group=agency.garage, user=agency.paul).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    gone = make_user(User.Kind.STAFF, display_name="Ancien Agent")
    MembershipFactory(group=agency.innovation, user=gone)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    start = timezone.now() + timedelta(days=4)
    meeting_services.create_meeting(
        actor=agency.anne,
        group=agency.garage,
        title="Comité du Garage",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="Le Garage",
        participants=[agency.elise, agency.ernest],
    )
    social_services.create_post(author=agency.anne, group=None, body="Sur mon profil")
    people = [
        User.objects.get(pk=p.pk)
        for p in (
            agency.anne,
            agency.bruno,
            agency.paul,
            agency.elise,
            agency.ernest,
            agency.citizen,
            gone,
        )
    ]
    memberships = {(m.user_id, m.group_id): m for m in group_policy.active_memberships_of(people)}
    for person in people:
        assert {m.pk for m in group_policy.active_memberships(person)} == {
            m.pk for (user_id, _g), m in memberships.items() if user_id == person.pk
        }
    meetings = list(Meeting.objects.select_related("group"))
    posts = list(Post.objects.select_related("group"))
    assert len(meetings) == 2
    assert {p.group_id is None for p in posts} == {True, False}
    for person in [*people, AnonymousUser()]:
        for meeting in meetings:
            invited = Invitation.objects.filter(meeting=meeting, user_id=person.pk).exists()
            given = meeting_policy.can_view_meeting_given(
                person,
                meeting,
                membership=memberships.get((person.pk, meeting.group_id)),
                invited=invited,
            )
            assert given == meeting_policy.can_view_meeting(person, meeting), (person, meeting)
        for post in posts:
            given = social_policy.can_view_post_given(
                person, post, memberships.get((person.pk, post.group_id))
            )
            assert given == social_policy.can_view_post(person, post), (person, post)


def _busy_colleagues(agency, make_user, count: int) -> list[User]:
    """`count` more staff, each managing a group of their own with the same kind of day as
    Bruno's: a meeting awaiting them, a decision due, a request to join, discussed posts."""
    people = []
    for i in range(count):
        person = make_user(User.Kind.STAFF, display_name=f"Collègue {i}")
        group = group_services.create_group(
            actor=agency.anne, data={"name": f"Équipe {i}", "visibility": "private"}
        )
        Membership.objects.create(group=group, user=person, role="manager")
        Membership.objects.create(group=group, user=agency.bruno, role="member")
        discussed(agency.anne, group, f"Sujet {i}", 2, person)
        start = timezone.now() + timedelta(days=2)
        meeting = meeting_services.create_meeting(
            actor=agency.anne,
            group=group,
            title=f"Point d'équipe {i}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="Salle",
            participants=[person],
        )
        meeting_services.add_item(actor=agency.anne, meeting=meeting, title="Point")
        meeting_services.add_decision(
            actor=agency.anne,
            meeting=meeting,
            text=f"Décision {i}",
            owner=person,
            due_on=timezone.localdate(),
        )
        group_services.join_group(actor=make_user(), group=group)
        people.append(person)
    return people


def _send_batch(people: list[User]) -> list[str]:
    """The queries of one batch job sending these people's digests (each one sent)."""
    tasks._activities.clear()
    EmailDelivery.objects.all().delete()
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as captured:
        sent = tasks.send_digest_batch.delay([p.pk for p in people], "daily", TOMORROW.isoformat())
    assert sent.get() == len(people)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    # Savepoints: the test's transaction around each e-mail's own (BEGIN/COMMIT, unlogged).
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def _per_email(queries: list[str]) -> list[str]:
    """Each e-mail's own: lock its delivery row, mark it sent (committed as it leaves)."""
    return [
        sql
        for sql in queries
        if sql.startswith('UPDATE "notifications_emaildelivery"') or "SKIP LOCKED" in sql
    ]


def test_a_batch_of_digests_costs_the_same_queries_for_2_or_20_people(agency, busy_day, make_user):
    """Sections are read once per batch, not once per person: 20 people in 20 more groups
    cost what 2 people cost (reading, checking, building); sending adds two statements per
    e-mail, each committed on its own so that a worker dying midway resends none that left."""
    Membership.objects.filter(group=agency.innovation, user=agency.chloe).update(role="manager")
    group_services.join_group(actor=agency.elise, group=agency.innovation)
    two = _send_batch([agency.bruno, agency.chloe])
    people = [agency.bruno, agency.chloe, *_busy_colleagues(agency, make_user, 18)]
    twenty = _send_batch(people)
    assert (len(_per_email(two)), len(_per_email(twenty))) == (2 * 2, 2 * 20)
    assert len(two) - len(_per_email(two)) == len(twenty) - len(_per_email(twenty)) <= 20
