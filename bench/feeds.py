"""Feeds at scale: 2,000 people, 300 groups, 200,000 posts, 1,000,000 comments and reactions.

The rows are generated in Python (French sentences, authors who are members of their group,
mentions and topics in the text, dates over two years with ids in date order) and sent to
PostgreSQL with COPY through psycopg's copy protocol: a few seconds per million rows. The
accounts the benchmark signs in with go through `accounts.services.create_user`, like the
directory benchmark. Without PostgreSQL (SQLite fallback) the same rows go through
`executemany`, at a twentieth of the size.

Then the home feed and a group feed are timed for a staff member who belongs to (and so
follows) 20 groups and for a start-up member, through the HTML page, the API and the selector
alone, on the first page and on page 51 (a cursor reached by walking 50 pages).
"""

import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.models import Organisation, User
from bench.pages import Measure, measure, measure_call
from bench.seed import Seeder
from groups.models import Group, Membership
from social import selectors
from social.models import (
    Bookmark,
    Comment,
    Follow,
    PollOption,
    PollVote,
    Post,
    Reaction,
    Topic,
)

DEEP_PAGES = 50  # the deep page is the 51st: after 50 clicks on « Charger plus »
PAGE_SIZE = selectors.PAGE_SIZE
TARGET_P95 = 0.050
TARGET_QUERIES = 12
VIEWER_GROUPS = 20


