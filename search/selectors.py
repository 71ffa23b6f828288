"""Search reads: per kind of object, rows taken from the owning app's policy querysets, matched
by search.backend, ordered newest first or by relevance, grouped by section, paginated.

Visibility is never decided here: every source starts from the owning app's `visible_*`
queryset, and only those rows are
matched, counted, highlighted or shown. No section shows a count or a facet.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy as account_policy
from accounts.models import User
from consultations import policy as consultation_policy
from consultations.models import Contribution
from files import policy as file_policy
from files.models import File, FileText
from groups import policy as group_policy
from groups.models import Group
from groups.policy import ReadableGroups
from meetings import policy as meeting_policy
from meetings.models import AgendaItem, Decision, Meeting
from messaging import policy as messaging_policy
from messaging.models import Message
from search import backend
from search.backend import InvalidQuery, NoWord, Terms
from social import policy as social_policy
from social.models import Comment, Post

PAGE_SIZE = 20
PREVIEW_SIZE = 5
# Newest first, on the big tables, a probe reads the PROBE newest rows of the window (date
# index, whoever may see them) and picks one of three ways to read the page (`_strategy`):
# "recent" (those rows hold the page, or are the whole window), "scan" (the whole window
# newest first, row by row: a common word the viewer sees a small share of) or "index" (the
# GIN index's matches sorted by date: a rare word).
PROBE = 2000
# The visibility of the newest matches among them is checked row by row, up to CHECKED
# (or two pages).
CHECKED = 100
# How common the words are is measured on this many pages of the table, drawn at random
# with a fixed seed (the same search always reads the same way), and only when the PROBE
# newest rows leave the choice open.
SAMPLE_PAGES = 64
SAMPLE_SEED = 20261201
# A viewer who reads at most this many groups has the big tables read part by part.
FEW_GROUPS = 10
# A match read through the GIN index (bitmap, heap, the policy's conditions, the sort) costs
# about as much as this many rows read newest first (measured at a million rows).
GIN_MATCH_COST = 4
# Relevance ranks a bounded candidate set: the newest matches of each source.
CANDIDATES = 200
ORDERS = ("newest", "relevance")
# A pathological query stops here with a clear message instead of holding a page (ms).
STATEMENT_TIMEOUT_MS = 3000

SECTIONS: dict[str, str] = {
    "people": gettext_lazy("Personnes"),
    "groups": gettext_lazy("Groupes"),
    "posts": gettext_lazy("Publications et commentaires"),
    "files": gettext_lazy("Fichiers"),
    "messages": gettext_lazy("Messages"),
    "meetings": gettext_lazy("Réunions et décisions"),
    "contributions": gettext_lazy("Contributions aux consultations"),
}

KIND_LABELS: dict[str, str] = {
    "person": gettext_lazy("Personne"),
    "group": gettext_lazy("Groupe"),
    "post": gettext_lazy("Publication"),
    "comment": gettext_lazy("Commentaire"),
    "file": gettext_lazy("Fichier"),
    "message": gettext_lazy("Message"),
    "meeting": gettext_lazy("Réunion"),
    "item": gettext_lazy("Point à l'ordre du jour"),
    "decision": gettext_lazy("Décision"),
    "contribution": gettext_lazy("Contribution"),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_DAY, _LAST_DAY = date(1000, 1, 1), date(9000, 12, 31)
# `<kind>.<µs since 1970>_<source>_<id>` newest first, `<kind>.r<offset>` by relevance: a
# cursor resumes its own kind and order, so every string of this shape is a valid request.
CURSOR_PATTERN = (
    r"^(?:people|groups|posts|files|messages|meetings|contributions)"
    r"\.(?:[0-9]{1,16}_[0-9]_[0-9]{1,18}|r[0-9]{1,4})$"
)
_CURSOR_RE = re.compile(CURSOR_PATTERN)


class SearchError(Exception):
    """A search that cannot run: the message is French and meant for the person searching."""


class SearchTimeout(SearchError):
    pass


@dataclass
class Result:
    kind: str
    section: str
    id: int
    title: str
    snippet: str  # safe HTML: escaped text and <mark> only
    url: str
    created_at: datetime
    author: User | None = None
    group: Group | None = None
    rank: float = 0.0

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class Section:
    kind: str
    label: str
    results: list[Result]
    next_cursor: str | None = None


@dataclass
class Filters:
    kind: str | None = None
    group: int | None = None
    author: int | None = None
    after: date | None = None
    before: date | None = None
    order: str = "newest"
    cursor: str | None = None


@dataclass
class Outcome:
    query: str
    order: str = "newest"
    sections: list[Section] = field(default_factory=list)


# --- Sources: one per kind of row -------------------------------------------------------------


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # an app whose pages are not mounted
        return ""


@dataclass(frozen=True)
class Source:
    code: int  # position in its section (cursor tie-break)
    kind: str
    section: str
    # Visible and live rows, from the owning app's policy, for a viewer and a function giving
    # their readable group ids (groups.policy.readable_group_ids, read at most once a search).
    rows: Callable[[User, Callable[[], ReadableGroups]], QuerySet]
    fields: tuple[str, ...]  # text searched by the substring backend
    snippet_field: str
    present: Callable[[object], dict]
    vector: str | None = "search_vector"
    date: str = "created_at"
    group: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    title_weighted: bool = False  # the first field counts more (Python relevance)
    # A document computed from the row (functional GIN index of search/migrations).
    document: Callable[[], object] | None = None
    # A big table most people see much of: probe the newest rows first (see `_newest`).
    probe: bool = False
    # Rows of a group (group_id): for a viewer who reads few groups and, this owning app's
    # policy says, nothing outside them (an external member), read group by group on the
    # group's index (see `_newest`).
    by_group: Callable[[User], bool] | None = None
    # Long text kept in another table (what a file contains), as an expression on the row:
    # searched by the substring backend (PostgreSQL reads its vector in the stored one), and
    # shown around its first match when the snippet field shows none (backend.long_snippet).
    long_text: Callable[[], object] | None = None


def _post(p: Post) -> dict:
    title = (
        _("Publication de %(author)s dans %(group)s")
        % {"author": p.author.display_name, "group": p.group.name}
        if p.group_id
        else _("Publication de %(author)s") % {"author": p.author.display_name}
    )
    return {"title": title, "url": _url("social:post", p.pk), "author": p.author, "group": p.group}


def _comment(c: Comment) -> dict:
    if c.post_id:
        url, group = _url("social:post", c.post_id), c.post.group
    elif c.file_id:
        url, group = _url("files:detail", c.file_id), None
    else:
        url, group = c.item.meeting.get_absolute_url(), c.item.meeting.group
    return {
        "title": _("Commentaire de %(author)s") % {"author": c.author.display_name},
        "url": f"{url}#commentaire-{c.pk}" if url else "",
        "author": c.author,
        "group": group,
    }


def _file(f: File) -> dict:
    return {"title": f.name, "url": _url("files:detail", f.pk), "author": f.owner}


def _file_text():
    """The text found inside the file's current version (files.texts), or NULL."""
    return Subquery(FileText.objects.filter(version=OuterRef("current_version")).values("text")[:1])


