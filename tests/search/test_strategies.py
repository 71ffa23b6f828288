"""How a newest-first page is read on PostgreSQL (search.selectors._probe, _strategy), and what
a search leaves behind in its caller's transaction: the same search always reads the same
way, the probe's newest rows never cut the results, the time limit and JIT setting end with
the search."""

from datetime import timedelta
from functools import cache

import pytest
from django.db import connection, transaction
from django.db.models import BooleanField, Func, Q
from django.utils import timezone

from groups import policy as group_policy
from search import backend, selectors
from social import services as social_services
from social.models import Post
from tests.factories import GroupFactory

pytestmark = pytest.mark.postgresql


@pytest.fixture
def group(staff):
    return GroupFactory(name="Zone d'activité", slug="zone", created_by=staff)


def _settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('jit')")
        return cursor.fetchone()


def _probe(user, text: str, limit: int = 21) -> selectors.Probe:
    source = selectors.SOURCES_BY_KIND["post"]
    rows = source.rows(user, cache(lambda: group_policy.readable_group_ids(user)))
    return selectors._probe(source, rows, backend.parse(text), Q(), limit)


def _probe_of(read: int, seen: int) -> selectors.Probe:
    """A rare word in a big table, by the sample: alone, it would be read through the index."""
    return selectors.Probe(
        read=read,
        oldest=timezone.now(),
        checked=seen,
        seen=seen,
        sampled=10_000,
        sampled_hits=1,
        size=1_000_000,
    )


def test_the_newest_rows_alone_decide_only_when_they_hold_the_page_or_the_window():
    """Reading only the PROBE newest rows ("recent") is right when they are the whole window
    or already hold a page; one row more and the rest of the window would be cut off."""
    limit = 21
    assert selectors._strategy(_probe_of(selectors.PROBE - 1, 0), limit) == "recent"
    assert selectors._strategy(_probe_of(selectors.PROBE, limit), limit) == "recent"
    assert selectors._strategy(_probe_of(selectors.PROBE, limit - 1), limit) != "recent"
    assert selectors._strategy(_probe_of(selectors.PROBE, 0), limit) != "recent"


def test_the_results_go_on_past_the_newest_rows_probed(staff, group, monkeypatch):
    """Older matches beyond the PROBE newest rows are found, page after page: the probe's
    rows alone are never taken for the whole window."""
    monkeypatch.setattr(selectors, "PROBE", 5)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    now = timezone.now()
    made = []
    for n in range(28):  # one in two matches: the five newest rows never hold a page
        body = f"Sujet commun {n}" if n % 2 else f"Autre chose {n}"
        p = social_services.create_post(author=staff, group=group, body=body)
        Post.objects.filter(pk=p.pk).update(created_at=now - timedelta(minutes=n))
        if n % 2:
            made.append(p.pk)
    chosen = []
    strategy = selectors._strategy
    monkeypatch.setattr(
        selectors,
        "_strategy",
        lambda probe, limit: chosen.append(strategy(probe, limit)) or chosen[-1],
    )
    seen, cursor = [], None
    for _page in range(10):
        filters = selectors.Filters(kind="posts", cursor=cursor)
        (section,) = selectors.search(staff, "commun", filters).sections
        seen += [r.id for r in section.results if r.kind == "post"]
        cursor = section.next_cursor
        if cursor is None:
            break
    assert seen == made  # newest first, none cut off after the fifth row
    assert "recent" in chosen  # the last pages: fewer rows left than PROBE
    assert {"scan", "index"} & set(chosen)


def test_the_same_search_always_reads_the_same_way(staff, group, monkeypatch):
    """The table sample is drawn with a fixed seed: two identical searches measure the same
    share of matches, so they choose the same way to read (and take the same time)."""
    monkeypatch.setattr(selectors, "PROBE", 3)
    monkeypatch.setattr(selectors, "SAMPLE_PAGES", 2)
    filler = "remplissage " * 80
    Post.objects.bulk_create(
        Post(author=staff, group=group, body=f"{'Sujet commun' if n % 3 else 'Autre'} {filler}")
        for n in range(600)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE social_post")
    probes = {_probe(staff, "commun") for _ in range(8)}
    assert len(probes) == 1, probes
    (probe,) = probes
    assert probe.sampled < 600  # a sample indeed, not the whole table


def test_the_sample_is_read_only_when_the_newest_rows_leave_the_choice_open(
    staff, group, monkeypatch
):
    for n in range(6):
        social_services.create_post(author=staff, group=group, body=f"Sujet commun {n}")
    monkeypatch.setattr(selectors, "SAMPLE_PAGES", 100_000)  # every page, when sampled
    assert _probe(staff, "commun").sampled == 0  # six rows: the whole window, read at once
    monkeypatch.setattr(selectors, "PROBE", 3)
    assert _probe(staff, "commun", limit=21).sampled == 6  # three rows, a page needs more
    assert _probe(staff, "commun", limit=2).sampled == 0  # the three newest hold the page


def test_a_search_inside_a_transaction_gives_its_limits_back(staff, group, settings, monkeypatch):
    """Called inside its caller's transaction, the search's time limit and JIT setting last
    as long as the search, whether it succeeds or is stopped."""
    social_services.create_post(author=staff, group=group, body="Développement")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '7s'; SET LOCAL jit = on")
        before = _settings()
        assert before == ("7s", "on")
        assert selectors.search(staff, "developpement").sections
        assert _settings() == before
        settings.SEARCH_STATEMENT_TIMEOUT_MS = 20
        matching = backend.matching

        def slow(rows, terms, **kwargs):
            sleep = Func(template="(pg_sleep(0.05) IS NULL)", output_field=BooleanField())
            return matching(rows, terms, **kwargs).alias(_slow=sleep).filter(_slow=True)

        monkeypatch.setattr(backend, "matching", slow)
        with pytest.raises(selectors.SearchTimeout):
            selectors.search(staff, "developpement", selectors.Filters(kind="posts"))
        assert _settings() == before
        with connection.cursor() as cursor:  # the caller's transaction goes on
            cursor.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_a_search_outside_any_transaction_leaves_the_session_as_it_was(staff, group):
    social_services.create_post(author=staff, group=group, body="Développement")
    before = _settings()
    assert not connection.in_atomic_block
    assert selectors.search(staff, "developpement").sections
    assert _settings() == before