@dataclass(frozen=True)
class Scale:
    staff: int = 1_299  # + the staff viewer
    elected: int = 100
    external: int = 499  # + the external viewer
    citizens: int = 100
    organisations: int = 60
    public: int = 150
    private: int = 100
    unlisted: int = 20
    open_to_external: int = 30  # private groups open to start-ups and partners
    posts: int = 200_000
    comments: int = 400_000
    post_reactions: int = 500_000
    comment_reactions: int = 100_000
    bookmarks: int = 20_000
    topics: int = 60
    days: int = 730

    def shrunk(self, factor: int) -> "Scale":
        """The same people and groups with `factor` times fewer posts, comments and reactions."""
        large = ("posts", "comments", "post_reactions", "comment_reactions", "bookmarks")
        return replace(self, **{name: getattr(self, name) // factor for name in large})


FULL = Scale()
PROFILE_POST_SHARE = 0.04
DELETED_SHARE = 0.01
EDITED_SHARE = 0.03
TOPIC_SHARE = 0.30
MENTION_SHARE = 0.08
KIND_WEIGHTS = {
    Post.Kind.PLAIN: 0.88,
    Post.Kind.QUESTION: 0.05,
    Post.Kind.ANNOUNCEMENT: 0.03,
    Post.Kind.POLL: 0.04,
}
REACTION_WEIGHTS = {"like": 0.8, "thumbs_up": 0.06, "heart": 0.05, "party": 0.04, "eyes": 0.03}
REACTION_WEIGHTS["check"] = 0.02
# Group popularity follows a Zipf-like law: the busiest group holds ~9 % of the posts.
POPULARITY_EXPONENT = 0.8

TOPIC_NAMES = [
    "cloud",
    "implantation",
    "emploi",
    "export",
    "innovation",
    "foncier",
    "recrutement",
    "financement",
    "industrie",
    "energie",
    "mobilite",
    "tourisme",
    "numerique",
    "commerce",
    "formation",
    "salons",
    "startups",
    "agroalimentaire",
    "sante",
    "logistique",
    "batiment",
    "ess",
    "ia",
    "cybersecurite",
    "hydrogene",
    "circuits-courts",
    "centre-ville",
    "artisanat",
    "apprentissage",
    "subventions",
]
GROUP_THEMES = [
    "Salon",
    "Zone d'activité",
    "Filière",
    "Club d'entreprises",
    "Projet",
    "Comité",
    "Réseau",
    "Programme",
    "Délégation",
    "Atelier",
]
SENTENCES = [
    "Compte rendu de la réunion de ce matin avec les partenaires du projet.",
    "Le dossier de subvention est déposé, réponse attendue dans six semaines.",
    "Trois entreprises ont confirmé leur venue sur le stand régional.",
    "La visite du site est calée jeudi à 10 h, rendez-vous devant l'accueil.",
    "Le prospect demande un bâtiment de 5 000 m² avec une réserve foncière.",
    "Quelqu'un a le contact du service urbanisme de la commune ?",
    "Le comité de pilotage valide le calendrier proposé.",
    "Nous recrutons deux techniciens de maintenance en CDI.",
    "La CCI organise un atelier sur l'export le mois prochain.",
    "Les chiffres du trimestre sont en ligne dans l'onglet Fichiers.",
    "Merci à tous pour votre présence à la matinale d'hier.",
    "Le cahier des charges est prêt, vos remarques sont bienvenues avant vendredi.",
    "L'appel à projets ferme dans quinze jours, pensez à vos dossiers.",
    "La start-up a levé 1,2 million d'euros auprès de business angels du territoire.",
    "Le chantier de viabilisation avance, la voirie sera terminée au printemps.",
    "Rappel : la permanence juridique a lieu tous les mardis matin.",
    "Le bureau d'études rend son rapport à la fin du mois.",
    "Les élus souhaitent un point d'étape avant le prochain conseil.",
    "Nouvelle implantation confirmée : 35 emplois créés d'ici deux ans.",
    "La fibre arrive sur la zone, les raccordements commencent en juin.",
    "Je partage la présentation faite aux investisseurs.",
    "Le salon a attiré plus de 4 000 visiteurs professionnels cette année.",
    "Bonne nouvelle : le permis de construire est accordé.",
    "Qui peut me remplacer à la réunion de jeudi après-midi ?",
    "Le webinaire est disponible en replay pour ceux qui l'ont manqué.",
    "Les candidatures pour la prochaine promotion de l'incubateur sont ouvertes.",
    "Le transporteur cherche un terrain d'un hectare près de l'échangeur.",
    "Le forum de l'emploi aura lieu au parc des expositions.",
    "La convention de partenariat est signée pour trois ans.",
    "Point d'attention : les délais de livraison des modules s'allongent.",
]
COMMENT_SENTENCES = [
    "Merci pour le partage !",
    "Bien noté, je m'en occupe.",
    "Très bonne nouvelle, bravo à l'équipe.",
    "Je peux être présent, dites-moi l'horaire.",
    "On en parle à la prochaine réunion ?",
    "Je transmets au service concerné.",
    "Le document est à jour dans l'onglet Fichiers.",
    "D'accord avec cette proposition.",
    "Est-ce que le budget est validé ?",
    "Je relance le prospect demain matin.",
    "Super, merci pour l'info.",
    "Attention au calendrier, c'est serré.",
]
POLL_OPTIONS = ["Mardi matin", "Jeudi après-midi", "Vendredi matin", "La semaine suivante"]


# --- Results -------------------------------------------------------------------------------


@dataclass
class Row:
    viewer: str
    feed: str
    through: str
    page: str
    measure: Measure | None = None
    posts: int | None = None
    note: str = ""
    path: str = ""
    headers: dict[str, str] | None = None
    client: Client | None = field(default=None, repr=False)
    # PostgreSQL's own time for the request's queries: planning + execution, best of three.
    sql_ms: float | None = None


@dataclass
class Plan:
    label: str
    sql: str
    plan: str
    query_ms: float


@dataclass
class FeedResults:
    scale: Scale
    data: dict[str, int]
    seed_seconds: dict[str, float]
    rows: list[Row] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    viewer_groups: dict[str, str] = field(default_factory=dict)
    deep_page: int = DEEP_PAGES + 1
    vendor: str = ""
    # (suggestion, its state, the API rows measured again with it and the ones before)
    what_if: list[tuple["Suggestion", str, list[Row]]] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    """A change this benchmark proposes, tried on the throwaway database before proposing it."""

    label: str
    apply: str
    undo: str
    already: str  # SQL answering a row when the change is already in place


SUGGESTIONS = [
    Suggestion(
        label="a partial index on announcements (the pinned ones of a group feed)",
        apply=(
            "CREATE INDEX post_pinned ON social_post (group_id, pinned_until) "
            "WHERE kind = 'announcement' AND deleted_at IS NULL"
        ),
        undo="DROP INDEX post_pinned",
        already=(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'social_post' "
            "AND indexdef LIKE '%announcement%'"
        ),
    ),
    Suggestion(
        label="no parallel workers for these short queries (`max_parallel_workers_per_gather = 0`)",
        apply="SET max_parallel_workers_per_gather = 0",
        undo="RESET max_parallel_workers_per_gather",
        already="SELECT 1 WHERE current_setting('max_parallel_workers_per_gather') = '0'",
    ),
]


# --- Seeding -------------------------------------------------------------------------------


class FeedSeeder:
    """Fills an empty database with a social network of `scale` size, in bulk."""

    def __init__(self, scale: Scale, seed: int = 20261123) -> None:
        self.scale = scale
        self.random = random.Random(seed)
        self.now = timezone.now()
        self.timings: dict[str, float] = {}
        self.people = Seeder(seed=seed)

    def _timed(self, label: str, started: float) -> None:
        self.timings[label] = self.timings.get(label, 0.0) + time.perf_counter() - started

    # The people and the groups: small, through the ORM.

    def seed_people_and_groups(self) -> tuple[User, User]:
        started = time.perf_counter()
        s, rnd = self.scale, self.random
        self.people._add_organisations(s.organisations)
        crowd = (
            [self.people._person(User.Kind.STAFF) for _ in range(s.staff)]
            + [self.people._person(User.Kind.ELECTED) for _ in range(s.elected)]
            + [self.people._person(User.Kind.EXTERNAL) for _ in range(s.external)]
            + [self.people._person(User.Kind.CITIZEN) for _ in range(s.citizens)]
        )
        rnd.shuffle(crowd)
        with transaction.atomic():
            users = User.objects.bulk_create(crowd, batch_size=2000)
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in users],
                batch_size=2000,
            )
        staff_viewer = self.people.create_viewer(User.Kind.STAFF, display_name="Agnès Banc-d'Essai")
        startup = Organisation.objects.filter(type=Organisation.Type.STARTUP).first()
        external_viewer = self.people.create_viewer(
            User.Kind.EXTERNAL,
            display_name="Ernest Banc-d'Essai",
            organisation=startup,
            job_title="Fondateur",
        )
        self.handles = dict(User.objects.values_list("pk", "handle"))
        by_kind: dict[str, list[int]] = {}
        for pk, kind in User.objects.values_list("pk", "kind"):
            by_kind.setdefault(kind, []).append(pk)
        # The crowd, without the two viewers: they join exactly the groups chosen for them.
        viewers = {staff_viewer.pk, external_viewer.pk}
        self.staff = sorted(set(by_kind[User.Kind.STAFF]) - viewers)
        self.internal = sorted(self.staff + by_kind[User.Kind.ELECTED])
        self.external = sorted(set(by_kind[User.Kind.EXTERNAL]) - viewers)

        self._groups(staff_viewer, external_viewer)
        self._topics()
        self._follows(staff_viewer)
        self._timed("people, groups, memberships and follows", started)
        return staff_viewer, external_viewer

    def _groups(self, staff_viewer: User, external_viewer: User) -> None:
        s, rnd = self.scale, self.random
        kinds = (
            ["public"] * s.public
            + ["private"] * s.private
            + ["unlisted"] * s.unlisted
            + ["open"] * s.open_to_external
        )
        rnd.shuffle(kinds)
        # Rank 0 is the busiest group. The staff viewer's measured group is the busiest
        # (public); the external viewer's two groups are busy enough for 51 pages of home feed.
        for rank, kind in ((0, "public"), (4, "open"), (14, "open")):
            other = next(i for i, k in enumerate(kinds) if k == kind and i not in (0, 4, 14))
            kinds[rank], kinds[other] = kinds[other], kinds[rank]
        groups = []
        for rank, kind in enumerate(kinds):
            theme = GROUP_THEMES[rank % len(GROUP_THEMES)]
            topic = TOPIC_NAMES[rank % len(TOPIC_NAMES)].replace("-", " ")
            groups.append(
                Group(
                    name=f"{theme} {topic} {rank + 1}",
                    slug=f"groupe-{rank + 1}",
                    description=self.people.fake.sentence(nb_words=18),
                    visibility=Group.Visibility.PRIVATE if kind == "open" else kind,
                    open_to_external=kind == "open",
                    charter="Bienveillance et confidentialité." if kind == "open" else "",
                    created_by_id=rnd.choice(self.staff),
                    created_at=self.now - timedelta(days=s.days + rnd.randint(1, 200)),
                )
            )
        groups = Group.objects.bulk_create(groups)
        self.groups = [g.pk for g in groups]
        self.group_kinds = kinds
        self.popularity = [(rank + 1) ** -POPULARITY_EXPONENT for rank in range(len(groups))]

        members: list[list[int]] = []
        for kind in kinds:
            internal = rnd.sample(self.internal, min(len(self.internal), rnd.randint(8, 60)))
            if kind == "open":
                internal = internal[: rnd.randint(3, 8)]
            members.append(internal)
        open_ranks = [rank for rank, kind in enumerate(kinds) if kind == "open"]
        for pk in self.external:  # every start-up member in one or two open groups
            for rank in rnd.sample(open_ranks, rnd.choice((1, 1, 2))):
                members[rank].append(pk)
        others = [r for r, k in enumerate(kinds) if r and k != "open"]
        viewer_ranks = [0, *rnd.sample(others, VIEWER_GROUPS - 1)]
        self.staff_viewer_groups = viewer_ranks
        for rank in viewer_ranks:
            if staff_viewer.pk not in members[rank]:
                members[rank].append(staff_viewer.pk)
        for rank in (4, 14):
            members[rank].append(external_viewer.pk)
        self.members = [list(dict.fromkeys(m)) for m in members]

        rows = []
        for rank, people in enumerate(self.members):
            for position, pk in enumerate(people):
                role = "owner" if position == 0 else "manager" if position < 3 else "member"
                rows.append(
                    Membership(
                        group_id=self.groups[rank],
                        user_id=pk,
                        role=role,
                        joined_at=groups[rank].created_at + timedelta(days=rnd.randint(0, 60)),
                        charter_accepted_at=self.now if kinds[rank] == "open" else None,
                    )
                )
        Membership.objects.bulk_create(rows, batch_size=5000)

    def _topics(self) -> None:
        names = TOPIC_NAMES + [f"{n}-{i}" for i in range(2, 4) for n in TOPIC_NAMES]
        topics = Topic.objects.bulk_create(Topic(name=n) for n in names[: self.scale.topics])
        self.topics = [(t.pk, t.name) for t in topics]
        # A few topics are much more used than the others.
        self.topic_weights = [(i + 1) ** -1.0 for i in range(len(self.topics))]

    def _follows(self, staff_viewer: User) -> None:
        rnd = self.random
        pairs: set[tuple[str, int, int]] = set()
        for rank, people in enumerate(self.members):  # members follow their groups
            pairs.update(("group", pk, self.groups[rank]) for pk in people)
        public = [r for r, k in enumerate(self.group_kinds) if k == "public"]
        for pk in self.internal:
            if pk == staff_viewer.pk:
                continue
            for rank in rnd.sample(public, rnd.randint(0, 4)):
                pairs.add(("group", pk, self.groups[rank]))
            for other in rnd.sample(self.internal, rnd.randint(0, 3)):
                if other != pk:
                    pairs.add(("user", pk, other))
            for topic, _name in rnd.sample(self.topics, rnd.randint(0, 2)):
                pairs.add(("topic", pk, topic))
        # The staff viewer: 20 groups (as a member), 5 colleagues and 3 topics.
        for other in rnd.sample(self.staff, 6)[:5]:
            if other != staff_viewer.pk:
                pairs.add(("user", staff_viewer.pk, other))
        for topic, _name in self.topics[:3]:
            pairs.add(("topic", staff_viewer.pk, topic))
        Follow.objects.bulk_create(
            [
                Follow(follower_id=pk, **{f"{target}_id": value})
                for target, pk, value in sorted(pairs)
            ],
            batch_size=5000,
        )

    # The conversation: large, through COPY.

    def seed_posts(self) -> None:
        started = time.perf_counter()
        s, rnd = self.scale, self.random
        n = s.posts
        kinds = list(KIND_WEIGHTS)
        groups_of = rnd.choices(range(len(self.groups)), weights=self.popularity, k=n)
        kinds_of = rnd.choices(kinds, weights=list(KIND_WEIGHTS.values()), k=n)
        span = s.days * 86400
        # Sorted, so that ids follow dates as they do in real life.
        ages = sorted((rnd.uniform(60, span) for _ in range(n)), reverse=True)
        self.post_group: list[int | None] = []  # rank of the group, None for a profile post
        self.post_author: list[int] = []
        self.post_time: list[datetime] = []
        self.post_kind: list[str] = []
        self.post_deleted: list[bool] = []
        topic_rows, mention_rows_by_index = [], []
        profile_url = reverse("accounts:profile", args=[0]).replace("/0/", "/{}/")
        rows = []
        for i in range(n):
            rank = None if rnd.random() < PROFILE_POST_SHARE else groups_of[i]
            readers = self.internal if rank is None else self.members[rank]
            author = rnd.choice(readers)
            kind = kinds_of[i] if rank is not None else Post.Kind.PLAIN
            created = self.now - timedelta(seconds=ages[i])
            deleted = rnd.random() < DELETED_SHARE
            body, html, topics, mentioned = self._body(readers, author, profile_url)
            pinned = created + timedelta(days=14) if kind == Post.Kind.ANNOUNCEMENT else None
            edited = (
                created + timedelta(minutes=rnd.randint(5, 600))
                if rnd.random() < EDITED_SHARE
                else None
            )
            if deleted:
                body, html, topics, mentioned = "", "", [], []
            rows.append(
                (
                    self.groups[rank] if rank is not None else None,
                    author,
                    kind,
                    body,
                    html,
                    pinned,
                    created,
                    min(edited, self.now) if edited else None,
                    created + timedelta(hours=3) if deleted else None,
                    author if deleted else None,
                )
            )
            self.post_group.append(rank)
            self.post_author.append(author)
            self.post_time.append(created)
            self.post_kind.append(kind)
            self.post_deleted.append(deleted)
            topic_rows.append(topics)
            mention_rows_by_index.append(mentioned)
        columns = (
            "group_id",
            "author_id",
            "kind",
            "body",
            "body_html",
            "pinned_until",
            "created_at",
            "edited_at",
            "deleted_at",
            "deleted_by_id",
        )
        _copy(Post, columns, rows)
        self.post_ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
        ids = self.post_ids
        _copy(
            Post.topics.through,
            ("post_id", "topic_id"),
            ((ids[i], t) for i, topics in enumerate(topic_rows) for t in topics),
        )
        _copy(
            Post.mentions.through,
            ("post_id", "user_id"),
            ((ids[i], u) for i, people in enumerate(mention_rows_by_index) for u in people),
        )
        self._polls()
        self._timed("posts, topics, mentions and polls", started)

    def _body(
        self, readers: list[int], author: int, profile_url: str
    ) -> tuple[str, str, list[int], list[int]]:
        rnd = self.random
        sentences = rnd.sample(SENTENCES, rnd.randint(1, 4))
        text_parts, html_parts = list(sentences), list(sentences)
        mentioned: list[int] = []
        if rnd.random() < MENTION_SHARE and len(readers) > 1:
            person = rnd.choice(readers)
            if person != author:
                handle = self.handles[person]
                mentioned.append(person)
                text_parts.insert(0, f"@{handle}")
                html_parts.insert(
                    0, f'<a class="mention" href="{profile_url.format(person)}">@{handle}</a>'
                )
        topics: list[int] = []
        if rnd.random() < TOPIC_SHARE:
            chosen = rnd.choices(self.topics, weights=self.topic_weights, k=rnd.choice((1, 1, 2)))
            for pk, name in dict(chosen).items():
                topics.append(pk)
                text_parts.append(f"#{name}")
                html_parts.append(f'<a class="topic" href="/sujets/{name}/">#{name}</a>')
        return " ".join(text_parts), f"<p>{' '.join(html_parts)}</p>", topics, mentioned

    def _polls(self) -> None:
        rnd = self.random
        polls = [i for i, kind in enumerate(self.post_kind) if kind == Post.Kind.POLL]
        _copy(
            PollOption,
            ("post_id", "label", "position"),
            (
                (self.post_ids[i], label, position)
                for i in polls
                for position, label in enumerate(POLL_OPTIONS[: 2 + i % 3])
            ),
        )
        options: dict[int, list[int]] = {}
        for pk, post_id in PollOption.objects.order_by("post_id", "position").values_list(
            "pk", "post_id"
        ):
            options.setdefault(post_id, []).append(pk)
        votes = []
        for i in polls:
            post_id, rank = self.post_ids[i], self.post_group[i]
            voters = rnd.sample(self.members[rank], min(len(self.members[rank]), rnd.randint(0, 8)))
            votes += [
                (
                    post_id,
                    rnd.choice(options[post_id]),
                    user,
                    self.post_time[i] + timedelta(hours=1),
                )
                for user in voters
            ]
        _copy(PollVote, ("post_id", "option_id", "user_id", "voted_at"), votes)

    def seed_comments(self) -> None:
        started = time.perf_counter()
        rnd, n = self.random, self.scale.comments
        live = [i for i, deleted in enumerate(self.post_deleted) if not deleted]
        # Recent posts draw more comments than old ones.
        weights = [1 + 3 * (i / len(self.post_ids)) for i in live]
        chosen = rnd.choices(live, weights=weights, k=n)
        rows = []
        self.comment_post: list[int] = []
        for i in sorted(chosen):
            rank = self.post_group[i]
            author = rnd.choice(self.internal if rank is None else self.members[rank])
            body = rnd.choice(COMMENT_SENTENCES)
            created = min(
                self.post_time[i] + timedelta(minutes=rnd.randint(2, 4000)),
                self.now - timedelta(seconds=30),
            )
            rows.append((self.post_ids[i], author, body, f"<p>{body}</p>", created, False))
            self.comment_post.append(i)
        _copy(
            Comment,
            ("post_id", "author_id", "body", "body_html", "created_at", "is_question"),
            rows,
        )
        self.comment_ids = list(Comment.objects.order_by("pk").values_list("pk", flat=True))
        # Half of the questions have a best answer: their first comment.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {Post._meta.db_table} AS p SET best_answer_id = c.first_id
                FROM (
                    SELECT post_id, MIN(id) AS first_id FROM {Comment._meta.db_table}
                    GROUP BY post_id
                ) AS c
                WHERE c.post_id = p.id AND p.kind = %s AND p.id %% 2 = 0
                """,  # noqa: S608 - table names from the models, values as parameters
                [Post.Kind.QUESTION],
            )
        self._timed("comments", started)

    def seed_reactions_and_bookmarks(self, staff_viewer: User) -> None:
        started = time.perf_counter()
        rnd, s = self.random, self.scale
        kinds, kind_weights = list(REACTION_WEIGHTS), list(REACTION_WEIGHTS.values())
        live = [i for i, deleted in enumerate(self.post_deleted) if not deleted]
        weights = [1 + 3 * (i / len(self.post_ids)) for i in live]
        rows = []
        for i, count in sorted(
            Counter(rnd.choices(live, weights=weights, k=s.post_reactions)).items()
        ):
            rank = self.post_group[i]
            readers = self.internal if rank is None else self.members[rank]
            for user in rnd.sample(readers, min(count, len(readers))):
                kind = rnd.choices(kinds, weights=kind_weights)[0]
                rows.append((user, self.post_ids[i], None, kind, self.post_time[i]))
        comment_counts = Counter(
            rnd.choices(range(len(self.comment_ids)), k=s.comment_reactions)
        ).items()
        for c, count in sorted(comment_counts):
            i = self.comment_post[c]
            rank = self.post_group[i]
            readers = self.internal if rank is None else self.members[rank]
            rows.extend(
                (user, None, self.comment_ids[c], "like", self.post_time[i])
                for user in rnd.sample(readers, min(count, len(readers)))
            )
        _copy(Reaction, ("user_id", "post_id", "comment_id", "kind", "created_at"), rows)

        bookmarks: set[tuple[int, int]] = set()
        while len(bookmarks) < s.bookmarks:
            i = rnd.choice(live)
            rank = self.post_group[i]
            bookmarks.add((rnd.choice(self.internal if rank is None else self.members[rank]), i))
        viewer_ranks = set(self.staff_viewer_groups)
        mine = [i for i in live if self.post_group[i] in viewer_ranks]
        bookmarks.update((staff_viewer.pk, i) for i in rnd.sample(mine, min(300, len(mine))))
        _copy(
            Bookmark,
            ("user_id", "post_id", "created_at"),
            ((user, self.post_ids[i], self.now) for user, i in sorted(bookmarks)),
        )
        self._timed("reactions and bookmarks", started)

    def analyse(self) -> None:
        started = time.perf_counter()
        self.people.analyse()
        self._timed("VACUUM ANALYZE", started)


BULK_TABLES = (
    Post,
    Post.topics.through,
    Post.mentions.through,
    PollOption,
    PollVote,
    Comment,
    Reaction,
    Bookmark,
)


@contextmanager
def _bulk_load(timings: dict[str, float], models) -> Iterator[None]:
    """One transaction without foreign-key triggers or secondary indexes, rebuilt at the end.

    What a restore does: checking each row's foreign keys one by one and updating every
    index row by row costs more than generating the rows. Primary keys and unique indexes
    stay, so a generation bug still fails loudly; the rows refer only to ids just read back.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            with transaction.atomic():  # a savepoint: needs a superuser, as `make bench` has
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass  # foreign keys checked at commit, as usual: slower, same data
        indexes = []
        for model in models:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = %s",
                [model._meta.db_table],
            )
            indexes += [
                (name, definition)
                for name, definition in cursor.fetchall()
                if not definition.startswith("CREATE UNIQUE")
            ]
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        started = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        timings["secondary indexes"] = time.perf_counter() - started