def _message(m: Message) -> dict:
    return {
        "title": _("Message de %(author)s") % {"author": m.author.display_name},
        "url": _url("messaging:conversation", m.conversation_id),
        "author": m.author,
    }


def _meeting(m: Meeting) -> dict:
    return {"title": m.title, "url": m.get_absolute_url(), "author": m.organiser, "group": m.group}


def _item(i: AgendaItem) -> dict:
    return {
        "title": _("Point à l'ordre du jour : %(title)s") % {"title": i.title},
        "url": f"{i.meeting.get_absolute_url()}#point-{i.pk}",
        "author": i.author,
        "group": i.meeting.group,
    }


def _decision(d: Decision) -> dict:
    return {
        "title": _("Décision : %(text)s") % {"text": Truncator(d.text).chars(80)},
        "url": _url("meetings:decision", d.pk),
        "author": d.created_by,
        "group": d.meeting.group,
    }


def _person(u: User) -> dict:
    return {"title": u.display_name, "url": _url("accounts:profile", u.pk)}


def _group(g: Group) -> dict:
    return {"title": g.name, "url": _url("social:group", g.slug), "group": g}


def _contribution(c: Contribution) -> dict:
    return {"title": c.title, "url": _url("consultations:contribution", c.pk)}


def _contribution_document():
    return backend.SearchDocument("title", "body", "place", weights=("A", "B", "C"))


