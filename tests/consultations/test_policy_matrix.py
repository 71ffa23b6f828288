"""Who sees what of consultations: every kind of user, every consultation state, every kind
of contribution, through the policy and the selectors (the paths every page and API use)."""

import pytest
from django.http import Http404

from consultations import policy, selectors
from consultations.models import Consultation, Contribution

pytestmark = pytest.mark.django_db

EVERYONE = [
    "anonymous",
    "author",
    "other_citizen",
    "moderator",
    "staff",
    "elected",
    "external",
    "deactivated",
]
PUBLIC = {"published", "others", "closed"}
ALL = {
    "pending",
    "published",
    "hidden",
    "others",
    "others_pending",
    "deactivated_own",
    "closed",
    "upcoming",
}

CONSULTATIONS = {
    "anonymous": {"open", "closed"},
    "author": {"open", "closed"},
    "other_citizen": {"open", "closed"},
    "deactivated": {"open", "closed"},
    "moderator": {"open", "closed", "upcoming"},
    "staff": {"open", "closed", "upcoming"},
    "elected": {"open", "closed", "upcoming"},
    "external": set(),
}
CONTRIBUTIONS = {
    "anonymous": PUBLIC,
    "author": PUBLIC | {"pending", "hidden"},
    "other_citizen": PUBLIC | {"others_pending"},
    "deactivated": PUBLIC,
    "moderator": ALL,
    "staff": ALL,
    "elected": PUBLIC | {"upcoming"},
    "external": set(),
}


def names(world, objects, kind: str) -> set[str]:
    pool = world.consultations if kind == "consultation" else world.contributions
    by_pk = {obj.pk: name for name, obj in pool.items()}
    return {by_pk[obj.pk] for obj in objects if obj.pk in by_pk}


@pytest.mark.parametrize("who", EVERYONE)
def test_each_kind_of_user_sees_exactly_its_consultations(world, who):
    user = world.users[who]
    assert names(world, policy.visible_consultations(user), "consultation") == CONSULTATIONS[who]
    assert names(world, selectors.consultations_for(user), "consultation") == CONSULTATIONS[who]
    for name, consultation in world.consultations.items():
        expected = name in CONSULTATIONS[who]
        assert policy.can_view_consultation(user, consultation) is expected, name
        if expected:
            assert selectors.get_consultation_for(user, consultation.pk) == consultation
        else:
            with pytest.raises(Http404):
                selectors.get_consultation_for(user, consultation.pk)


