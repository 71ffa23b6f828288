"""Feed pages cost a constant number of SQL queries, whatever their length, and « Charger
plus » brings the next posts without repeating any."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership
from social import services
from social.models import Follow, Post, Reaction
from social.selectors import PAGE_SIZE

# A ceiling over the whole page (session, user, header, feed, pinned announcements, sidebar):
# the rule is that the count does not grow with the page, this only catches a slow drift.
MAX_QUERIES = 24

pytestmark = pytest.mark.django_db


class Agency:
    """One public group whose members write every kind of post, with a full conversation."""

    def __init__(self, make_user):
        self.author = make_user(User.Kind.STAFF, handle="auteur", display_name="Anne Auteur")
        self.reader = make_user(User.Kind.STAFF, handle="lecteur", display_name="Léo Lecteur")
        self.elected = make_user(User.Kind.ELECTED, handle="elu", display_name="Élie Élu")
        self.group = Group.objects.create(
            name="Foire de Hanovre", slug="foire", created_by=self.author
        )
        self.other = Group.objects.create(name="Salons", slug="salons", created_by=self.author)
        for group in (self.group, self.other):
            for user in (self.author, self.reader, self.elected):
                Membership.objects.create(group=group, user=user)
                Follow.objects.create(follower=user, group=group)
        self.count = 0
        self.single_author = False

    def add_posts(self, n: int) -> None:
        kinds = [Post.Kind.PLAIN, Post.Kind.POLL, Post.Kind.QUESTION, Post.Kind.ANNOUNCEMENT]
        for _ in range(n):
            self.count += 1
            kind = kinds[self.count % len(kinds)]
            extra = {}
            if kind == Post.Kind.POLL:
                extra["poll_options"] = ["Oui", "Non", "Peut-être"]
            if kind == Post.Kind.ANNOUNCEMENT:
                extra["pinned_until"] = timezone.now() + timedelta(days=1)
            author = self.author if self.count % 2 or self.single_author else self.elected
            post = services.create_post(
                author=author,
                group=self.group,
                body=f"Point n°{self.count} pour @lecteur #salon #emploi",
                kind=kind,
                **extra,
            )
            first = services.add_comment(author=self.reader, post=post, body="Vu, @auteur")
            services.add_comment(author=self.elected, post=post, body="Merci #salon")
            services.react(actor=self.reader, post=post)
            services.react(actor=self.elected, post=post, kind=Reaction.Kind.PARTY)
            services.react(actor=self.reader, comment=first)
            services.bookmark(actor=self.reader, post=post)
            if kind == Post.Kind.POLL:
                services.vote(actor=self.reader, post=post, option_id=post.poll_options.first().pk)
            if kind == Post.Kind.QUESTION and self.count % 8 == 6:
                services.choose_best_answer(actor=author, comment=first)
            if self.count % 5 == 0:
                services.share_post(actor=self.reader, post=post, group=self.other, body="À voir")


@pytest.fixture
def agency(make_user) -> Agency:
    return Agency(make_user)


def post_ids(response) -> list[int]:
    return [
        int(n) for n in re.findall(r'<article [^>]*id="feed-post-(\d+)"', response.content.decode())
    ]


def more_url(response) -> str | None:
    match = re.search(r'hx-get="([^"]+)"[^>]*>Charger plus', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


FEEDS = {
    "home": lambda a: "/",
    "home, mentions": lambda a: "/?filter=mentions",
    "home, bookmarks": lambda a: "/?filter=bookmarks",
    "bookmarks": lambda a: "/favoris/",
    "group": lambda a: f"/groupes/{a.group.slug}/",
    "group, questions": lambda a: f"/groupes/{a.group.slug}/?filter=questions",
    "group, announcements": lambda a: f"/groupes/{a.group.slug}/?filter=announcements",
    "topic": lambda a: "/sujets/salon/",
    "profile": lambda a: f"/annuaire/{a.author.pk}/publications/",
}


def queries_for(client, url: str) -> tuple[int, list[int], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), post_ids(response), [q["sql"] for q in queries]


@pytest.mark.parametrize("feed", list(FEEDS))
def test_a_feed_page_costs_the_same_queries_with_5_or_25_posts(agency, client_for, feed):
    client = client_for(agency.reader)
    url = FEEDS[feed](agency)
    agency.add_posts(5)
    client.get(url)  # sessions, caches and the like warmed up
    small, small_ids, _sql = queries_for(client, url)
    assert small_ids, feed

    agency.add_posts(20)
    large, large_ids, sql = queries_for(client, url)
    assert len(large_ids) > len(small_ids), feed
    assert large <= MAX_QUERIES, "\n".join(sql)
    assert large == small, f"{feed}: {small} queries for 5 posts, {large} for 25:\n" + "\n".join(
        sql
    )


@pytest.mark.parametrize("feed", ["home", "group", "topic", "profile", "bookmarks"])
def test_load_more_brings_the_next_posts_without_repeating_any(agency, client_for, feed):
    client = client_for(agency.reader)
    agency.single_author = feed == "profile"
    agency.add_posts(PAGE_SIZE + 5)
    url = FEEDS[feed](agency)
    first = client.get(url)
    first_ids = post_ids(first)
    assert len(first_ids) == PAGE_SIZE
    next_url = more_url(first)
    assert next_url is not None
    # The same link works without JavaScript: a whole page.
    assert f'href="{next_url.replace("&", "&amp;")}"' in first.content.decode()

    more = client.get(next_url, HTTP_HX_REQUEST="true")
    assert "<html" not in more.content.decode()
    more_ids = post_ids(more)
    assert more_ids
    assert not set(first_ids) & set(more_ids)
    assert more_url(more) is None
    assert "publications de plus" in more.content.decode()
    expected = list(Post.objects.filter(pk__in=first_ids + more_ids).order_by("-created_at", "-pk"))
    assert [p.pk for p in expected] == first_ids + more_ids

    plain = client.get(next_url)
    assert "<html" in plain.content.decode()
    assert post_ids(plain)[: len(more_ids)] == more_ids


def test_load_more_keeps_the_filter(agency, client_for, make_user):
    client = client_for(agency.reader)
    agency.add_posts(PAGE_SIZE + 5)
    # Posts that do not mention the reader, newer than the others.
    for n in range(PAGE_SIZE):
        services.create_post(author=agency.author, group=agency.group, body=f"Sans mention {n}")
    first = client.get("/?filter=mentions")
    next_url = more_url(first)
    assert "filter=mentions" in next_url
    more = client.get(next_url, HTTP_HX_REQUEST="true")
    shown = post_ids(first) + post_ids(more)
    assert len(shown) == len(set(shown)) == PAGE_SIZE + 5
    assert not Post.objects.filter(pk__in=shown, body__startswith="Sans mention").exists()