SOURCES: list[Source] = [
    Source(
        0,
        "person",
        "people",
        rows=lambda u, _groups: account_policy.visible_people(u),
        fields=("display_name", "job_title", "department", "expertise", "organisation__name"),
        snippet_field="job_title",
        present=_person,
        vector=None,
        date="date_joined",
        related=("organisation",),
        title_weighted=True,
    ),
    Source(
        0,
        "group",
        "groups",
        rows=lambda u, _groups: group_policy.visible_groups(u),
        fields=("name", "description"),
        snippet_field="description",
        present=_group,
        group=("pk",),
        title_weighted=True,
    ),
    Source(
        0,
        "post",
        "posts",
        rows=lambda u, groups: social_policy.visible_posts(u, group_ids=groups()).filter(
            deleted_at__isnull=True
        ),
        fields=("body",),
        snippet_field="body",
        present=_post,
        probe=True,
        by_group=social_policy.sees_only_own_groups,
        group=("group_id",),
        author=("author_id",),
        related=("author", "group"),
    ),
    Source(
        1,
        "comment",
        "posts",
        rows=lambda u, groups: social_policy.live_comments(u, group_ids=groups()),
        fields=("body",),
        snippet_field="body",
        present=_comment,
        probe=True,
        group=("post__group_id", "item__meeting__group_id"),
        author=("author_id",),
        related=("author", "post__group", "item__meeting__group"),
    ),
    Source(
        0,
        "file",
        "files",
        rows=lambda u, _groups: file_policy.visible_files(u),
        fields=("name", "description"),
        snippet_field="description",
        present=_file,
        date="updated_at",
        author=("owner_id",),
        related=("owner",),
        title_weighted=True,
        long_text=_file_text,
    ),
    Source(
        0,
        "message",
        "messages",
        rows=lambda u, _groups: Message.objects.filter(
            conversation__in=messaging_policy.visible_conversations(u).values("pk"),
            deleted_at__isnull=True,
        ),
        fields=("body",),
        snippet_field="body",
        present=_message,
        author=("author_id",),
        related=("author",),
    ),
    Source(
        0,
        "meeting",
        "meetings",
        rows=lambda u, _groups: meeting_policy.visible_meetings(u),
        fields=("title", "description", "place"),
        snippet_field="description",
        present=_meeting,
        group=("group_id",),
        author=("organiser_id",),
        related=("organiser", "group"),
        title_weighted=True,
    ),
    Source(
        1,
        "item",
        "meetings",
        rows=lambda u, _groups: AgendaItem.objects.filter(
            meeting__in=meeting_policy.visible_meetings(u).values("pk")
        ),
        fields=("title", "description"),
        snippet_field="description",
        present=_item,
        group=("meeting__group_id",),
        author=("author_id",),
        related=("author", "meeting__group"),
        title_weighted=True,
    ),
    Source(
        2,
        "decision",
        "meetings",
        rows=lambda u, _groups: meeting_policy.visible_decisions(u),
        fields=("text",),
        snippet_field="text",
        present=_decision,
        group=("meeting__group_id",),
        author=("created_by_id",),
        related=("created_by", "meeting__group"),
    ),
    Source(
        0,
        "contribution",
        "contributions",
        rows=lambda u, _groups: consultation_policy.visible_contributions(u),
        fields=("title", "body", "place"),
        snippet_field="body",
        present=_contribution,
        vector=None,
        document=_contribution_document,
        title_weighted=True,
    ),
]


SOURCES_BY_KIND = {source.kind: source for source in SOURCES}


def can_search(user: User) -> bool:
    """Everyone signed in searches (what they may see); visitors have no search."""
    return bool(user.is_authenticated and user.is_active)


# --- Cursors ----------------------------------------------------------------------------------


def _encode(created: datetime, code: int, pk: int) -> str:
    return f"{(created - _EPOCH) // timedelta(microseconds=1)}_{code}_{pk}"


def _decode(cursor: str) -> tuple[datetime, int, int] | int:
    """The position part of a cursor (after `<kind>.`)."""
    if cursor.startswith("r"):
        return int(cursor[1:])
    micros, code, pk = cursor.split("_")
    return _EPOCH + timedelta(microseconds=int(micros)), int(code), int(pk)


# --- Matching ---------------------------------------------------------------------------------


def _filtered(
    source: Source, user: User, filters: Filters, groups: Callable[[], ReadableGroups]
) -> QuerySet | None:
    """The source's visible rows with the group and author filters (None: the source has no
    group or no author, so a filter on them leaves it out)."""
    rows = source.rows(user, groups)
    if filters.group is not None:
        if not source.group:
            return None
        condition = Q()
        for path in source.group:
            condition |= Q(**{path: filters.group})
        rows = rows.filter(condition)
    if filters.author is not None:
        if not source.author:
            return None
        rows = rows.filter(**{source.author[0]: filters.author})
    return rows


