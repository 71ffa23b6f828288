"""The demo's consultation: what the demo tells (15 contributions from the 5 demo citizens, a
moderation queue, answered requests, an internal discussion) and idempotent like the rest."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from consultations import demo, policy, selectors
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    ModerationDecision,
    OfficialAnswer,
    Report,
    Service,
    StatusChange,
    Support,
)
from social import demo as social_demo
from social import policy as social_policy
from social.models import Post

pytestmark = pytest.mark.django_db

COUNTED = [
    Consultation,
    Contribution,
    Support,
    ConsultationComment,
    Report,
    ModerationDecision,
    StatusChange,
    OfficialAnswer,
    Service,
    Post,
]


def _load() -> demo.ConsultationsResult:
    accounts_demo.load_demo()
    social_demo.load_demo()
    return demo.load_demo()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _person(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


@pytest.fixture
def loaded() -> demo.ConsultationsResult:
    return _load()


@pytest.fixture
def consultation(loaded) -> Consultation:
    return Consultation.objects.get(title=demo.TITLE)


def test_the_demo_has_five_citizens():
    citizens = [p for p in accounts_demo.PEOPLE if p[1] == User.Kind.CITIZEN]
    assert [p[0] for p in citizens] == list(demo.CITIZENS)


def test_the_consultation_is_open_with_two_elected_officials_and_the_visit_ahead(consultation):
    assert consultation.title == "Visite du quartier Europe — 12 décembre"
    assert consultation.is_open
    assert (consultation.visit_date.month, consultation.visit_date.day) == (12, 12)
    assert consultation.visit_date > timezone.localdate()
    assert consultation.closes_at.date() < consultation.visit_date
    officials = set(consultation.officials.values_list("kind", "email"))
    assert officials == {
        (User.Kind.ELECTED, f"elu1@{DEMO_DOMAIN}"),
        (User.Kind.ELECTED, f"elu2@{DEMO_DOMAIN}"),
    }
    assert policy.can_moderate(_person("agent6"), consultation)
    assert consultation.services.count() == len(demo.SERVICES)


def test_fifteen_contributions_from_the_five_demo_citizens_across_categories(consultation):
    contributions = list(consultation.contributions.select_related("author", "category"))
    assert len(contributions) == 15
    by_author: dict[str, int] = {}
    for c in contributions:
        assert c.author.kind == User.Kind.CITIZEN
        by_author[c.author.handle] = by_author.get(c.author.handle, 0) + 1
    assert by_author == dict.fromkeys(demo.CITIZENS, 3)
    assert len({c.category.name for c in contributions}) >= 7
    assert {c.kind for c in contributions} == set(Contribution.Kind.values)
    # Supported by neighbours, never by their author; the counters match the rows.
    for c in contributions:
        supporters = set(c.supports.values_list("user_id", flat=True))
        assert c.author_id not in supporters
        assert c.support_count == len(supporters)
    top = max(contributions, key=lambda c: c.support_count)
    assert top.title == "Lampadaire éteint devant l'école Jean-Moulin"


def test_two_reported_one_hidden_two_answered_one_discussed_internally(loaded, consultation):
    assert (loaded.reported, loaded.hidden, loaded.answered, loaded.discussed) == (2, 1, 2, 1)
    queue = selectors.moderation_queue(_person("agent6"))
    queued = {r.contribution.title for r in queue["reports"]}
    assert queued == {
        "Rodéos de scooters le soir sur le parking du gymnase",
        "Un abri à l'arrêt de bus Europe-Gare",
    }
    hidden = consultation.contributions.get(moderation_state="hidden")
    assert hidden.hidden_reason == "hors sujet"
    assert hidden.decisions.get().moderator == _person("agent6")
    assert not hidden.reports.filter(resolved=False).exists()

    answered = consultation.contributions.filter(answers__isnull=False).order_by("status")
    assert [(c.status, c.service.name) for c in answered] == [
        (Contribution.Status.IN_PROGRESS, "Direction de la voirie"),
        (Contribution.Status.DONE, "Éclairage public"),
    ]
    lamp = answered.get(status=Contribution.Status.DONE)
    assert lamp.quick_win
    assert list(lamp.status_changes.values_list("to_status", flat=True)) == ["en_cours", "traite"]
    assert lamp.answers.get().signed_by == "Éclairage public"

    discussed = consultation.contributions.get(internal_post__isnull=False)
    post = discussed.internal_post
    assert post.group.slug == demo.DISCUSSION_GROUP
    assert not post.group.open_to_external
    assert discussed.title in post.body
    # The citizen who wrote it never sees the internal post.
    assert not social_policy.can_view_post(discussed.author, post)


def test_the_public_sees_every_contribution_but_the_hidden_one(consultation):
    anonymous = AnonymousUser()
    public = selectors.contributions_for(anonymous, consultation=consultation)
    assert public.count() == 14
    assert not public.filter(moderation_state="hidden").exists()
    author = consultation.contributions.get(moderation_state="hidden").author
    assert selectors.contributions_for(author, consultation=consultation).count() == 15


def test_loading_the_demo_twice_gives_the_same_consultation(loaded):
    first = _counts()
    again = _load()
    assert _counts() == first
    assert again.contributions_created == 0
    assert not again.created
    assert (again.reported, again.hidden, again.answered, again.discussed) == (2, 1, 2, 1)


def test_a_demo_loaded_long_ago_is_moved_back_open(loaded):
    Consultation.objects.filter(title=demo.TITLE).update(
        opens_at=timezone.now() - timedelta(days=400),
        closes_at=timezone.now() - timedelta(days=300),
    )
    _load()
    assert Consultation.objects.get(title=demo.TITLE).is_open


def test_the_load_demo_command_loads_and_describes_the_consultation():
    out = StringIO()
    call_command("load_demo", stdout=out)
    output = out.getvalue()
    assert "Visite du quartier Europe — 12 décembre" in output
    assert "15 contributions" in output
    assert Consultation.objects.filter(title=demo.TITLE).count() == 1
    call_command("load_demo", stdout=StringIO())
    assert Contribution.objects.count() == 15