def _copy(model, columns: tuple[str, ...], rows) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany elsewhere."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - names from models
            [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows],
        )


# --- Measuring -----------------------------------------------------------------------------


def run(*, scale: Scale = FULL) -> FeedResults:
    """Empty the database, seed it, time the feeds, explain the slowest query."""
    seeder, staff_viewer, external_viewer = seed(scale)
    return measure_feeds(seeder.scale, seeder.timings, staff_viewer, external_viewer)


def seed(scale: Scale = FULL) -> tuple["FeedSeeder", User, User]:
    if connection.vendor != "postgresql":
        scale = scale.shrunk(20)
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    cache.clear()
    seeder = FeedSeeder(scale)
    print("  people, groups, memberships and follows…", flush=True)
    staff_viewer, external_viewer = seeder.seed_people_and_groups()
    with _bulk_load(seeder.timings, BULK_TABLES):
        print(f"  {scale.posts:,} posts…", flush=True)
        seeder.seed_posts()
        print(f"  {scale.comments:,} comments…", flush=True)
        seeder.seed_comments()
        print(f"  {scale.post_reactions + scale.comment_reactions:,} reactions…", flush=True)
        seeder.seed_reactions_and_bookmarks(staff_viewer)
        print("  indexes…", flush=True)
    print("  VACUUM ANALYZE…", flush=True)
    seeder.analyse()
    seeder.timings["total"] = time.perf_counter() - started
    return seeder, staff_viewer, external_viewer