def _window(source: Source, filters: Filters, cursor: tuple[datetime, int, int] | None) -> Q:
    """The dates asked for, and what comes after the cursor: a condition on the date alone
    (and the id), which the probe applies to the whole table as well."""
    d = source.date
    window = Q()
    tz = timezone.get_current_timezone()
    # Clamped far from year 1 and 9999, where a time zone shift leaves Python's range.
    if filters.after is not None:
        start = datetime.combine(max(filters.after, _FIRST_DAY), time.min, tzinfo=tz)
        window &= Q(**{f"{d}__gte": start})
    if filters.before is not None:
        last = min(max(filters.before, _FIRST_DAY), _LAST_DAY)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
        window &= Q(**{f"{d}__lt": end})
    if cursor is not None:
        moment, code, pk = cursor
        if source.code > code:
            window &= Q(**{f"{d}__lte": moment})
        elif source.code < code:
            window &= Q(**{f"{d}__lt": moment})
        else:
            window &= Q(**{f"{d}__lte": moment}) & (
                Q(**{f"{d}__lt": moment}) | Q(**{d: moment, "pk__lt": pk})
            )
    return window


def _match(source: Source, rows: QuerySet, terms: Terms, *, indexed: bool = True) -> QuerySet:
    """Rows matching `terms`; `indexed=False`: checked row by row on rows found otherwise
    (the date index), never through the GIN index (see `_newest`)."""
    if source.document is not None and backend.is_full_text():
        if "_document" not in rows.query.annotations:
            rows = rows.alias(_document=source.document())
        return backend.matching(rows, terms, fields=source.fields, vector="_document")
    fields = source.fields
    if source.long_text is not None and not backend.is_full_text():
        if "_long_text" not in rows.query.annotations:
            rows = rows.alias(_long_text=source.long_text())
        fields = (*fields, "_long_text")
    return backend.matching(rows, terms, fields=fields, vector=source.vector, indexed=indexed)


def _keys(qs: QuerySet, source: Source, limit: int, extra: tuple[str, ...] = ()) -> list[tuple]:
    order = (f"-{source.date}", "-pk")
    return list(qs.order_by(*order).values_list(source.date, "pk", *extra)[:limit])


@dataclass(frozen=True)
class Probe:
    """What `_probe` found (see there)."""

    read: int
    oldest: datetime | None
    checked: int
    seen: int
    sampled: int
    sampled_hits: int
    size: float  # rows in the table, about