@pytest.mark.parametrize("who", EVERYONE)
def test_each_kind_of_user_reads_exactly_its_contributions(world, who):
    user = world.users[who]
    assert names(world, policy.visible_contributions(user), "contribution") == CONTRIBUTIONS[who]
    for name, contribution in world.contributions.items():
        expected = name in CONTRIBUTIONS[who]
        assert policy.can_view_contribution(user, contribution) is expected, name
        if expected:
            assert selectors.get_contribution_for(user, contribution.pk) == contribution
        else:
            with pytest.raises(Http404):
                selectors.get_contribution_for(user, contribution.pk)
    listed = set()
    for consultation in world.consultations.values():
        listed |= names(
            world, selectors.contributions_for(user, consultation=consultation), "contribution"
        )
    assert listed == CONTRIBUTIONS[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_a_missing_id_and_a_forbidden_id_answer_the_same_404(world, who):
    user = world.users[who]
    for getter in (
        selectors.get_consultation_for,
        selectors.get_contribution_for,
        selectors.get_comment_for,
        selectors.get_photo_for,
    ):
        for bad in (10**9, "abc", None):
            with pytest.raises(Http404):
                getter(user, bad)


@pytest.mark.parametrize("who", EVERYONE)
def test_internal_notes_moderation_log_and_reports_are_for_staff_only(world, who):
    user = world.users[who]
    published = world.contributions["published"]
    open_ = world.consultations["open"]
    internal = who in {"moderator", "staff"}
    assert policy.can_view_internal(user) is internal
    notes = list(selectors.internal_notes_for(user, contribution=published))
    assert notes == ([world.note] if internal else [])
    log = selectors.moderation_log(user, consultation=open_)
    assert log.exists() is internal
    queue = selectors.moderation_queue(user)
    assert queue["reports"].exists() is (who == "moderator")
    assert queue["contributions"].exists() is (who == "moderator")


@pytest.mark.parametrize("who", EVERYONE)
def test_public_answers_are_seen_by_whoever_reads_the_contribution(world, who):
    user = world.users[who]
    rows = list(selectors.contributions_for(user, consultation=world.consultations["open"]))
    answers = {a.pk for c in rows for a in c.answers.all()}
    assert answers == ({world.answer.pk} if "published" in CONTRIBUTIONS[who] else set())
    history = selectors.public_status_history(user, contribution=world.contributions["published"])
    assert history.exists() is False  # no status change yet, and never "who"
    assert "changed_by_id" not in history.query.deferred_loading[0]


WRITE_RULES = {
    # who: (contribute on open, support "others", moderate open, triage, brief)
    "anonymous": (False, False, False, False, False),
    "author": (True, True, False, False, False),
    "other_citizen": (True, False, False, False, False),  # "others" is their own
    "deactivated": (False, False, False, False, False),
    "moderator": (True, True, True, True, True),
    "staff": (True, True, False, True, True),
    "elected": (False, False, False, False, True),
    "external": (False, False, False, False, False),
}


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_contribute_support_moderate_triage_and_read_the_brief(world, who):
    user = world.users[who]
    open_, closed, upcoming = (world.consultations[k] for k in ("open", "closed", "upcoming"))
    contribute, support, moderate, triage, brief = WRITE_RULES[who]
    assert policy.can_contribute(user, open_) is contribute
    assert not policy.can_contribute(user, closed)
    assert not policy.can_contribute(user, upcoming)
    assert policy.can_support(user, world.contributions["others"]) is support
    for name in ("pending", "hidden", "closed", "others_pending"):
        assert not policy.can_support(user, world.contributions[name]), name
    assert policy.can_comment(user, world.contributions["others"]) is (contribute and True)
    assert not policy.can_comment(user, world.contributions["closed"])
    assert policy.can_moderate(user, open_) is moderate
    assert policy.can_triage(user, world.contributions["published"]) is triage
    assert policy.can_view_brief(user, open_) is brief
    assert policy.can_publish_report(user, open_) is (who in {"moderator", "staff"})
    assert policy.can_export(user, closed) is ("closed" in CONSULTATIONS[who])
    assert not policy.can_export(user, open_)
    assert policy.can_report(user, world.contributions["others"]) is (
        who not in {"anonymous", "deactivated", "external"}
    )


def test_a_superuser_moderates_every_consultation(world, make_user):
    admin = make_user(is_superuser=True)
    assert policy.can_moderate(admin, world.consultations["open"])
    assert set(policy.moderated_consultations(admin)) == set(Consultation.objects.all())


def test_my_requests_lists_only_ones_own_contributions_in_every_state(world):
    author = world.users["author"]
    mine = {c.pk for c in selectors.my_requests(author)}
    assert mine == {world.contributions[k].pk for k in ("pending", "published", "hidden", "closed")}
    assert not selectors.my_requests(world.users["anonymous"]).exists()
    assert not selectors.my_requests(world.users["deactivated"]).exists()


def test_a_hidden_contribution_shows_its_public_reason_to_its_author(world):
    hidden = selectors.get_contribution_for(world.users["author"], world.contributions["hidden"].pk)
    assert hidden.moderation_state == "hidden"
    assert hidden.hidden_reason == "propos injurieux"
    assert Contribution.objects.filter(pk=hidden.pk, author=world.users["author"]).exists()


COMMENTS = {
    "anonymous": {"published"},
    "author": {"published"},
    "other_citizen": {"published", "pending"},
    "deactivated": {"published"},
    "moderator": {"published", "pending"},
    "staff": {"published", "pending"},
    "elected": {"published"},
    "external": set(),
}


@pytest.mark.parametrize("who", EVERYONE)
def test_each_kind_of_user_reads_exactly_its_comments(world, who):
    user = world.users[who]
    others = world.contributions["others"]
    by_pk = {c.pk: name for name, c in world.comments.items()}
    listed = {by_pk[c.pk] for c in selectors.comments_for(user, contribution=others)}
    assert listed == COMMENTS[who]
    for name, comment in world.comments.items():
        assert policy.can_view_comment(user, comment) is (name in COMMENTS[who])
        if name in COMMENTS[who]:
            assert selectors.get_comment_for(user, comment.pk) == comment
        else:
            with pytest.raises(Http404):
                selectors.get_comment_for(user, comment.pk)
    if "others" in CONTRIBUTIONS[who]:
        row = selectors.contributions_for(user, consultation=others.consultation).get(pk=others.pk)
        assert row.comment_count == 1  # published comments only


def test_a_citizen_still_reads_their_own_contribution_when_the_opening_is_moved_later(world):
    """The list and the single check agree: one's own contribution stays readable (and only
    to its author among the public) if staff move the consultation's opening after it."""
    from tests.consultations.conftest import shift_to

    shift_to(world.consultations["open"], "upcoming")
    mine = Contribution.objects.get(pk=world.contributions["published"].pk)
    for who in ("author", "other_citizen", "anonymous", "staff", "elected", "external"):
        user = world.users[who]
        listed = policy.visible_contributions(user).filter(pk=mine.pk).exists()
        assert listed is policy.can_view_contribution(user, mine), who
        assert listed is (who in {"author", "staff", "elected"}), who
