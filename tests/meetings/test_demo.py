"""The demo's meetings: idempotent like the rest of the demo, a meeting ahead whose synthesis
shows what the demo tells (the open question, the positions, who has not prepared), and a
closed one whose decisions feed the register (one overdue) and whose minutes are in the feed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files.models import FileShare
from groups import policy as group_policy
from meetings import policy, selectors
from meetings.demo import NEXT_ITEMS, NEXT_TITLE, PAST_DECISIONS, PAST_TITLE
from meetings.models import (
    AgendaItem,
    Decision,
    DecisionUpdate,
    Invitation,
    Meeting,
    Opinion,
    OpinionChange,
)
from meetings.synthesis import compute_synthesis
from social import selectors as social_selectors
from social.demo import ROYEUX
from social.models import Comment, Post

pytestmark = pytest.mark.django_db

COUNTED = [
    Meeting,
    Invitation,
    AgendaItem,
    Opinion,
    OpinionChange,
    Decision,
    DecisionUpdate,
    Comment,
    Post,
    FileShare,
]


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _state() -> list[tuple]:
    return sorted(
        Invitation.objects.values_list("meeting_id", "user_id", "ready_at", "agenda_read_at")
    ) + sorted(Meeting.objects.values_list("pk", "status", "sequence", "starts_at"))


def _person(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


@pytest.fixture
def demo() -> str:
    return _load()


def _meetings() -> tuple[Meeting, Meeting]:
    return Meeting.objects.get(title=NEXT_TITLE), Meeting.objects.get(title=PAST_TITLE)


def test_loading_the_demo_twice_gives_the_same_meetings(demo):
    first, state = _counts(), _state()
    output = _load()
    assert _counts() == first
    assert _state() == state
    assert first["Meeting"] == 2
    assert "Demo meetings: 2 (2 new) in the Royeux group, 6 agenda items" in demo
    assert "Demo meetings: 2 (0 new)" in output


def test_the_coming_meeting_is_ahead_with_an_invited_elected_official(demo):
    upcoming, _past = _meetings()
    group = upcoming.group
    assert group.slug == ROYEUX
    assert group.name == "Zone d'activité du Royeux"
    assert upcoming.status == Meeting.Status.PREPARATION
    days = (timezone.localdate(upcoming.starts_at) - timezone.localdate()).days
    assert 2 <= days <= 7
    assert [i.title for i in selectors.agenda_of(upcoming)] == [s.title for s in NEXT_ITEMS]
    guest = _person("elu2")
    assert guest.kind == User.Kind.ELECTED
    assert group_policy.membership_of(guest, group) is None
    assert policy.is_participant(guest, upcoming)
    assert policy.can_view_meeting(guest, upcoming)
    assert not group_policy.can_read_group(guest, group)


def test_the_synthesis_shows_the_open_question_and_the_positions(demo):
    upcoming, _past = _meetings()
    synthesis = compute_synthesis(upcoming)
    voirie, lot7, calendar = synthesis.items
    assert voirie.title == "Extension de la voirie du lot 4"
    assert voirie.counts == {"pour": 2, "contre": 1, "reserve": 1, "sans_avis": 0}
    assert lot7.counts == {"pour": 2, "contre": 0, "reserve": 1, "sans_avis": 1}
    assert calendar.counts == {"pour": 3, "contre": 0, "reserve": 0, "sans_avis": 0}
    # The question on the road is still open; the one on lot 7 was answered.
    assert [q.author_name for q in voirie.open_questions] == ["Pierre Garnier"]
    assert "Qui porte le coût" in voirie.open_questions[0].body_html
    assert lot7.open_questions == []
    assert [a.text for a in voirie.arguments["contre"]] == [
        "Priorité à l'accès poids lourds du lot 9, déjà demandé."
    ]
    assert [f.name for f in lot7.files] == ["Plan de la zone d'activité du Royeux.png"]
    # Four participants gave positions; one has prepared nothing.
    givers = {p.display_name for p in synthesis.participants if p.prepared_item_ids}
    assert givers == {"Julien Bernard", "Claire Martin", "Nadia Benali", "Pierre Garnier"}
    assert len(synthesis.participants) == 5
    assert [p.display_name for p in synthesis.not_read] == ["Thomas Lefèvre"]
    assert {p.display_name for p in synthesis.not_ready} == {"Thomas Lefèvre", "Nadia Benali"}
    unprepared = next(p for p in synthesis.participants if p.display_name == "Thomas Lefèvre")
    assert unprepared.prepared_item_ids == []
    assert not unprepared.ready


def test_the_closed_meetings_decisions_are_in_the_register_one_overdue(demo):
    _upcoming, past = _meetings()
    assert past.status == Meeting.Status.CLOSED
    assert past.starts_at < timezone.now()
    organiser = _person("agent2")
    overdue = list(selectors.decisions_register(organiser, overdue=True))
    assert [d.text for d in overdue] == [PAST_DECISIONS[0].text]
    assert overdue[0].is_overdue
    assert overdue[0].status == Decision.Status.TODO
    done = list(selectors.decisions_register(organiser, status=Decision.Status.DONE))
    assert [d.text for d in done] == [PAST_DECISIONS[1].text]
    assert done[0].updates.get().comment.startswith("Réunion tenue")
    assert selectors.decisions_register(organiser, group=past.group).count() == 3
    # Loading again keeps the overdue decision overdue and the done one done.
    _load()
    assert [d.text for d in selectors.decisions_register(organiser, overdue=True)] == [
        PAST_DECISIONS[0].text
    ]


def test_the_minutes_are_in_the_groups_feed(demo):
    _upcoming, past = _meetings()
    post = past.minutes_post
    assert post is not None
    assert post.group_id == past.group_id
    assert post.body.startswith(f"**Compte rendu de la réunion « {PAST_TITLE} »**")
    assert "Lancer l'étude d'accès des poids lourds" in post.body
    member = _person("agent6")
    feed = social_selectors.group_feed(member, past.group, size=social_selectors.MAX_PAGE_SIZE)
    assert post.pk in {p.pk for p in feed.posts}
