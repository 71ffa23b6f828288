"""The demo groups and conversations: idempotent, realistic, and held to the same policy."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from consultations.models import Contribution
from groups import policy as group_policy
from groups.models import Group, JoinRequest, Membership
from meetings.models import Meeting
from social import selectors
from social.demo import GARAGE, GROUPS, POSTS
from social.models import (
    Bookmark,
    Comment,
    Follow,
    PollOption,
    PollVote,
    Post,
    PostRevision,
    Reaction,
    Topic,
)

pytestmark = pytest.mark.django_db

COUNTED = [
    User,
    Group,
    Membership,
    JoinRequest,
    Post,
    PostRevision,
    Comment,
    Reaction,
    PollOption,
    PollVote,
    Bookmark,
    Follow,
    Topic,
    Post.mentions.through,
    Post.topics.through,
    Comment.mentions.through,
]


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _person(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


@pytest.fixture
def demo() -> str:
    return _load()


def test_loading_the_demo_twice_gives_the_same_data(demo):
    first = _counts()
    output = _load()
    assert _counts() == first
    assert first["Group"] == len(GROUPS)
    # The meetings demo publishes the minutes of its closed meeting to the group feed, and
    # the consultations demo turns a resident's request into an internal discussion post.
    minutes = Meeting.objects.exclude(minutes_post=None).count()
    discussions = Contribution.objects.exclude(internal_post=None).count()
    assert discussions == 1
    assert first["Post"] == len(POSTS) + minutes + discussions
    assert demo.count("— created") == len(GROUPS)
    assert "— created" not in output


def test_the_command_names_every_demo_group(demo):
    for spec in GROUPS:
        assert spec.name in demo


def test_a_start_up_member_sees_only_le_garage_and_a_lively_home_feed(demo):
    startup1 = _person("startup1")
    assert [g.slug for g in group_policy.visible_groups(startup1)] == [GARAGE]
    page = selectors.home_feed(startup1)
    assert page.posts
    assert {post.group.slug for post in page.posts} == {GARAGE}


def test_citizens_see_no_demo_group_and_no_post(demo):
    citizen = _person("citoyen1")
    assert not group_policy.visible_groups(citizen).exists()
    assert selectors.home_feed(citizen).posts == []


def test_the_demo_shows_every_kind_of_post_with_mentions_and_topics(demo):
    posts = Post.objects.all()
    assert {p.kind for p in posts} == set(Post.Kind.values)
    assert {"cloud", "implantation", "emploi"} <= set(Topic.objects.values_list("name", flat=True))
    assert Post.mentions.through.objects.exists()
    assert 'class="mention"' in Post.objects.get(body__contains="@startup1 @startup3").body_html
    poll = posts.get(kind=Post.Kind.POLL, group__slug=GARAGE)
    assert PollVote.objects.filter(post=poll).count() >= 3
    question = posts.filter(kind=Post.Kind.QUESTION, best_answer__isnull=False).first()
    assert question is not None
    assert question.comments.count() >= 2
    assert PostRevision.objects.exists()


def test_the_demo_posts_span_the_last_three_weeks(demo):
    now = timezone.now()
    dates = list(Post.objects.values_list("created_at", flat=True))
    assert max(dates) < now
    assert (now - min(dates)).days >= 20


def test_the_garage_announcement_is_pinned_for_its_members(demo):
    startup1 = _person("startup1")
    garage = Group.objects.get(slug=GARAGE)
    page = selectors.group_feed(startup1, garage)
    assert [p.kind for p in page.pinned] == [Post.Kind.ANNOUNCEMENT]
    assert page.pinned[0].pinned_until > timezone.now()


def test_the_partner_s_access_to_the_incubator_ends_by_itself(demo):
    membership = Membership.objects.get(group__slug=GARAGE, user=_person("partenaire1"))
    assert membership.expires_at is not None
    assert membership.expires_at > timezone.now()
    assert membership.charter_accepted_at is not None