def _probe(source: Source, rows: QuerySet, terms: Terms, window: Q, limit: int) -> Probe | None:
    """What the table says of the query, in one query:
    - the PROBE newest rows of the window (on the date index, whoever may see them): how many
      were read, the date of the oldest, how many of the newest matches were checked
      (`max(CHECKED, 2 * limit)` at most) and how many of those the viewer may see (`rows`, the
      policy's conditions, checked row by row on the primary key);
    - unless those rows settle the choice already (`_settled`), a sample of the whole table,
      SAMPLE_PAGES pages drawn at random with a fixed seed (TABLESAMPLE SYSTEM … REPEATABLE:
      the same search on the same table reads the same way every time): how many rows were
      read and how many match — how common the words are, where the newest rows may say
      otherwise (a word of the day) — and, from the table's size on disk, about how many
      rows it holds. No statistics needed: a table never analysed gives the same answers."""
    d = source.date
    model = source_model(source)
    table = connection.ops.quote_name(model._meta.db_table)
    newest = (
        model.objects.filter(window)
        .annotate(_hit=backend.match_condition(terms))
        .order_by(f"-{d}", "-pk")
        .values(d, "pk", "_hit")[:PROBE]
    )
    # A lateral subquery with its own LIMIT runs once per match, on the primary key: never
    # the whole visible set hashed first (what PostgreSQL may do with an EXISTS).
    visible = rows.filter(pk=RawSQL('"e"."pk"', ())).values("pk")[:1]
    try:
        newest_sql, newest_params = newest.query.sql_with_params()
        visible_sql, visible_params = visible.query.sql_with_params()
    except EmptyResultSet:  # the viewer may see none of these rows (a citizen's posts)
        return None
    matched_sql, matched_params = backend.stored_match_sql(terms)
    with connection.cursor() as cursor:
        # Names are the model's own (constants); the values are parameters. The sample's
        # condition holds no column: PostgreSQL tests it once, and reads no page when false.
        cursor.execute(
            f"WITH probe AS ({newest_sql}), "  # noqa: S608
            "checked AS (SELECT h.pk FROM probe h WHERE h._hit LIMIT %s), "
            "found AS (SELECT (SELECT count(*) FROM probe) AS probe_read, "
            f'(SELECT min("{d}") FROM probe) AS probe_oldest, '
            "(SELECT count(*) FROM checked) AS probe_checked, "
            f"(SELECT count(*) FROM checked e CROSS JOIN LATERAL ({visible_sql}) v) "
            "AS probe_seen), "
            "pages AS (SELECT greatest(pg_relation_size(%s::regclass) "
            "/ current_setting('block_size')::int, 1) AS n), "
            f"sample AS (SELECT {matched_sql} AS hit FROM {table} TABLESAMPLE SYSTEM "
            "((SELECT least(100, 100.0 * %s / n) FROM pages)) REPEATABLE (%s) "
            "WHERE (SELECT NOT (probe_read < %s OR probe_seen >= %s) FROM found)) "
            "SELECT probe_read, probe_oldest, probe_checked, probe_seen, "
            "(SELECT count(*) FROM sample), (SELECT count(*) FROM sample WHERE hit), "
            "(SELECT n FROM pages) FROM found",
            [
                *newest_params,
                max(CHECKED, 2 * limit),
                *visible_params,
                table,
                *matched_params,
                SAMPLE_PAGES,
                SAMPLE_SEED,
                PROBE,
                limit,
            ],
        )
        read, oldest, checked, seen, sampled, sampled_hits, pages = cursor.fetchone()
    # Each page was sampled with this probability: the table holds about this many rows.
    size = sampled * pages / min(pages, SAMPLE_PAGES)
    return Probe(read, oldest, checked, seen, sampled, sampled_hits, size)


def _settled(read: int, seen: int, limit: int) -> bool:
    """The newest rows alone decide: they are the whole window (fewer than PROBE), or the
    viewer sees a page among them. Reading only them otherwise would cut the results at the
    PROBE-th row. `_probe` repeats this condition in SQL to skip its sample."""
    return read < PROBE or seen >= limit


def _strategy(probe: Probe, limit: int) -> str:
    """How to read a page of `limit` rows after `probe`:
    - "recent": among the rows probed, newest first, the words checked row by row — they
      hold the page (a common word the viewer sees much of), or they are the whole window;
    - "scan": the whole window newest first, row by row — when the page fills before the
      rows read outnumber the matches of the GIN index (a common word the viewer sees a
      small share of: an external member's groups);
    - "index": the GIN index's matches, sorted by date — a rare word, or one the viewer
      sees too little of for a scan to end soon.
    The planner cannot make this choice itself: it has no statistics below the most common
    lexemes (a rare word looks common to it), none for the policy's conditions, and it
    then reads the whole date index for a rare word or sorts half a table for a common one.
    """
    if _settled(probe.read, probe.seen, limit):
        return "recent"
    share = probe.sampled_hits / max(probe.sampled, 1)  # of the rows, matching
    # Of the newest matches, visible (none seen among those checked: half of one).
    visible = max(probe.seen, 0.5) / max(probe.checked, 1)
    scanned = limit / max(share * visible, 1e-9)
    matches = share * max(probe.size, probe.read)  # in the whole table
    return "scan" if scanned <= GIN_MATCH_COST * matches else "index"


RowsFor = Callable[[ReadableGroups], QuerySet]


def _rows_for(
    source: Source, user: User, filters: Filters, rank: Callable[[], object] | None = None
) -> RowsFor | None:
    """The source's rows as `_filtered` gives them (ranked by `rank()` if given), for a part
    of the viewer's readable groups: when the owning app's policy says the viewer reads
    nothing outside their groups (`Source.by_group`); None otherwise."""
    if source.by_group is None or not source.by_group(user):
        return None

    def rows_for(part: ReadableGroups) -> QuerySet:
        rows = _filtered(source, user, filters, lambda: part)
        return rows if rank is None else rows.annotate(_rank=rank())

    return rows_for