def measure_feeds(
    scale: Scale, seed_seconds: dict[str, float], staff_viewer: User, external_viewer: User
) -> FeedResults:
    """Time the feeds of both viewers; each one's group feed is their busiest group's."""
    results = FeedResults(
        scale=scale,
        data=_data_facts(staff_viewer, external_viewer),
        seed_seconds=seed_seconds,
        vendor=connection.vendor,
    )
    staff_group, external_group = _busiest_group(staff_viewer), _busiest_group(external_viewer)
    results.viewer_groups = {"staff": staff_group.name, "external": external_group.name}
    results.data["staff_group_posts"] = Post.objects.filter(group=staff_group).count()
    results.data["external_group_posts"] = Post.objects.filter(group=external_group).count()
    for label, viewer, group in (
        (f"Staff member ({VIEWER_GROUPS} groups)", staff_viewer, staff_group),
        ("Start-up member (2 groups)", external_viewer, external_group),
    ):
        print(f"  timing as {label}…", flush=True)
        results.rows += _measure_viewer(label, viewer, group)
    results.plans = _explain_slowest(results.rows)
    if connection.vendor == "postgresql":
        results.what_if = _try_suggestions(results.rows)
    cache.clear()
    return results


def _try_suggestions(rows: list[Row]) -> list[tuple[Suggestion, str, list[Row]]]:
    """Measure the API rows again with each suggestion added to the previous ones."""
    api = [r for r in rows if r.through == "API" and r.measure and "limit" not in r.page]
    tried = []
    with connection.cursor() as cursor:
        for suggestion in SUGGESTIONS:
            cursor.execute(suggestion.already)
            if cursor.fetchone():
                tried.append((suggestion, "already in place", []))
                continue
            print(f"  trying {suggestion.label}…", flush=True)
            cursor.execute(suggestion.apply)
            cursor.execute("ANALYZE social_post")
            again = []
            for row in api:
                redo = _row(row.viewer, row.feed, row.through, row.page, row.client, row.path, None)
                again.append(redo)
            tried.append((suggestion, "tried", again))
        for suggestion, state, _rows in reversed(tried):
            if state == "tried":
                cursor.execute(suggestion.undo)
    return tried


