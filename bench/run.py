"""The benchmark plan: grow the directory, time each request at each size, then the sockets."""

import math
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts import selectors, services
from accounts.models import Organisation, User
from accounts.views import DIRECTORY_PAGE_SIZE
from bench import feeds as feed_bench
from bench import files as file_bench
from bench import sockets
from bench import ws_fanout as ws_bench
from bench.pages import Measure, measure
from bench.seed import Seeder
from bench.stats import summary

SIZES = (1_000, 10_000)
TERM = "innovation"
API_LIMIT = 50
ONE_USER_TABS = (1, 10, 100)
MANY_USERS = (10, 100)


@dataclass
class SizeResult:
    size: int
    seed_seconds: float
    data: dict[str, int]
    measures: list[Measure] = field(default_factory=list)


@dataclass
class Results:
    sizes: list[SizeResult]
    fan_outs: list[sockets.FanOut]
    db_connect_median: float
    feeds: feed_bench.FeedResults | None = None
    files: file_bench.FilesResults | None = None
    ws: ws_bench.WsResults | None = None
    term: str = TERM


def run_all() -> Results:
    cache.clear()
    seeder = Seeder()
    viewer = seeder.create_viewer(User.Kind.STAFF, display_name="Agnès Banc-d'Essai")
    _token, raw_token = services.create_api_token(user=viewer, name="benchmark")
    session = Client()
    session.force_login(viewer)
    bearer = Client(headers={"Authorization": f"Bearer {raw_token}"})

    sizes = []
    for size in SIZES:
        print(f"Seeding {size:,} directory people…", flush=True)
        start = time.perf_counter()
        seeder.grow_to(size)
        seeder.analyse()
        seed_seconds = time.perf_counter() - start
        result = SizeResult(size, seed_seconds, _data_facts(seeder, viewer))
        last_page = math.ceil(result.data["visible"] / DIRECTORY_PAGE_SIZE)
        result.data["pages"] = last_page
        plan = [
            ("Directory page", session, "/annuaire/", ""),
            (f"Directory search “{TERM}”", session, f"/annuaire/?{_q(q=TERM)}", ""),
            ("Directory, last page", session, f"/annuaire/?page={last_page}", ""),
            (
                f"API people, limit={API_LIMIT}",
                session,
                f"/api/v1/people?limit={API_LIMIT}",
                "count",
            ),
            (
                f"API people search “{TERM}”",
                session,
                f"/api/v1/people?{_q(limit=API_LIMIT, q=TERM)}",
                "count",
            ),
            ("API me (session)", session, "/api/v1/me", ""),
            ("API me (Bearer token)", bearer, "/api/v1/me", ""),
        ]
        for label, client, path, count_key in plan:
            print(f"  {label}: GET {path}", flush=True)
            result.measures.append(measure(client, label, path, count_key=count_key))
        sizes.append(result)

    print("New database connections…", flush=True)
    db_connect_median = _database_connect_median()

    print("Realtime fan-out…", flush=True)
    viewer_cookie = {viewer.pk: sockets.session_cookie(viewer)}
    cases = [
        sockets.Case(f"1 user, {tabs} socket{'s' if tabs > 1 else ''}", viewer_cookie, tabs)
        for tabs in ONE_USER_TABS
    ]
    crowd = list(User.objects.filter(kind=User.Kind.STAFF, is_active=True)[: max(MANY_USERS)])
    cookies = {user.pk: sockets.session_cookie(user) for user in crowd}
    cases += [
        sockets.Case(f"{users} users, 1 socket each", dict(list(cookies.items())[:users]), 1)
        for users in MANY_USERS
    ]
    fan_outs = sockets.fan_out(cases)
    cache.clear()

    print("Files through daphne…", flush=True)
    file_results = file_bench.run()

    print("WebSocket fan-out through two server processes…", flush=True)
    ws_results = ws_bench.run()

    # Last, because it empties the database and starts again with its own people.
    print("Feeds…", flush=True)
    feed_results = feed_bench.run()
    return Results(
        sizes=sizes,
        fan_outs=fan_outs,
        db_connect_median=db_connect_median,
        feeds=feed_results,
        files=file_results,
        ws=ws_results,
    )


def _database_connect_median(times: int = 20) -> float:
    """What opening a database connection costs: paid per request while CONN_MAX_AGE is 0."""
    samples = []
    for _ in range(times):
        connection.close()
        start = time.perf_counter()
        connection.ensure_connection()
        samples.append(time.perf_counter() - start)
    return summary(samples)["median"]


def _data_facts(seeder: Seeder, viewer: User) -> dict[str, int]:
    by_kind = dict.fromkeys(User.Kind.values, 0)
    for kind in User.objects.filter(is_active=True).values_list("kind", flat=True):
        by_kind[kind] += 1
    return {
        "visible": selectors.search_people(viewer).count(),
        "matches": selectors.search_people(viewer, TERM).count(),
        **by_kind,
        "inactive": User.objects.filter(is_active=False).count(),
        "organisations": Organisation.objects.count(),
    }


def _q(**params) -> str:
    return urlencode(params)