def _by_group(
    rows_for: RowsFor | None, groups: Callable[[], ReadableGroups]
) -> list[QuerySet] | None:
    """The viewer's rows group by group (`rows_for`, see there), when they read few groups;
    None otherwise (one read of the whole table)."""
    if rows_for is None:
        return None
    readable = groups()
    if not readable.ids or len(readable.ids) > FEW_GROUPS:
        return None
    return [rows_for(readable.only(pk)) for pk in readable.ids]


def _newest(
    source: Source,
    rows: QuerySet,
    terms: Terms,
    limit: int,
    window: Q,
    extra: tuple[str, ...] = (),
    *,
    groups: Callable[[], ReadableGroups],
    rows_for: RowsFor | None = None,
) -> list[tuple]:
    """Up to `limit` matching rows in `window`, newest first, as (date, pk, *extra) tuples.

    For the big tables (`probe`), on PostgreSQL, always two queries: the probe (`_probe`),
    then the page read as `_strategy` says. Visibility is the same `rows` queryset, from the
    owning app's policy, in both."""
    if not (source.probe and backend.is_full_text()):
        return _keys(_match(source, rows.filter(window), terms), source, limit, extra)
    d = source.date
    probe = _probe(source, rows, terms, window, limit)
    if probe is None or not probe.read:  # nothing visible, or an empty window
        return []
    strategy = _strategy(probe, limit)
    if strategy == "recent":
        recent = rows.filter(window & Q(**{f"{d}__gte": probe.oldest}))
        return _keys(_match(source, recent, terms, indexed=False), source, limit, extra)
    if strategy == "scan":
        pieces = _by_group(rows_for, groups)
        if not pieces:
            everywhere = rows.filter(window)
            return _keys(_match(source, everywhere, terms, indexed=False), source, limit, extra)
        # Each group newest first on its own index, merged by PostgreSQL (Merge Append).
        order = (f"-{d}", "-pk")
        pieces = [
            _match(source, piece.filter(window), terms, indexed=False)
            .order_by(*order)
            .values_list(d, "pk", *extra)[:limit]
            for piece in pieces
        ]
        if len(pieces) == 1:
            return list(pieces[0])
        return list(pieces[0].union(*pieces[1:], all=True).order_by(*order)[:limit])
    # The date plus nothing: an order no index gives, so that PostgreSQL sorts the matches
    # of the GIN index instead of reading the date index until it finds them.
    by_date = ExpressionWrapper(F(d) + Value(timedelta(0)), output_field=DateTimeField())
    found = _match(source, rows.filter(window), terms).order_by(by_date.desc(), "-pk")
    return list(found.values_list(d, "pk", *extra)[:limit])


def _details(source: Source, keys: list[int], terms: Terms) -> dict[int, object]:
    """The rows of a page with what they show, and their highlighted snippet: one query."""
    if not keys:
        return {}
    qs = source_model(source).objects.filter(pk__in=keys).select_related(*source.related)
    marked = backend.headline(terms, source.snippet_field)
    if marked is not None:
        qs = qs.annotate(_headline=marked)
    if source.long_text is not None:  # highlighted in Python, around the first match only
        qs = qs.annotate(_long_text=source.long_text())
    return {row.pk: row for row in qs}


_MODELS = {
    "person": User,
    "group": Group,
    "post": Post,
    "comment": Comment,
    "file": File,
    "message": Message,
    "meeting": Meeting,
    "item": AgendaItem,
    "decision": Decision,
    "contribution": Contribution,
}


def source_model(source: Source):
    return _MODELS[source.kind]


def _result(source: Source, row, terms: Terms, rank: float = 0.0) -> Result:
    shown = source.present(row)
    text = getattr(row, source.snippet_field) or ""
    snippet = backend.snippet(row, "_headline", text, terms) if text else ""
    if source.long_text is not None and "<mark>" not in snippet:
        # Matched inside the long text (the row itself passed its app's policy already).
        inside = backend.long_snippet(getattr(row, "_long_text", None) or "", terms)
        if "<mark>" in inside:
            snippet = inside
    return Result(
        kind=source.kind,
        section=source.section,
        id=row.pk,
        title=shown["title"],
        snippet=snippet,
        url=shown["url"],
        created_at=getattr(row, source.date),
        author=shown.get("author"),
        group=shown.get("group"),
        rank=rank,
    )