def _busiest_group(viewer: User) -> Group:
    return (
        Group.objects.filter(memberships__user=viewer)
        .annotate(n=Count("posts"))
        .order_by("-n", "pk")
        .first()
    )


def _data_facts(staff_viewer: User, external_viewer: User) -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "memberships": Membership.objects.count(),
        "follows": Follow.objects.count(),
        "posts": Post.objects.count(),
        "profile_posts": Post.objects.filter(group__isnull=True).count(),
        "deleted_posts": Post.objects.filter(deleted_at__isnull=False).count(),
        "comments": Comment.objects.count(),
        "post_reactions": Reaction.objects.filter(post__isnull=False).count(),
        "comment_reactions": Reaction.objects.filter(comment__isnull=False).count(),
        "topics": Topic.objects.count(),
        "posts_with_topics": Post.topics.through.objects.values("post_id").distinct().count(),
        "mentions": Post.mentions.through.objects.count(),
        "polls": Post.objects.filter(kind=Post.Kind.POLL).count(),
        "poll_votes": PollVote.objects.count(),
        "bookmarks": Bookmark.objects.count(),
        "busiest_group_posts": Post.objects.values("group")
        .exclude(group=None)
        .annotate(n=Count("*"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
        or 0,
        "staff_viewer_follows": Follow.objects.filter(follower=staff_viewer).count(),
        "staff_viewer_groups": Membership.objects.filter(user=staff_viewer).count(),
        "external_viewer_groups": Membership.objects.filter(user=external_viewer).count(),
    }


def _deep_cursor(read) -> tuple[str | None, int]:
    """The cursor of page DEEP_PAGES + 1, or of the last page when the feed is shorter."""
    cursor, page = None, 1
    for _ in range(DEEP_PAGES):
        next_cursor = read(cursor).next_cursor
        if next_cursor is None:
            break
        cursor, page = next_cursor, page + 1
    return cursor, page


def _measure_viewer(label: str, viewer: User, group: Group) -> list[Row]:
    client = Client()
    client.force_login(viewer)
    htmx = {"HX-Request": "true"}
    rows: list[Row] = []
    home_cursor, home_page = _deep_cursor(lambda c: selectors.home_feed(viewer, cursor=c))
    group_cursor, group_page = _deep_cursor(lambda c: selectors.group_feed(viewer, group, cursor=c))
    feeds = [
        (
            "Home",
            home_cursor,
            home_page,
            reverse("home"),
            "/api/v1/feed",
            lambda c: selectors.home_feed(viewer, cursor=c),
        ),
        (
            "Group",
            group_cursor,
            group_page,
            reverse("social:group", args=[group.slug]),
            f"/api/v1/groups/{group.slug}/posts",
            lambda c: selectors.group_feed(viewer, group, cursor=c),
        ),
    ]
    for feed, deep, deep_page, page_url, api_url, read in feeds:
        for cursor, page in ((None, 1), (deep, deep_page)):
            page_label = "first" if page == 1 else f"page {page}"
            query = {"cursor": cursor} if cursor else {}
            # Pages past the first come through htmx's « Charger plus », as in a browser.
            html = f"{page_url}?{urlencode(query)}" if query else page_url
            rows.append(
                _row(label, feed, "HTML page", page_label, client, html, htmx if cursor else None)
            )
            api = f"{api_url}?{urlencode({'limit': PAGE_SIZE, **query})}"
            rows.append(_row(label, feed, "API", page_label, client, api, None, count="items"))
            row = Row(label, feed, "selector only", page_label)
            row.measure = measure_call(
                f"{label} {feed} selector {page_label}", lambda c=cursor, r=read: r(c)
            )
            row.posts = len(read(cursor).posts)
            row.sql_ms = sql_time(row.measure.sql)
            rows.append(row)
        # The same first page at the API's largest size: queries must not grow with it.
        big = f"{api_url}?{urlencode({'limit': selectors.MAX_PAGE_SIZE})}"
        rows.append(
            _row(
                label,
                feed,
                "API",
                f"first, limit={selectors.MAX_PAGE_SIZE}",
                client,
                big,
                None,
                count="items",
            )
        )
    return rows


def _row(
    viewer: str,
    feed: str,
    through: str,
    page: str,
    client: Client,
    path: str,
    headers: dict[str, str] | None,
    *,
    count: str = "",
) -> Row:
    row = Row(viewer, feed, through, page)
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        row.note = "not available yet"
        return row
    try:
        row.measure = measure(client, f"{viewer} {feed} {through} {page}", path, headers=headers)
    except RuntimeError as error:
        row.note = str(error)
        return row
    row.path, row.headers, row.client = path, headers, client
    row.sql_ms = sql_time(row.measure.sql)
    if count:
        row.posts = len(client.get(path, headers=headers).json()[count])
    return row


def sql_time(queries: tuple[str, ...], runs: int = 3) -> float | None:
    """Milliseconds PostgreSQL spends planning and executing these queries (best of `runs`).

    Unlike wall-clock timings, this hardly moves when other work shares the CPUs.
    """
    if connection.vendor != "postgresql":
        return None
    total = 0.0
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            best = None
            for _ in range(runs):
                cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) {sql}")
                spent = sum(
                    float(line.split(":")[1].split()[0])
                    for (line,) in cursor.fetchall()
                    if line.startswith(("Planning Time", "Execution Time"))
                )
                best = spent if best is None else min(best, spent)
            total += best
    return total


