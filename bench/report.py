"""Machine facts and the Markdown report in docs/benchmarks.md."""

import os
import platform
import re
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings

from accounts.views import DIRECTORY_PAGE_SIZE
from bench import files as file_bench
from bench.feeds import DEEP_PAGES, PAGE_SIZE, TARGET_P95, TARGET_QUERIES, FeedResults
from bench.files import FilesResults, Phase
from bench.run import Results
from bench.stats import ms
from social.selectors import MAX_PAGE_SIZE

REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
GROWTH_WORTH_A_LOOK = 2.0


def machine_facts(connection) -> dict:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "packages": {
            name: _version(name)
            for name in ("Django", "channels", "channels-redis", "django-ninja", "daphne")
        },
        "database": _database(connection),
        "channel_layer": _channel_layer(),
        "cache": settings.CACHES["default"]["BACKEND"],
        "load": os.getloadavg(),
    }


def write(facts: dict, results: Results) -> Path:
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(render(facts, results), encoding="utf-8")
    return REPORT


def write_section(title: str, lines: list[str]) -> Path:
    """Replace the `## title` section of the report (or add it before the feeds and the
    closing notes), leaving every other section as the last full run wrote it."""
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    page = text.splitlines()
    heading = f"## {title}"
    if heading in page:
        start = page.index(heading)
        end = next((n for n in range(start + 1, len(page)) if page[n].startswith("## ")), len(page))
    else:
        start = end = next(
            (n for n, line in enumerate(page) if line in ("## Feeds", "## What the figures mean")),
            len(page),
        )
    section = [*lines] if lines[-1:] == [""] else [*lines, ""]
    REPORT.write_text("\n".join([*page[:start], *section, *page[end:]]) + "\n", encoding="utf-8")
    return REPORT


