"""Search behaviour on whichever database the suite runs on (PostgreSQL full text, or the
SQLite substring backend: test_sqlite.py runs this very file on SQLite too).

Stemming, accents (words with digits included), highlights that cannot inject HTML, filters,
orders, cursors, bad input, a constant number of queries.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import BooleanField, Func
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from search import backend, selectors
from social import services as social_services
from social.models import Post
from tests.factories import GroupFactory, MembershipFactory

# French stemming and statement_timeout are PostgreSQL's: the SQLite run (test_sqlite.py)
# deselects these; CI runs them on PostgreSQL.
full_text_only = pytest.mark.postgresql


@pytest.fixture
def group(staff):
    return GroupFactory(name="Zone d'activité", slug="zone", created_by=staff)  # staff owns it


def post(author, group, body, **fields) -> Post:
    return social_services.create_post(author=author, group=group, body=body, **fields)


def found(user, text, **filters) -> list[tuple[str, int]]:
    outcome = selectors.search(user, text, selectors.Filters(**filters))
    return [(r.kind, r.id) for s in outcome.sections for r in s.results]


def test_a_word_typed_without_its_accents_finds_the_accented_word(staff, group):
    p = post(staff, group, "Le développement économique du quartier")
    assert ("post", p.pk) in found(staff, "developpement")
    assert ("post", p.pk) in found(staff, "DÉVELOPPEMENT")
    assert ("post", p.pk) in found(staff, "economique")


def test_a_singular_finds_the_plural(staff, group):
    """Stemming on PostgreSQL; a substring on SQLite: « implantation » finds both."""
    p = post(staff, group, "Trois implantations prévues cette année")
    assert found(staff, "implantation") == [("post", p.pk)]


@full_text_only
def test_french_stemming_finds_other_forms_of_a_word(staff, group):
    p = post(staff, group, "Nous avons implanté deux entreprises")
    assert found(staff, "implantations") == [("post", p.pk)]


def test_words_with_digits_match_without_their_accents(staff, group):
    a26 = post(staff, group, "Travaux sur l'A26 et la RN2")
    zone = post(staff, group, "Le lot de la zône2 est vendu")
    assert found(staff, "a26") == [("post", a26.pk)]
    assert found(staff, "rn2") == [("post", a26.pk)]
    assert found(staff, "zone2") == [("post", zone.pk)]
    assert found(staff, "ZÔNE2") == [("post", zone.pk)]


def test_every_word_must_match(staff, group):
    both = post(staff, group, "Salon de l'industrie à Hanovre")
    post(staff, group, "Salon du livre")
    assert found(staff, "salon hanovre") == [("post", both.pk)]


def test_highlights_mark_the_matched_words_and_escape_everything_else(staff, group):
    post(staff, group, 'Le <script>alert("x")</script> <b>développement</b> & <mark>faux</mark>')
    outcome = selectors.search(staff, "developpement")
    snippet = outcome.sections[0].results[0].snippet
    assert "<mark>" in snippet
    assert "<script>" not in snippet
    assert "<b>" not in snippet
    assert "&lt;script&gt;" in snippet or "script" not in snippet
    # The only tags left are our own marks, around the word found.
    stripped = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped
    assert ">" not in stripped
    assert "développement</mark>" in snippet


def test_a_private_use_marker_in_the_text_cannot_forge_a_highlight(staff, group):
    post(staff, group, "Texte \ue000<img src=x onerror=alert(1)>\ue001 développement")
    outcome = selectors.search(staff, "developpement")
    snippet = outcome.sections[0].results[0].snippet
    assert "<img" not in snippet
    assert snippet.count("<mark>") == 1


def test_newest_first_with_a_cursor_walks_every_match_once(staff, group, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    now = timezone.now()
    posts = [post(staff, group, f"Réunion numéro {n}") for n in range(8)]
    for n, p in enumerate(posts):
        Post.objects.filter(pk=p.pk).update(created_at=now - timedelta(minutes=n))
    Post.objects.filter(pk=posts[5].pk).update(created_at=now - timedelta(minutes=4))  # a tie
    seen, cursor = [], None
    for _page in range(5):
        outcome = selectors.search(staff, "reunion", selectors.Filters(kind="posts", cursor=cursor))
        section = outcome.sections[0]
        seen += [r.id for r in section.results]
        cursor = section.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(p.pk for p in posts)
    assert len(seen) == len(set(seen))


def test_relevance_puts_the_closest_match_first(staff, group):
    weak = post(staff, group, "Un mot sur le budget, puis d'autres sujets sans rapport aucun")
    strong = post(staff, group, "Budget : le budget 2027, budget voté")
    result = found(staff, "budget", kind="posts", order="relevance")
    assert result.index(("post", strong.pk)) < result.index(("post", weak.pk))


def test_filters_by_group_author_and_dates(staff, group, make_user):
    other_group = GroupFactory(name="Autre", slug="autre", created_by=staff)
    colleague = make_user(User.Kind.STAFF)
    MembershipFactory(group=group, user=colleague)
    mine = post(staff, group, "Forum emploi")
    theirs = post(colleague, group, "Forum emploi bis")
    elsewhere = post(staff, other_group, "Forum emploi ailleurs")
    old = post(staff, group, "Forum emploi ancien")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()

    assert set(found(staff, "forum", kind="posts", group=group.pk)) == {
        ("post", mine.pk),
        ("post", theirs.pk),
        ("post", old.pk),
    }
    assert set(found(staff, "forum", kind="posts", author=colleague.pk)) == {("post", theirs.pk)}
    assert ("post", old.pk) not in found(staff, "forum", after=today - timedelta(days=7))
    assert found(staff, "forum", before=today - timedelta(days=30)) == [("post", old.pk)]
    assert ("post", elsewhere.pk) in found(staff, "forum")


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("", {}),
        ("   ", {}),
        ("x" * 201, {}),
        ("mot", {"kind": "planets"}),
        ("mot", {"order": "random"}),
        ("mot", {"cursor": "o20"}),
        ("mot", {"kind": "posts", "cursor": "nonsense"}),
        ("mot", {"cursor": "planets.r20"}),
    ],
)
def test_bad_input_gets_a_clear_french_error(staff, text, filters):
    with pytest.raises(selectors.SearchError) as error:
        selectors.search(staff, text, selectors.Filters(**filters))
    assert str(error.value)


@full_text_only
def test_a_pathological_query_is_stopped_with_a_clear_error(staff, group, settings, monkeypatch):
    post(staff, group, "Développement")
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 20
    matching = backend.matching

    def slow(rows, terms, **kwargs):
        """Every row now costs a 50 ms sleep, like a query gone wrong."""
        sleep = Func(template="(pg_sleep(0.05) IS NULL)", output_field=BooleanField())
        return matching(rows, terms, **kwargs).alias(_slow=sleep).filter(_slow=True)

    monkeypatch.setattr(backend, "matching", slow)
    with pytest.raises(selectors.SearchTimeout) as error:
        selectors.search(staff, "developpement", selectors.Filters(kind="posts"))
    assert "trop de temps" in str(error.value)
    monkeypatch.undo()
    # The connection is usable again, without the short limit.
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 3000
    assert found(staff, "developpement")


def test_the_api_answers_the_timeout_with_503(staff, group, client_for, monkeypatch):
    def too_long(*args, **kwargs):
        raise selectors.SearchTimeout("La recherche a pris trop de temps et a été interrompue.")

    monkeypatch.setattr(selectors, "search", too_long)
    response = client_for(staff).get("/api/v1/search", {"q": "mot"})
    assert response.status_code == 503
    assert "trop de temps" in response.json()["detail"]


def test_text_without_a_word_or_an_empty_date_range_finds_nothing(staff, group):
    post(staff, group, "Tout ! est - dit")
    assert selectors.search(staff, "!!!").sections == []
    assert selectors.search(staff, "- or").sections == []
    today = timezone.localdate()
    empty_range = selectors.Filters(after=today, before=today - timedelta(days=1))
    assert selectors.search(staff, "dit", empty_range).sections == []


def test_a_cursor_resumes_its_own_kind_and_order(staff, group, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    post(staff, group, "Budget un")
    post(staff, group, "Budget deux, budget")
    first = selectors.search(staff, "budget", selectors.Filters(kind="posts", order="relevance"))
    cursor = first.sections[0].next_cursor
    assert cursor.startswith("posts.r")
    second = selectors.search(staff, "budget", selectors.Filters(cursor=cursor))
    assert second.order == "relevance"
    assert [s.kind for s in second.sections] == ["posts"]
    assert second.sections[0].results[0].id != first.sections[0].results[0].id


def test_the_api_refuses_bad_input(staff, client_for):
    client = client_for(staff)
    assert client.get("/api/v1/search", {"q": ""}).status_code == 422
    assert client.get("/api/v1/search", {"q": "x" * 201}).status_code == 422
    assert client.get("/api/v1/search", {"q": "mot", "cursor": "o20"}).status_code == 422
    assert client.get("/api/v1/search", {"q": "mot", "kind": "planets"}).status_code == 422
    response = client.get(
        "/api/v1/search", {"q": "mot", "after": "2026-05-02", "before": "2026-05-01"}
    )
    assert response.status_code == 200
    assert response.json()["sections"] == []


def test_the_page_shows_grouped_results_and_errors(staff, group, client_for):
    post(staff, group, "Le développement du port")
    client = client_for(staff)
    page = client.get(reverse("search:search"), {"q": "developpement"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Publications et commentaires" in html
    assert "<mark>développement</mark>" in html
    bad = client.get(reverse("search:search"), {"q": ""})
    assert bad.status_code == 400
    assert 'aria-describedby="search-error"' in bad.content.decode()
    empty = client.get(reverse("search:search"))
    assert empty.status_code == 200


def test_the_navigation_has_one_labelled_search_box(staff, client_for):
    html = client_for(staff).get(reverse("home")).content.decode()
    assert html.count('class="site-search"') == 1
    assert 'role="search"' in html
    assert '<label for="site-search-q"' in html


def _grow(staff, group, n):
    for i in range(n):
        p = post(staff, group, f"Développement {i}")
        social_services.add_comment(author=staff, post=p, body=f"Développement commenté {i}")


@pytest.mark.parametrize("kind", [None, "posts"])
def test_the_number_of_queries_does_not_grow_with_the_results(staff, group, kind):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.search(staff, "developpement", selectors.Filters(kind=kind))
        return len(queries)

    _grow(staff, group, 3)
    small = count()
    _grow(staff, group, 30)
    assert count() == small


@pytest.mark.parametrize("probe", [2, 2000])
def test_a_search_costs_the_same_number_of_queries_for_every_viewer_and_word(
    staff, make_user, monkeypatch, probe
):
    """The viewer's groups are read once: a search costs as many queries for staff as for an
    external member, in one group, three or twelve, for a common word as for a rare one, newest
    first or by relevance (PROBE 2: the probe decides how to read; 2000: it reads it all)."""
    monkeypatch.setattr(selectors, "PROBE", probe)
    groups = [
        GroupFactory(
            created_by=staff, open_to_external=n < 12, visibility="private" if n else "public"
        )
        for n in range(14)
    ]
    for n, g in enumerate(groups):
        for i in range(3):
            body = "Sujet commun" + (" rarissime" if i == 0 else "")
            p = post(staff, g, f"{body} {n}")
            social_services.add_comment(author=staff, post=p, body=f"{body} commenté")
    one = make_user(User.Kind.EXTERNAL)
    MembershipFactory(group=groups[0], user=one)
    three, twelve = make_user(User.Kind.EXTERNAL), make_user(User.Kind.EXTERNAL)
    for g in groups[:3]:
        MembershipFactory(group=g, user=three)
    for g in groups[:12]:
        MembershipFactory(group=g, user=twelve)

    def count(user, text, order) -> int:
        with CaptureQueriesContext(connection) as queries:
            outcome = selectors.search(user, text, selectors.Filters(kind="posts", order=order))
        kinds = {r.kind for r in outcome.sections[0].results}
        assert kinds == {"post", "comment"}, (user, text, order)
        return len(queries)

    counts = {
        (viewer, text, order): count(user, text, order)
        for viewer, user in (
            ("staff", staff),
            ("one group", one),
            ("three groups", three),
            ("twelve groups", twelve),
        )
        for text in ("commun", "rarissime")
        for order in ("newest", "relevance")
    }
    for order in ("newest", "relevance"):  # the substring backend ranks with one more query
        assert len({n for key, n in counts.items() if key[2] == order}) == 1, counts


@full_text_only
@pytest.mark.parametrize("probe", [1, 3, 7, 2000])
def test_the_probe_of_the_newest_rows_never_changes_the_results(staff, group, monkeypatch, probe):
    """Newest first reads the PROBE newest rows, then the older ones through the index: the
    pages are the same whatever PROBE is, for a common and for a rare word."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "PROBE", probe)
    now = timezone.now()
    made = []
    for n in range(12):
        body = "Sujet commun" + (" rarissime" if n == 9 else "")
        p = post(staff, group, body if n % 2 == 0 or n == 9 else "Autre chose")
        Post.objects.filter(pk=p.pk).update(created_at=now - timedelta(minutes=n // 2))
        made.append(p)
    social_services.add_comment(author=staff, post=made[0], body="Un commentaire commun")

    def walk(text):
        seen, cursor = [], None
        while True:
            outcome = selectors.search(staff, text, selectors.Filters(kind="posts", cursor=cursor))
            seen += [(r.kind, r.id) for r in outcome.sections[0].results]
            cursor = outcome.sections[0].next_cursor
            if cursor is None:
                return seen

    common = walk("commun")
    posts = [p for p in made if "commun" in Post.objects.get(pk=p.pk).body]
    expected_posts = sorted(
        posts, key=lambda p: (-Post.objects.get(pk=p.pk).created_at.timestamp(), -p.pk)
    )
    assert [pk for kind, pk in common if kind == "post"] == [p.pk for p in expected_posts]
    assert sum(1 for kind, _pk in common if kind == "comment") == 1
    assert walk("rarissime") == [("post", made[9].pk)]


def test_a_file_is_found_by_the_words_inside_it_and_shown_around_them(
    staff, group, django_capture_on_commit_callbacks
):
    """The text of a PDF or a Word document counts (files.texts), on either backend; the
    snippet is a marked window of that text."""
    from files import services as file_services
    from tests.files.conftest import upload
    from tests.files.documents import docx_with_text, pdf_with_text

    filler = "Contexte général de la zone d'activité et de ses entreprises."
    with django_capture_on_commit_callbacks(execute=True):
        report = file_services.create_file(
            owner=staff,
            incoming=upload(
                "r.pdf", pdf_with_text(filler, "Le Développement Économique", lines_per_page=8)
            ),
            description="Rapport annuel",
            group=group,
        )
        letter = file_services.create_file(
            owner=staff,
            incoming=upload("lettre.docx", docx_with_text("Une <b>cœur</b> & subvention")),
            group=group,
        )
    outcome = selectors.search(staff, "developpement economique")
    (result,) = outcome.sections[0].results
    assert (result.kind, result.id) == ("file", report.pk)
    assert "<mark>Développement</mark> <mark>Économique</mark>" in result.snippet
    assert result.snippet.startswith("… ")
    assert found(staff, "rapport developpement") == [("file", report.pk)]  # name and content
    (result,) = selectors.search(staff, "coeur subvention").sections[0].results
    assert result.id == letter.pk
    assert result.snippet == (
        "Compte rendu Une &lt;b&gt;<mark>cœur</mark>&lt;/b&gt; &amp; <mark>subvention</mark>"
    )
    assert found(staff, "zqabsent developpement") == []
    # By relevance, a file named with the word comes before one that only contains it.
    with django_capture_on_commit_callbacks(execute=True):
        named = file_services.create_file(
            owner=staff,
            incoming=upload("n.docx", docx_with_text("Sans rapport")),
            name="Développement local",
            group=group,
        )
    assert found(staff, "developpement", kind="files", order="relevance") == [
        ("file", named.pk),
        ("file", report.pk),
    ]