def _explain_slowest(rows: list[Row]) -> list[Plan]:
    """For the request with the highest p95 of each feed, EXPLAIN ANALYZE its slowest query.

    Every query of that request is run under EXPLAIN ANALYZE (best of three), so the choice
    does not hang on one noisy timing.
    """
    if connection.vendor != "postgresql":
        return []
    plans = []
    for feed in dict.fromkeys(r.feed for r in rows):
        timed = [r for r in rows if r.feed == feed and r.measure is not None and r.measure.sql]
        if not timed:
            continue
        row = max(timed, key=lambda r: r.measure.p95)
        best: tuple[float, str, list[str]] | None = None
        for sql in row.measure.sql:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            runs = [_explain(sql) for _ in range(3)]
            execution, lines = min(runs, key=lambda run: run[0])
            if best is None or execution > best[0]:
                best = (execution, sql, lines)
        if best is not None:
            plans.append(
                Plan(
                    label=f"{row.viewer} · {row.feed} feed · {row.through} · {row.page}",
                    sql=best[1],
                    plan="\n".join(best[2]),
                    query_ms=best[0],
                )
            )
    return plans


def _explain(sql: str) -> tuple[float, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [line for (line,) in cursor.fetchall()]
    execution = next(
        (float(line.split(":")[1].split()[0]) for line in lines if "Execution Time" in line),
        0.0,
    )
    return execution, lines