def render(facts: dict, results: Results) -> str:
    small, large = results.sizes[0], results.sizes[-1]
    n_small, n_large = f"{small.size:,}", f"{large.size:,}"
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {facts['date']}; every run overwrites this page. To "
        "reproduce, start PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (as for the "
        "tests) and run `make bench` (`.venv/bin/python -m bench`). It creates a throwaway "
        "database (`test_maillage_bench`, or `DATABASE_URL`'s name prefixed with `test_`) and "
        "uses Redis database 14, so it never disturbs a test run; without PostgreSQL or Redis it "
        "falls back to SQLite and the in-memory layer, and the table below says so. "
        f"The whole run took {facts['run_seconds']:.0f} s.",
        "",
        *_busy_warning(facts),
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {facts['cpu']} × {facts['cpus']} |",
        f"| OS | {facts['os']} |",
        f"| Python | {facts['python']} |",
        *(f"| {name} | {value} |" for name, value in facts["packages"].items()),
        f"| Database | {facts['database']} |",
        f"| Channel layer | {facts['channel_layer']} |",
        f"| Cache | `{facts['cache']}` |",
        f"| Load average (1 min) at start, at end | {facts['load'][0]:.2f}, "
        f"{facts['load_end'][0]:.2f} |",
        "",
        "## Data",
        "",
        "Seeded with `accounts.services.create_user` and `tests.factories` for the accounts the "
        "benchmark signs in with, and `bulk_create` for the crowd (French names, job titles, "
        "services, expertise, phone numbers, verified allauth addresses, external members "
        "spread over organisations). The same mix is kept at both sizes; the planner's "
        "statistics are refreshed (`VACUUM ANALYZE`) after each load.",
        "",
        f"| | {n_small} | {n_large} |",
        "|---|---:|---:|",
    ]
    rows = [
        ("People a staff member finds in the directory", "visible"),
        ("— staff (active)", "staff"),
        ("— elected officials", "elected"),
        ("— external members", "external"),
        ("Citizens (never in the directory)", "citizen"),
        ("Closed accounts (never in the directory)", "inactive"),
        ("Organisations", "organisations"),
        (f"Directory matches for “{results.term}”", "matches"),
        (f"Directory pages ({DIRECTORY_PAGE_SIZE} people a page)", "pages"),
    ]
    lines += [f"| {label} | {small.data[key]:,} | {large.data[key]:,} |" for label, key in rows]
    lines += [
        f"| Seeding time | {small.seed_seconds:.1f} s | {large.seed_seconds:.1f} s (added) |",
        "",
        "## Pages and API",
        "",
        "Each request goes through the whole Django stack (middleware, sessions, policy, "
        "templates or schemas) with `django.test.Client`, in process: no network, no web "
        "server, one request at a time. The client is signed in as a staff member with a "
        "session, or sends a personal API token. After 5 warm-up requests, "
        f"{small.measures[0].requests} requests are timed: median and p95 (nearest rank) in "
        "milliseconds. *Queries* are the SQL queries of one more request, captured with "
        "`CaptureQueriesContext`. The API throttle is off (test settings). *×* is the median at "
        f"{n_large} people divided by the median at {n_small}.",
        "",
        f"| Request | {n_small}: median ms | p95 ms | queries | {n_large}: median ms | p95 ms "
        "| queries | × |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    different, grew = [], []
    for a, b in zip(small.measures, large.measures, strict=True):
        label = a.label
        ratio = b.median / a.median
        lines.append(
            f"| {label} | {ms(a.median)} | {ms(a.p95)} | {a.queries} | {ms(b.median)} | "
            f"{ms(b.p95)} | {b.queries} | {ratio:.1f} |"
        )
        if a.queries != b.queries:
            different.append(f"{label} ({a.queries} → {b.queries})")
        if ratio >= GROWTH_WORTH_A_LOOK:
            grew.append(f"{label} (×{ratio:.1f})")
    lines.append("")
    if different:
        lines.append(
            "**Query counts differ between the two sizes** for: "
            + "; ".join(different)
            + ". Some request does work per row: look for a missing `select_related` or "
            "`prefetch_related`."
        )
    else:
        lines.append(
            f"Query counts are the same at {n_small} and {n_large} people for every request: "
            "no page or endpoint does a query per person shown."
        )
    lines.append("")
    if grew:
        lines.append(
            f"Requests whose median grows {GROWTH_WORTH_A_LOOK:.0f}× or more with ten times "
            "the people (their queries read or sort every matching row, not one page of an "
            "index): " + "; ".join(grew) + "."
        )
    else:
        lines.append(
            "No request's median doubles with ten times the people: the work per request "
            "stays bounded by the page size, not the size of the directory."
        )
    lines += [
        "",
        "The test client keeps one database connection open. Opening a new one costs "
        f"{ms(results.db_connect_median)} ms here (median of 20): a cost every request adds to the "
        "figures above whenever connections are not reused (`DB_CONN_MAX_AGE` is 0 by default).",
        "",
        "## Realtime fan-out",
        "",
        "`realtime.events.publish` is called as a view calls it (synchronously, outside a "
        "transaction, so its after-commit send happens at once) to sockets opened through the "
        "real ASGI application (`config.asgi.application`: origin check, session cookie, auth "
        "middleware) with `channels.testing.WebsocketCommunicator`, over the channel layer named "
        "above. After a warm-up run, and 5 warm-up events per case, "
        f"{results.fan_outs[0].events} events are timed per case, one at a time. *publish()* is "
        "how long the call blocks the request that makes it; "
        "*first* and *last socket* are the time from the call to the first and to the last "
        "socket receiving the event; *connect* is the median WebSocket handshake (including "
        "the session lookup). Sockets and server share this one process, so the figures "
        "include the layer's Redis round trips but not a network between browser and server.",
        "",
        "| Case | sockets | publish() median ms | publish() p95 ms | first socket median ms "
        "| last socket median ms | last socket p95 ms | connect median ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {f.label} | {f.sockets} | {ms(f.publish_median)} | {ms(f.publish_p95)} | "
        f"{ms(f.first_median)} | {ms(f.last_median)} | {ms(f.last_p95)} | "
        f"{ms(f.connect_median)} |"
        for f in results.fan_outs
    ]
    lines += [
        "",
        "One user's sockets share one channel group, so one `group_send` reaches all of "
        "them. Several users are several groups, and `publish` sends to them one after the "
        "other, each send a few Redis round trips: its cost grows with the number of "
        "recipients and is paid by the request that publishes.",
        "",
        *(files_section(results.files) if results.files else []),
        *(ws_fanout_section(results.ws, facts) if results.ws else []),
        *(feeds_section(results.feeds) if results.feeds else []),
        "## What the figures mean",
        "",
        "- They measure the application's own work on one core at a time: an upper bound on "
        "what one worker process serves, not a load test. A real request adds daphne's HTTP "
        "parsing, the network and TLS; in production several daphne processes share the CPUs.",
        "- The load average above says how busy the machine was: anything else running on "
        "these CPUs (a test suite, a build) shows first in the p95 column, and in the medians "
        "when the load exceeds the number of CPUs.",
        "- Compare runs on the same machine only, and look at query counts and growth (×) "
        "before absolute milliseconds: a query count that grows with the data, or a median "
        "that grows with it, is a bug to fix before it reaches ten thousand people.",
        "",
    ]
    return "\n".join(lines)


def _busy_warning(facts: dict) -> list[str]:
    """A warning when other work shared the CPUs: the run itself keeps about one CPU busy."""
    cpus = facts["cpus"] or 1
    start, end = facts["load"][0], facts["load_end"][0]
    if start <= cpus and end <= cpus + 1:
        return []
    return [
        f"> **The machine was busy during this run** (load average {start:.1f} at start, "
        f"{end:.1f} at end, on {cpus} CPUs; the run itself accounts for about 1): medians and "
        "above all p95 are inflated and vary from run to run. Rerun on a quiet machine before "
        "comparing figures; query counts are not affected.",
        "",
    ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _database(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0].split()[0]
        return f"PostgreSQL {server} (`{connection.settings_dict['NAME']}`, throwaway)"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (fallback: PostgreSQL did not answer)"
    return connection.vendor


def _channel_layer() -> str:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if "redis" not in backend.lower():
        return f"`{backend}` (fallback: Redis did not answer)"
    try:
        import redis

        info = redis.Redis.from_url(settings.REDIS_URL).info("server")
        database = settings.REDIS_URL.rsplit("/", 1)[-1]
        return f"`{backend}`, Redis {info['redis_version']} (database {database})"
    except Exception as error:
        return f"`{backend}` (Redis version unknown: {error})"


def _mib(value: float) -> str:
    return f"{value / file_bench.MiB:,.0f}"


def _size(value: int) -> str:
    if value >= 1024 * file_bench.MiB:
        return f"{value / (1024 * file_bench.MiB):.0f} GiB"
    if value % file_bench.MiB == 0:
        return f"{value // file_bench.MiB} MiB"
    return f"{value / 1e6:.0f} MB"


def _phase_row(phase: Phase, *, status: bool = False) -> str:
    growth = phase.memory.growth
    mark = f"**{_mib(growth)}**" if growth > file_bench.TARGET_GROWTH else _mib(growth)
    answer = f" → {phase.status}" if status and phase.status else ""
    stall = f"{phase.stall:.2f}" if phase.stall else ""
    return (
        f"| {phase.label}{answer} | {_size(phase.bytes)} | {phase.seconds:.2f} | "
        f"{phase.throughput:,.0f} | {_mib(phase.memory.before)} | {mark} | {stall} |"
    )


def files_section(files: FilesResults, facts: dict | None = None) -> list[str]:
    """The « Files » section: a big file up and down through daphne, and what it costs."""
    lines = ["## Files", ""]
    if files.skipped:
        return [*lines, f"**Not measured:** {files.skipped}.", ""]
    target = file_bench.TARGET_GROWTH
    chunks = files.size // files.chunk_size
    lines += [
        f"A {_size(files.size)} file is uploaded and downloaded through a real daphne process "
        "running `config.asgi:application` as in production (DEBUG off, PostgreSQL and Redis "
        "as above, local storage and staging folder in one temporary folder on the same file "
        "system, previews inline), with a personal API token, on loopback. The client is the "
        "benchmark process (`http.client`): the bytes are generated while they are sent (a "
        "random 1 MiB pattern behind a PDF header, so the content is sniffed as a PDF) and "
        "checked while they are received (CRC-32), never held whole on either side. "
        f"The upload is what the browser does: `POST /api/v1/uploads`, {chunks} × `PUT "
        f"/api/v1/uploads/{{id}}` of {_size(files.chunk_size)} (`FILES_CHUNK_SIZE`) on one "
        "keep-alive connection, then `POST /api/v1/files` with `upload`; the download is "
        f"repeated {file_bench.DOWNLOADS} times, as what daphne buffers depends on how fast "
        "the client reads. "
        "*Peak growth* is the daphne process's peak resident memory during the phase (VmHWM, "
        "reset through `/proc/<pid>/clear_refs` as the phase starts, and samples of VmRSS "
        "every 5 ms) minus its VmRSS just before; *RSS before* shows what the process held "
        f"then (after start: {_mib(files.started_rss)} MiB; after a warm-up request of each "
        f"kind: {_mib(files.warm_rss)} MiB). Target: under {_mib(target)} MiB of growth for "
        "the upload and the download. *Stall* is the longest a concurrent small request "
        "(`GET /api/v1/me`, every 20 ms on another connection) waited during the phase.",
        "",
    ]
    if facts is not None:
        lines += [
            f"Measured on {facts['date']} by `python -m bench --files-only` in "
            f"{facts['run_seconds']:.0f} s (load average {facts['load'][0]:.2f} at start, "
            f"{facts['load_end'][0]:.2f} at end, on {facts['cpus']} CPUs; "
            f"{files.disk_free / file_bench.MiB / 1024:,.0f} GiB free on disk).",
            "",
        ]
    lines += [
        "| Phase | data | seconds | MB/s | RSS before (MiB) | peak growth (MiB) | stall (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _phase_row(files.upload),
        _phase_row(files.finalise),
        *(_phase_row(phase) for phase in files.downloads),
        _phase_row(files.direct_small, status=True),
        _phase_row(files.direct_post, status=True),
        _phase_row(files.slow_reader),
        "",
        f"Time to first byte of the download (median): {files.ttfb_body * 1000:.0f} ms (headers: "
        f"{files.ttfb_headers * 1000:.0f} ms): the policy check and the queries, then the "
        "first 256 KiB block. MB/s are 10⁶ bytes a second; the upload's figure includes "
        f"{chunks} requests (authentication, a row lock, an append to the staging file each).",
        "",
    ]
    up = files.upload_growth
    down = [phase.memory.growth for phase in files.downloads]
    under = sum(growth <= target for growth in down)
    lines.append(
        (
            f"**The upload stays under the target**: +{_mib(up)} MiB at most for a "
            f"{_size(files.size)} file (target {_mib(target)} MiB). "
            if up <= target
            else f"**The upload is over the target**: +{_mib(up)} MiB (target {_mib(target)} MiB). "
        )
        + (
            f"**So do the downloads** ({_mib(min(down))} to {_mib(max(down))} MiB)."
            if under == len(down)
            else f"**The download stays under it only while the client keeps up**: "
            f"{under} of {len(down)} runs under, growth from {_mib(min(down))} to "
            f"{_mib(max(down))} MiB (the bench client shares {_cpus_phrase(files)} with daphne: "
            "whenever it lags, daphne buffers; see below)."
        )
    )
    lines.append("")
    failed = [name for name, ok in files.checks.items() if not ok]
    lines.append("Checks: " + "; ".join(files.checks) + (" — all passed." if not failed else "."))
    if failed:
        lines.append("**Failed:** " + "; ".join(failed) + ".")
    lines += ["", *_files_meaning(files), ""]
    return lines


def _cpus_phrase(files: FilesResults) -> str:
    cpus = os.cpu_count() or 1
    return f"the machine's {cpus} CPUs" if cpus > 1 else "the machine's CPU"


def _files_meaning(files: FilesResults) -> list[str]:
    upload, slow = files.upload, files.slow_reader
    fastest = max(files.downloads, key=lambda phase: phase.throughput)
    down = [phase.memory.growth for phase in files.downloads]
    small, big = files.direct_small, files.direct_post
    off = files.without_form_parsing
    parsing_costs = bool(off) and big.memory.growth > 4 * max(off[1].memory.growth, 1)
    lines = [
        "### What the figures mean",
        "",
        "- **Uploads travel in chunks because daphne holds a request's body.** Twisted "
        "receives the whole body before daphne starts the application (into a temporary file "
        "above 100 kB), then daphne puts all of it on the application's queue as in-memory "
        "messages at once, and Django spools it again (in memory up to 2.5 MB, then on disk). "
        "A request therefore costs about its body in memory, whatever the view does with it. "
        f"With chunks of {_size(files.chunk_size)} the upload of any size costs what one "
        f"chunk costs (+{_mib(upload.memory.growth)} MiB here), per upload in flight; the "
        "body limit (`MAX_REQUEST_BODY`, chunk + 1 MiB) bounds every other request's body "
        + (
            "the same way (what a multipart body costs is another matter: see below). "
            if parsing_costs
            else "the same way. "
        )
        + "Finalising reads the staged file once (SHA-256 and libmagic, 1 MiB "
        f"blocks: +{_mib(files.finalise.memory.growth)} MiB) and moves it into storage: a "
        "rename here, a streamed copy when the storage is on another file system or in S3.",
        "- **Downloads need a server that waits for the client.** The view streams 256 KiB "
        "blocks, but daphne has no write back-pressure: the ASGI `send` returns at once and "
        "Twisted buffers whatever the socket does not take yet. A client as fast as the disk "
        f"leaves little to buffer (the downloads above, up to {fastest.throughput:,.0f} MB/s "
        f"on loopback: +{_mib(min(down))} to +{_mib(max(down))} MiB, more whenever the "
        "benchmark's own client fell behind); a client reading "
        f"{file_bench.SLOW_READ_RATE / 1e6:.0f} MB/s made the process hold "
        f"+{_mib(slow.memory.growth)} MiB within {slow.seconds:.1f} s"
        + (
            ", when the benchmark cut it, still growing: nothing slows the server down, so it "
            "would have held the rest of the file"
            if files.slow_cut == "cap"
            else ""
        )
        + ". Every slow download (a phone, a hotel's Wi-Fi) costs up to the size of its file "
        "in one process"
        + (
            f"; the memory was given back once the client left ({_mib(files.slow_rss_after)} "
            "MiB a second later). "
            if files.slow_rss_after <= slow.memory.before + 16 * file_bench.MiB
            else ", and does not shrink back when the client leaves: the process still held "
            f"{_mib(files.slow_rss_after)} MiB a second later and {_mib(files.slow_rss_later)} "
            f"MiB five seconds later (against {_mib(slow.memory.before)} MiB before). "
        )
        + "This is daphne facing the client alone; behind nginx with its default response "
        "buffering, nginx is the fast client and spools the file to its own temporary files "
        "(up to `proxy_max_temp_file_size`, 1 GiB by default), and every byte still crosses "
        "daphne. Hence, in production, `FILES_ACCEL_REDIRECT_PREFIX`: the view checks policy "
        "and answers with `X-Accel-Redirect`, and nginx sends the bytes from disk (sendfile, "
        "its own flow control, byte ranges) without daphne (docs/deploy.md).",
    ]
    answer = (
        "refused with 413 by `config/limits.py`" if big.status == 413 else f"answered {big.status}"
    )
    if parsing_costs:
        ratio = big.memory.growth / big.bytes
        lines.append(
            f"- **A direct multipart POST costs {ratio:.0f} times its size in memory.** The "
            f"{_size(big.bytes)} POST was {answer}, but only after Twisted had received all "
            "of it and, as it does for every "
            "`multipart/form-data` POST, parsed it into `request.args` with the e-mail parser, "
            "in memory and in the reactor thread, for nothing: daphne never reads `args`. "
            f"It cost +{_mib(big.memory.growth)} MiB and {big.seconds:.1f} s during which "
            f"every other request and socket of that process waited (stall "
            f"{big.stall:.1f} s); an accepted direct upload of {_size(small.bytes)} cost "
            f"+{_mib(small.memory.growth)} MiB. With that parsing switched off (the same "
            "daphne, its request class built with Twisted's `parsePOSTFormSubmission=False`), "
            "the same requests cost:"
        )
        lines += [
            "",
            "  | Phase, form parsing off | data | seconds | MB/s | RSS before (MiB) "
            "| peak growth (MiB) | stall (s) |",
            "  |---|---:|---:|---:|---:|---:|---:|",
            *(f"  {_phase_row(phase, status=True)}" for phase in off),
            "",
            "  What remains is daphne queuing the body it received: only a proxy that "
            "refuses big bodies before they travel protects the process, so nginx's "
            "`client_max_body_size` must equal `MAX_REQUEST_BODY` (docs/deploy.md), and "
            "direct uploads are for small files; the browser always sends chunks.",
        ]
    else:
        lines.append(
            f"- **A body over the limit is refused, but only once received.** The "
            f"{_size(big.bytes)} direct POST was answered {big.status} after "
            f"{big.seconds:.1f} s and +{_mib(big.memory.growth)} MiB: daphne queues the body "
            "it received before the application can refuse it, so nginx's "
            "`client_max_body_size` must equal `MAX_REQUEST_BODY` (docs/deploy.md)."
        )
    return lines


def feeds_section(feeds: FeedResults) -> list[str]:
    """The « Feeds » section: the data, the timings, the query counts, the slowest plans."""
    d, s = feeds.data, feeds.scale
    total_reactions = d["post_reactions"] + d["comment_reactions"]
    seeding = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in feeds.seed_seconds.items())
    lines = [
        "## Feeds",
        "",
        "A second run in the same throwaway database, emptied first (`flush`): a social network "
        "of the size issue 3 asks for. The rows are generated in Python with a fixed random "
        "seed (French sentences; authors, commenters and reactors who are members of the group; "
        "`@mentions` and `#topics` written in the text and stored in their tables; dates over "
        f"{s.days // 365} years, ids in date order; group activity following a Zipf-like law) "
        "and sent with PostgreSQL's `COPY` (psycopg's copy protocol); the accounts the "
        "benchmark signs in with are created by `accounts.services.create_user`, and the "
        "planner's statistics are refreshed (`VACUUM ANALYZE`) before any measurement."
        + (
            ""
            if feeds.vendor == "postgresql"
            else " **PostgreSQL did not answer: SQLite held a twentieth of the posts, comments "
            "and reactions.**"
        ),
        "",
        "| | |",
        "|---|---:|",
        f"| People | {d['users']:,} |",
        f"| Groups ({s.public} public, {s.private} private, {s.unlisted} unlisted, "
        f"{s.open_to_external} private and open to external members) | {d['groups']:,} |",
        f"| Memberships | {d['memberships']:,} |",
        f"| Follows (people, groups, topics; members follow their groups) | {d['follows']:,} |",
        f"| Posts | {d['posts']:,} |",
        f"| — on a profile (no group) | {d['profile_posts']:,} |",
        f"| — deleted (tombstones) | {d['deleted_posts']:,} |",
        f"| — polls | {d['polls']:,} |",
        f"| — in the busiest group | {d['busiest_group_posts']:,} |",
        f"| Comments | {d['comments']:,} |",
        f"| Reactions on posts | {d['post_reactions']:,} |",
        f"| Reactions on comments | {d['comment_reactions']:,} |",
        f"| Comments and reactions | {d['comments'] + total_reactions:,} |",
        f"| Topics; posts carrying one | {d['topics']:,}; {d['posts_with_topics']:,} |",
        f"| Mentions | {d['mentions']:,} |",
        f"| Poll votes | {d['poll_votes']:,} |",
        f"| Bookmarks | {d['bookmarks']:,} |",
        "",
        f"Seeding took {feeds.seed_seconds['total']:.0f} s ({seeding}).",
        "",
        "Two people read their feeds:",
        "",
        f"- a **staff member**, member of {d['staff_viewer_groups']} groups (public, private and "
        f"unlisted; members follow their groups), who also follows 5 colleagues and 3 topics "
        f"({d['staff_viewer_follows']} follows in all). Group feed: « "
        f"{feeds.viewer_groups['staff']} », the busiest group ({d['staff_group_posts']:,} "
        "posts);",
        f"- a **start-up member**, member of {d['external_viewer_groups']} groups open to "
        f"external members. Group feed: « {feeds.viewer_groups['external']} » "
        f"({d['external_group_posts']:,} posts).",
        "",
        "Each feed is read through the HTML page, the API (`/api/v1/feed`, "
        "`/api/v1/groups/{slug}/posts`, session authentication) and the selector alone "
        "(`social.selectors.home_feed` / `group_feed`: the SQL and the Python that builds the "
        f"page, without templates or JSON), on the first page and on page {feeds.deep_page} "
        f"(the cursor reached by following `next_cursor` {DEEP_PAGES} times; in the HTML, "
        "pages after the first are what htmx's « Charger plus » asks for: the `HX-Request` "
        f"fragment). {PAGE_SIZE} posts a page unless stated. Same method as above: 5 warm-up "
        "requests, 50 timed, median and p95 in milliseconds, queries of one more request. "
        "*SQL ms* is PostgreSQL's own time for that request's queries (planning and "
        "execution under `EXPLAIN ANALYZE`, best of three): it barely moves when other work "
        "shares the CPUs; the gap to the median is Django's work (ORM, templates, JSON) and "
        "the round trips to the database. "
        f"Targets: p95 under {TARGET_P95 * 1000:.0f} ms, at most {TARGET_QUERIES} queries, "
        "and the same number on every page.",
        "",
        "| Viewer | Feed | Through | Page | posts | median ms | p95 ms | SQL ms | queries |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    over, too_many, missing = [], [], []
    for row in feeds.rows:
        name = f"{row.viewer}, {row.feed.lower()} feed, {row.through}, {row.page}"
        if row.measure is None:
            lines.append(
                f"| {row.viewer} | {row.feed} | {row.through} | {row.page} | | *{row.note}* | | | |"
            )
            missing.append(f"{name} ({row.note})")
            continue
        m = row.measure
        p95 = f"**{ms(m.p95)}**" if m.p95 > TARGET_P95 else ms(m.p95)
        queries = f"**{m.queries}**" if m.queries > TARGET_QUERIES else str(m.queries)
        posts = "" if row.posts is None else str(row.posts)
        lines.append(
            f"| {row.viewer} | {row.feed} | {row.through} | {row.page} | {posts} | "
            f"{ms(m.median)} | {p95} | {_sql_ms(row)} | {queries} |"
        )
        if m.p95 > TARGET_P95:
            over.append(f"{name} ({ms(m.p95)} ms)")
        if m.queries > TARGET_QUERIES:
            too_many.append(f"{name} ({m.queries})")
    lines.append("")
    if over:
        lines.append(
            f"**Over the p95 target of {TARGET_P95 * 1000:.0f} ms:** " + "; ".join(over) + "."
        )
    else:
        lines.append(f"Every measured p95 is under the target of {TARGET_P95 * 1000:.0f} ms.")
    lines.append("")
    lines += _query_constancy(feeds, too_many)
    if missing:
        lines += [
            "",
            "**Not measured:** " + "; ".join(missing) + ". The selector rows time the same "
            "reads without the page or the endpoint.",
        ]
    if feeds.plans:
        lines += [
            "",
            "### The slowest queries, explained",
            "",
            "For the requests with the highest p95, their slowest query is run again under "
            "`EXPLAIN (ANALYZE, BUFFERS)` (the plan below leaves out buffer and cache lines).",
            "",
        ]
        for number, plan in enumerate(feeds.plans, start=1):
            lines += [
                f"{number}. {plan.label}: {plan.query_ms:.1f} ms.",
                "",
                "```",
                *_trimmed(_plan_lines(plan.plan), 60),
                "```",
                "",
            ]
    lines += _suggestions(feeds)
    return lines


def _suggestions(feeds: FeedResults) -> list[str]:
    lines = [
        "### Suggestions, tried here",
        "",
        "The slow plans point at two changes outside the application code. Each is tried on "
        "the throwaway database, on top of the previous one, and the API requests are "
        "measured again (same method):",
        "",
        "1. **A partial index for pinned announcements.** `group_feed` reads the pinned "
        "announcements of the first page with `kind = 'announcement' AND pinned_until > now()` "
        "in one group; no index covers that, so PostgreSQL reads every post of the group "
        "(a bitmap scan of `social_post.group_id`): its cost grows with the group. In "
        "`social.models.Post.Meta.indexes`:",
        "",
        "   ```python",
        "   models.Index(",
        '       fields=["group", "pinned_until"],',
        '       condition=Q(kind="announcement", deleted_at__isnull=True),',
        '       name="post_pinned",',
        "   )",
        "   ```",
        "",
        "   which is, in SQL: `CREATE INDEX post_pinned ON social_post (group_id, pinned_until) "
        "WHERE kind = 'announcement' AND deleted_at IS NULL;`",
        "2. **No parallel query for the web application's connections.** The home feed's "
        "filter (an OR of subqueries: followed groups, people, topics, mentions) is hard to "
        "estimate; when PostgreSQL overestimates the rows it plans a parallel scan (`Gather "
        "Merge`), and starting two workers costs more than the ~1 ms the query needs. Feeds "
        "and pages are short queries: `max_parallel_workers_per_gather = 0` for the "
        "application's role (`ALTER ROLE <role> SET max_parallel_workers_per_gather = 0;`) "
        "or its connections (`DATABASES['default']['OPTIONS'] = {'options': "
        "'-c max_parallel_workers_per_gather=0'}`) keeps parallel query for reports and "
        "exports run under another role.",
        "",
    ]
    tried = [(s, state, rows) for s, state, rows in feeds.what_if if state == "tried"]
    for suggestion, state, _rows in feeds.what_if:
        if state != "tried":
            lines.append(f"- {suggestion.label[0].upper()}{suggestion.label[1:]}: {state}.")
    if not tried:
        return [*lines, ""]
    before = {
        (r.viewer, r.feed, r.page): r
        for r in feeds.rows
        if r.through == "API" and r.measure and "limit" not in r.page
    }
    header = "| API request | now: median ms | p95 ms | SQL ms |"
    rule = "|---|---:|---:|---:|"
    for number in range(1, len(tried) + 1):
        header += f" + {'1' if number == 1 else f'1–{number}'}: median ms | p95 ms | SQL ms |"
        rule += "---:|---:|---:|"
    lines += [header, rule]
    for key, row in before.items():
        cells = [ms(row.measure.median), ms(row.measure.p95), _sql_ms(row)]
        for _suggestion, _state, rows in tried:
            again = next((r for r in rows if (r.viewer, r.feed, r.page) == key), None)
            if again is None or again.measure is None:
                cells += ["", "", ""]
            else:
                cells += [ms(again.measure.median), ms(again.measure.p95), _sql_ms(again)]
        viewer, feed, page = key
        lines.append(f"| {viewer}, {feed.lower()} feed, {page} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _sql_ms(row) -> str:
    return "" if row.sql_ms is None else ms(row.sql_ms / 1000)


def _plan_lines(plan: str) -> list[str]:
    noise = ("Buffers:", "Cache Key:", "Cache Mode:", "Hits:", "Heap Fetches:", "Worker ")
    return [line for line in plan.splitlines() if not line.strip().startswith(noise)]


# Queries that depend on what a page holds, not on how many posts it holds.
CONTENT_QUERIES = {
    "social_pollvote": "the poll results, read only when the page holds a poll",
    "social_post": "the pinned announcements, read on a group feed's first page only",
}


def _query_constancy(feeds: FeedResults, too_many: list[str]) -> list[str]:
    """Compare the queries of one feed, viewer and path across pages and page sizes."""
    groups: dict[tuple[str, str, str], list] = {}
    for row in feeds.rows:
        if row.measure is not None and row.through != "HTML page":
            groups.setdefault((row.viewer, row.feed, row.through), []).append(row)
    explained, unexplained = set(), []
    for (viewer, feed, through), rows in groups.items():
        fewest = min(rows, key=lambda r: r.measure.queries)
        for row in rows:
            extra = _tables(row.measure.sql) - _tables(fewest.measure.sql)
            for table in extra:
                if table in CONTENT_QUERIES:
                    explained.add(table)
                else:
                    unexplained.append(
                        f"{viewer}, {feed.lower()} feed, {through}, {row.page} "
                        f"(+{extra[table]} on `{table}`)"
                    )
    highest = max((r.measure.queries for r in feeds.rows if r.measure), default=0)
    lines = []
    if too_many:
        lines.append(f"**More than {TARGET_QUERIES} queries:** " + "; ".join(too_many) + ".")
    else:
        lines.append(f"At most {highest} queries per request (target: {TARGET_QUERIES}).")
    if unexplained:
        lines.append(
            "**Query counts grow between pages or page sizes** for: "
            + "; ".join(unexplained)
            + ": some work is done per post or per page."
        )
    else:
        lines.append(
            f"Through the API and the selector, the first page, page {feeds.deep_page} and a "
            f"page of {MAX_PAGE_SIZE} posts cost the same queries, nothing is done per post"
            + (
                "; the only differences come from what a page holds: "
                + "; ".join(CONTENT_QUERIES[t] for t in sorted(explained))
                if explained
                else ""
            )
            + ". The HTML first page and the htmx fragment of later pages are different "
            "responses (the first page adds the composer, the trending topics or the group "
            "header)."
        )
    return [" ".join(lines)]


def _tables(queries: tuple[str, ...]) -> Counter:
    """How many queries read each table (the one after the outermost FROM)."""
    return Counter(filter(None, (_main_table(sql) for sql in queries)))


def _main_table(sql: str) -> str | None:
    depth = 0
    for position, char in enumerate(sql):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and sql.startswith(' FROM "', position):
            match = re.match(r' FROM "(\w+)"', sql[position:])
            return match.group(1) if match else None
    return None


def _trimmed(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… ({len(lines) - limit} more lines)"]


# --- WebSocket fan-out (bench/ws_fanout.py) -----------------------------------------------------


def ws_fanout_title(ws) -> str:
    """The issue's scenario is "WebSocket fan-out"; a scaled-down run gets its own section."""
    only = f", {ws.only.replace('|', ', ')} only" if getattr(ws, "only", "") else ""
    if ws.users == 500 and ws.rate == 100 and not only:
        return "WebSocket fan-out"
    return f"WebSocket fan-out ({ws.users} users, {ws.rate:.0f} messages/s{only})"


def ws_fanout_section(ws, facts: dict | None = None) -> list[str]:
    from bench import ws_fanout as wf

    def lat(value) -> str:
        return ms(value) if value else "–"

    lines = [
        f"## {ws_fanout_title(ws)}",
        "",
        f"`python -m bench --ws-only` (bench/ws_fanout.py). Two server processes on one Redis "
        f"channel layer and the throwaway PostgreSQL database; {ws.users} users with "
        f"{ws.tabs} sockets each ({ws.users * ws.tabs:,} sockets, each user's tabs on "
        f"different processes), each user in one direct conversation and one of "
        f"{ws.groups} {ws.group_size}-member group conversations. {ws.rate:.0f} messages/s "
        f"for {ws.duration:.0f} s through `POST /api/v1/conversations/{{id}}/messages` "
        f"(Bearer token, {ws.group_share:.0%} to group conversations), from {wf.SENDERS} "
        f"sender threads in another process, open loop; {wf.RECONNECTS_PER_MINUTE:.0%} of the "
        "sockets per minute close, stay away 0.5–3 s, reopen and catch up with "
        "`GET …/messages?after=<last id seen>`. Latency: from the start of the send request "
        f"to the frame's arrival on each recipient socket (the author's own tabs included), "
        f"first {wf.WARM_UP:.0f} s left out. Servers run with DEBUG off, `LOG_LEVEL=INFO` "
        '(so channels_redis\' "over capacity" lines are counted), '
        f"`DB_CONN_MAX_AGE={os.environ.get('DB_CONN_MAX_AGE', '0')}`.",
    ]
    if facts:
        lines += [
            "",
            f"Run {facts.get('date', '')} on {facts.get('cpus')} CPUs ({facts.get('cpu', '')}); "
            f"load average at the start {', '.join(f'{x:.2f}' for x in facts.get('load', ()))}.",
        ]
    lines += [
        "",
        "| Run | sent (msg/s) | send request p50 / p99 (ms) | direct p50 / p95 / p99 (ms) | "
        f"{ws.group_size}-member p50 / p95 / p99 (ms) | lost | duplicated | seq gaps / reordered | "
        "reconnects (caught up by API) | over capacity | server CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ws.runs:
        lines.append(
            f"| {r.label} | {r.sent:,} ({r.achieved_rate:.0f}/s)"
            f"{f', {r.send_errors} failed' if r.send_errors else ''} | "
            f"{lat(r.request.p50)} / {lat(r.request.p99)} | "
            f"{lat(r.direct.p50)} / {lat(r.direct.p95)} / {lat(r.direct.p99)} | "
            f"{lat(r.group.p50)} / {lat(r.group.p95)} / {lat(r.group.p99)} | "
            f"{r.lost if r.app == 'maillage' else f'({r.lost} missed offline, no catch-up)'} | "
            f"{r.duplicated} | "
            f"{f'{r.seq_gaps} / {r.reordered}' if r.app == 'maillage' else '–'} | "
            + (f"{r.reconnects} ({r.caught_up})" if r.app == "maillage" else "–")
            + f" | {r.over_capacity if r.app == 'maillage' else '–'} | "
            f"{' + '.join(f'{c:.0f}' for c in r.cpu_seconds)} |"
        )
    lines += [
        "",
        "Latency samples per run (first arrival of each message on each socket): direct "
        + ", ".join(f"{r.label}: {r.direct.n:,}" for r in ws.runs)
        + "; group "
        + ", ".join(f"{r.group.n:,}" for r in ws.runs)
        + ". Seconds until the sockets went quiet after the last send: "
        + ", ".join(f"{r.drained:.1f}" for r in ws.runs)
        + ". Handshakes refused under load and retried: "
        + ", ".join(f"{r.connect_failures}" for r in ws.runs)
        + ".",
    ]
    if ws.notes:
        lines += ["", *(f"- {note}" for note in ws.notes)]
    unread = getattr(ws, "unread", None)
    if unread:
        lines += [
            "",
            "### Unread counts",
            "",
            f"One person with {unread.unread:,} unread messages in {unread.conversations} "
            f"conversations (bench/unread.py): `GET /api/v1/unread` through the whole Django "
            f"stack with a token, {unread.requests} requests, {unread.queries} SQL queries each "
            f"(counters kept on write, summed by one indexed query): p50 **{ms(unread.p50)} ms**, "
            f"p95 **{ms(unread.p95)} ms** (floor p95 ≤ 20 ms: "
            f"{'met' if unread.met else 'missed'}).",
        ]
    idle = [r for r in ws.runs if r.idle_bytes]
    if idle:
        lines += ["", "### Memory per idle socket", ""]
        lines += [
            "| Server | sockets per process | RSS before → after, per process (MiB) | "
            "per idle socket (KiB) |",
            "|---|---:|---:|---:|",
        ]
        for r in idle:
            per_process = ws.users * wf.IDLE_TABS // len(r.idle_rss)
            lines.append(
                f"| {r.server} | {per_process:,} | "
                + "; ".join(f"{_mib(a)} → {_mib(b)}" for a, b in r.idle_rss)
                + " | "
                + " / ".join(f"{b / 1024:.1f}" for b in r.idle_bytes)
                + " |"
            )
        lines += [
            "",
            f"({ws.users * wf.IDLE_TABS:,} authenticated idle sockets, half on each process, "
            "after one warm-up socket per process; floor ≤ 150 KiB.)",
        ]
    lines += ["", "### Against the floors and the baseline", ""]
    lines += _ws_verdicts(ws, wf)
    lines += ["", "### What the figures mean", ""]
    lines += _ws_meaning(ws, facts or {})
    return [*lines, ""]


def _ws_meaning(ws, facts: dict) -> list[str]:
    out = []
    load = facts.get("load") or (0,)
    if load[0] > (facts.get("cpus") or 1):
        out.append(
            f"- **The machine was busy**: load average {load[0]:.1f} on {facts.get('cpus')} "
            "CPUs when the run started (other test suites and browsers on the same machine). "
            "Every figure here, the baseline's included, is slower and noisier than on an idle "
            "machine; the ratios to the baseline, measured in the same minutes, are the fairer "
            "reading."
        )
    for r in ws.runs:
        if r.app != "maillage":
            continue
        if r.achieved_rate < 0.9 * ws.rate:
            out.append(
                f"- **{r.label}: overloaded.** Asked for {ws.rate:.0f} messages/s, it answered "
                f"{r.achieved_rate:.0f}/s (send requests p50 {ms(r.request.p50)} ms); the "
                "latencies measure a growing queue, not the send path, and the server CPU "
                f"column ({' + '.join(f'{c:.0f}' for c in r.cpu_seconds)} s) shows both "
                "processes busy."
            )
        busy = max(r.cpu_seconds or [0]) / (ws.duration + r.drained + 1)
        if r.request.p50 > 0.1 and busy < 0.6:
            out.append(
                f"- {r.label}: send requests took {ms(r.request.p50)} ms at the median while "
                f"the busiest server process used about {busy:.0%} of a core: the requests "
                "mostly *wait* (for threads, PostgreSQL connections and Redis round trips on a "
                "loaded machine) rather than compute."
            )
        if r.over_capacity:
            out.append(
                f'- **{r.label}: {r.over_capacity:,} "over capacity" drops, {r.lost:,} '
                "messages lost even after catching up.** In channels_redis' core layer the "
                "capacity (100 by default) applies to each *process's* inbox, shared by all "
                "its sockets, not to each socket: a 50-member message is 50 `group_send`s "
                "landing in each process's inbox at once, so a receive loop that falls a "
                "fraction of a second behind drops everything after the hundredth, with only "
                "an INFO log line. A dropped event is a sequence gap the client must notice "
                "and repair by asking the API, which a socket that never reconnects only "
                "does if realtime.js resyncs on a gap."
            )
        if r.lost and r.drained >= 40:
            out.append(
                f"- {r.label}: frames were still arriving {r.drained:.0f} s after the last send "
                'when the bench stopped waiting, so its "lost" also counts messages still '
                "queued in the servers then (undelivered after 40 s, lost in practice)."
            )
        if r.app == "maillage" and r.lost and not r.over_capacity and r.drained < 40:
            out.append(
                f"- **{r.label}: {r.lost:,} messages lost** without any over-capacity line: "
                "the pub/sub layer drops silently (a slow subscriber, a reconnection)."
            )
        if r.seq_gaps:
            out.append(
                f"- {r.label}: {r.seq_gaps:,} sequence number{'s' if r.seq_gaps != 1 else ''} "
                "missing between the first and last frame of a connection: events that "
                "socket never got live. The client sees the gap; only a resync on a gap "
                "(not just on reconnection) recovers them."
            )
        if r.reordered:
            out.append(
                f"- {r.label}: {r.reordered} frames arrived after a frame with a higher "
                "sequence number: two processes publishing to the same user do not keep "
                "order; a client must treat a lower number as late, not as a gap."
            )
    for server in ("daphne", "uvicorn"):
        core = next((r for r in ws.runs if r.label == f"Maillage, {server}, core layer"), None)
        pubsub = next((r for r in ws.runs if r.label == f"Maillage, {server}, pub/sub layer"), None)
        if core and pubsub:
            better = (
                pubsub
                if (pubsub.lost, pubsub.over_capacity) < (core.lost, core.over_capacity)
                else core
            )
            out.append(
                f"- **Layer ({server})**: core layer {core.lost:,} lost, "
                f"{core.over_capacity:,} over-capacity drops, direct p99 {ms(core.direct.p99)} ms; "
                f"pub/sub layer {pubsub.lost:,} lost, direct p99 {ms(pubsub.direct.p99)} ms. "
                f"On these figures the **{'pub/sub' if better is pubsub else 'core'} layer** is "
                "the better choice. The pub/sub layer has no capacity to overflow (a slow "
                "process buffers instead of dropping) but loses what is published while a "
                "process is reconnecting to Redis and does not keep order across publishers: "
                "the per-recipient sequence numbers and the catch-up through the API stay "
                "necessary with either layer."
            )
    out.append(
        "- What a send costs now (bench/ws_fanout.py, py-spy on the servers): the request's "
        "middleware and view run in one go on a reused thread (config/http_threads.py), take "
        "a pooled PostgreSQL connection, authenticate the token, throttle through Redis (one "
        "pooled connection per process), read the conversation with its participants, render "
        "the Markdown, INSERT, UPDATE the two counters and commit — 7 queries whatever the "
        "recipients — then one Redis round trip for who is offline (their notification is a "
        "background job), one pipeline of INCRs (a sequence number per recipient) and one of "
        "PUBLISHes, from the request thread. The event loop of each process only reads Redis "
        "and writes frames. The baseline does one PUBLISH."
    )
    out.append(
        "- The garbage collector: with the interpreter's default thresholds each process "
        "made full collections over the objects of its 500 sockets several times a minute, "
        "each pausing every thread for 10–460 ms (timed with gc callbacks), which made the "
        "99th percentiles and cost about a quarter of the servers' CPU (83 messages/s answered of "
        "100 before, server CPU 22 + 22 s for 84/s). config/asgi.py now freezes what is "
        "loaded at start-up and collects the youngest generation every 10,000 allocations: "
        "no full collection during a run."
    )
    return out


def _ws_verdicts(ws, wf) -> list[str]:
    out = []
    by_label = {r.label: r for r in ws.runs}
    for r in ws.runs:
        if r.app != "maillage":
            continue
        checks = [
            ("direct p50 ≤ 20 ms", r.direct.p50 <= wf.FLOOR_DIRECT_P50),
            ("direct p99 ≤ 100 ms", r.direct.p99 <= wf.FLOOR_DIRECT_P99),
            ("50-member p99 ≤ 250 ms", r.group.p99 <= wf.FLOOR_GROUP_P99),
            ("0 lost", r.lost == 0),
            ("0 duplicated", r.duplicated == 0),
        ]
        if r.idle_bytes:
            checks.append(("≤ 150 KiB per idle socket", max(r.idle_bytes) <= wf.FLOOR_IDLE_BYTES))
        met = [name for name, ok in checks if ok]
        missed = [name for name, ok in checks if not ok]
        baseline = by_label.get(f"Baseline, {r.server}")
        ratio = ""
        if baseline and baseline.direct.p50 and baseline.group.p99:
            ratio = (
                f" Maillage / baseline ({r.server}): direct p50 "
                f"×{r.direct.p50 / baseline.direct.p50:.1f}, direct p99 "
                f"×{r.direct.p99 / baseline.direct.p99:.1f}, 50-member p99 "
                f"×{r.group.p99 / baseline.group.p99:.1f}."
            )
        out.append(
            f"- **{r.label}**: met {', '.join(met) or 'none'}"
            + (f"; **missed {', '.join(missed)}**" if missed else "")
            + "."
            + ratio
        )
    return out