def _python_rank(source: Source, row, terms: Terms) -> float:
    """Relevance without full text: occurrences of the words, the title counting triple, the
    long text (what a file contains) at most one occurrence's worth."""
    texts = [
        backend.fold(str(getattr(row, name.split("__")[0], "") or "")) for name in source.fields
    ]
    score = 0.0
    for n, text in enumerate(texts):
        weight = 3.0 if n == 0 and source.title_weighted else 1.0
        score += weight * sum(text.count(w) for w in terms.words)
    if source.long_text is not None:
        score += 0.2 * backend.occurrences(getattr(row, "_long_text", None) or "", terms, 5)
    return score


# --- Sections ---------------------------------------------------------------------------------


def _section_newest(
    sources: list[Source],
    user: User,
    terms: Terms,
    filters: Filters,
    size: int,
    groups: Callable[[], ReadableGroups],
) -> Section:
    cursor = _decode(filters.cursor) if filters.cursor else None
    if isinstance(cursor, int):
        raise SearchError(_("Page de résultats invalide."))
    keyed: list[tuple[datetime, int, int, Source]] = []
    for source in sources:
        rows = _filtered(source, user, filters, groups)
        if rows is None:
            continue
        window = _window(source, filters, cursor)
        rows_for = _rows_for(source, user, filters)
        for moment, pk in _newest(
            source, rows, terms, size + 1, window, groups=groups, rows_for=rows_for
        ):
            keyed.append((moment, source.code, pk, source))
    keyed.sort(key=lambda k: (-k[0].timestamp(), k[1], -k[2]))
    more = len(keyed) > size
    page = keyed[:size]
    results = _materialise([(s, pk, 0.0) for _m, _c, pk, s in page], terms)
    last = page[-1] if page else None
    return Section(
        kind=sources[0].section,
        label=str(SECTIONS[sources[0].section]),
        results=results,
        next_cursor=(
            f"{sources[0].section}.{_encode(last[0], last[1], last[2])}" if more and last else None
        ),
    )


def _section_relevance(
    sources: list[Source],
    user: User,
    terms: Terms,
    filters: Filters,
    size: int,
    groups: Callable[[], ReadableGroups],
) -> Section:
    cursor = _decode(filters.cursor) if filters.cursor else 0
    if not isinstance(cursor, int):
        raise SearchError(_("Page de résultats invalide."))
    offset = cursor
    scored: list[tuple[float, datetime, int, Source]] = []
    for source in sources:
        rows = _filtered(source, user, filters, groups)
        if rows is None:
            continue
        window = _window(source, filters, None)
        if backend.is_full_text():
            vector = "_document" if source.document is not None else source.vector
            if vector is None:  # no full text for this source (people): newest first
                ranked = [
                    (m, pk, 0.0)
                    for m, pk in _newest(source, rows, terms, CANDIDATES, window, groups=groups)
                ]
            else:
                if source.document is not None:
                    rows = rows.alias(_document=source.document())
                rank = functools.partial(backend.rank, terms, vector)
                rows = rows.annotate(_rank=rank())
                ranked = _newest(
                    source,
                    rows,
                    terms,
                    CANDIDATES,
                    window,
                    extra=("_rank",),
                    groups=groups,
                    rows_for=_rows_for(source, user, filters, rank)
                    if source.document is None
                    else None,
                )
            scored += [(float(r), m, pk, source) for m, pk, r in ranked]
        else:
            keys = _newest(source, rows, terms, CANDIDATES, window, groups=groups)
            candidates = (
                source_model(source)
                .objects.filter(pk__in=[pk for _m, pk in keys])
                .select_related(*source.related)
            )
            if source.long_text is not None:
                candidates = candidates.annotate(_long_text=source.long_text())
            rows_by_pk = {row.pk: row for row in candidates}
            scored += [
                (_python_rank(source, rows_by_pk[pk], terms), m, pk, source)
                for m, pk in keys
                if pk in rows_by_pk
            ]
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), s[3].code, -s[2]))
    page = scored[offset : offset + size]
    more = len(scored) > offset + size
    results = _materialise([(s, pk, r) for r, _m, pk, s in page], terms)
    return Section(
        kind=sources[0].section,
        label=str(SECTIONS[sources[0].section]),
        results=results,
        next_cursor=(
            f"{sources[0].section}.r{offset + size}" if more and offset + size < 10_000 else None
        ),
    )


def _materialise(page: list[tuple[Source, int, float]], terms: Terms) -> list[Result]:
    """One detail query per source present on the page, in the page's order."""
    by_source: dict[str, list[int]] = {}
    for source, pk, _r in page:
        by_source.setdefault(source.kind, []).append(pk)
    sources = {source.kind: source for source, _pk, _r in page}
    rows = {kind: _details(sources[kind], pks, terms) for kind, pks in by_source.items()}
    return [
        _result(source, rows[source.kind][pk], terms, rank)
        for source, pk, rank in page
        if pk in rows[source.kind]
    ]


def _limit_search() -> tuple[str, str] | None:
    """The search's time limit, and no JIT compilation: the policy's correlated subqueries make
    PostgreSQL's cost estimates large enough to compile a query (up to seconds) that runs in
    a few milliseconds. Both for the current transaction only; returns the values they had,
    for a search that runs inside its caller's transaction to put back (`_unlimit_search`)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # The old values are read (materialised) before the new ones are set.
        cursor.execute(
            "WITH before AS MATERIALIZED (SELECT current_setting('statement_timeout') AS t, "
            "current_setting('jit') AS j) "
            "SELECT t, j, set_config('statement_timeout', %s, true), "
            "set_config('jit', 'off', true) FROM before",
            [str(int(getattr(settings, "SEARCH_STATEMENT_TIMEOUT_MS", STATEMENT_TIMEOUT_MS)))],
        )
        timeout, jit, *_set = cursor.fetchone()
    return timeout, jit


def _unlimit_search(before: tuple[str, str] | None) -> None:
    if before is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true), set_config('jit', %s, true)",
                list(before),
            )


def search(user: User, text: str, filters: Filters | None = None) -> Outcome:
    """What `user` may see that matches `text`: one section per kind (PREVIEW_SIZE results
    each), or one kind with a full page and a cursor to the next."""
    filters = filters or Filters()
    if not can_search(user):
        return Outcome(query=text or "")
    try:
        terms = backend.parse(text)
    except NoWord:
        return Outcome(query=text.strip())
    except InvalidQuery:
        raise SearchError(
            _("Saisissez un ou plusieurs mots (%(max)d caractères au plus).")
            % {"max": backend.QUERY_MAX_LENGTH}
        ) from None
    if filters.kind is not None and filters.kind not in SECTIONS:
        raise SearchError(_("Type de résultat inconnu."))
    if filters.order not in ORDERS:
        raise SearchError(_("Ordre inconnu : « newest » ou « relevance »."))
    if filters.cursor:
        if not _CURSOR_RE.fullmatch(filters.cursor):
            raise SearchError(_("Page de résultats invalide."))
        kind, position = filters.cursor.split(".", 1)
        order = "relevance" if position.startswith("r") else "newest"
        filters = replace(filters, kind=kind, order=order, cursor=position)
    if filters.after and filters.before and filters.after > filters.before:
        return Outcome(query=terms.text)  # an empty range holds nothing
    kinds = [filters.kind] if filters.kind else list(SECTIONS)
    size = PAGE_SIZE if filters.kind else PREVIEW_SIZE
    run = _section_relevance if filters.order == "relevance" else _section_newest
    outcome = Outcome(query=terms.text, order=filters.order)
    # The viewer's readable groups, read once (inside the transaction) by the first source
    # that needs them: the big tables then filter on a plain list of ids.
    groups = functools.cache(lambda: group_policy.readable_group_ids(user))
    # Inside a caller's transaction the search is a savepoint: its limits are put back when
    # it ends (a failed search's savepoint, rolled back, takes them back by itself), so the
    # caller never keeps the short time limit or JIT off for the rest of its transaction.
    nested = connection.in_atomic_block
    try:
        with transaction.atomic():
            before = _limit_search()
            for kind in kinds:
                sources = [s for s in SOURCES if s.section == kind]
                section = run(sources, user, terms, filters, size, groups)
                if section.results or filters.kind:
                    outcome.sections.append(section)
            if nested:
                _unlimit_search(before)
    except DatabaseError as error:
        if _is_timeout(error):
            raise SearchTimeout(
                _(
                    "La recherche a pris trop de temps et a été interrompue. "
                    "Précisez-la : ajoutez un mot, un type de résultat, un groupe ou des dates."
                )
            ) from None
        raise
    return outcome


def _is_timeout(error: DatabaseError) -> bool:
    cause = getattr(error, "__cause__", None)
    return getattr(cause, "sqlstate", None) == "57014"  # query_canceled
