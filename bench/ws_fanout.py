"""WebSocket fan-out through real server processes (issue 5, Performance).

Two server processes (daphne, or uvicorn with uvloop and httptools) share the Redis channel
layer on the throwaway PostgreSQL database. 500 users, two sockets each (one on each process),
each in one direct conversation and one 50-member group conversation. Messages are sent through
`POST /api/v1/conversations/{id}/messages` at a steady rate while a tenth of the sockets
reconnect per minute and catch up through `GET …/messages?after=`.

Measured, per run: delivery latency from the start of the send request to the frame's arrival
on each recipient socket (direct and 50-member conversations apart); messages lost and
duplicated (what each socket should have had, from the database, against what its frames and
its catch-ups brought); sequence gaps seen on a socket; channels_redis "over capacity" log
lines; memory per idle socket. The same latency figures for a minimal baseline
(bench/ws_baseline.py: HTTP in, Redis pub/sub, WebSocket out, no auth, no database).

The sockets live in another process (bench/ws_client.py); the requests are sent from this one,
by threads, so neither side's event loop slows the other's clock.
"""

import asyncio
import itertools
import json
import os
import random
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings
from django.test import Client, override_settings

from accounts import services as account_services
from accounts.models import User
from bench import unread as unread_bench
from bench.stats import percentile
from messaging import services
from messaging.models import Conversation, Message
from tests.servers import ROOT, daphne_env, free_port, server_argv, wait_for

USERS = int(os.environ.get("WS_BENCH_USERS", "500"))
TABS = 2
GROUP_SIZE = 50
RATE = float(os.environ.get("WS_BENCH_RATE", "100"))  # messages per second
GROUP_SHARE = float(os.environ.get("WS_BENCH_GROUP_SHARE", "0.1"))
DURATION = float(os.environ.get("WS_BENCH_SECONDS", "40"))
WARM_UP = 3.0  # seconds of each run left out of the latency figures
DRAIN = 4.0
RECONNECTS_PER_MINUTE = 0.10  # share of the sockets
IDLE_TABS = 4  # 500 users, 4 each: 2,000 idle sockets
SENDERS = 64
READY_TIMEOUT = 180  # seconds for the crowd to open its sockets
# The servers run with DEBUG off, which wants a real key; sessions are signed with it too.
SECRET_KEY = secrets.token_urlsafe(48)
CORE = "channels_redis.core.RedisChannelLayer"
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"
# Floors from issue 5.
FLOOR_DIRECT_P50 = 0.020
FLOOR_DIRECT_P99 = 0.100
FLOOR_GROUP_P99 = 0.250
FLOOR_IDLE_BYTES = 150 * 1024


@dataclass
class Latency:
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    n: int = 0

    @classmethod
    def of(cls, samples: list[float]) -> "Latency":
        if not samples:
            return cls()
        return cls(
            percentile(samples, 0.50),
            percentile(samples, 0.95),
            percentile(samples, 0.99),
            len(samples),
        )


@dataclass
class RunResult:
    label: str
    app: str  # maillage | baseline
    server: str  # daphne | uvicorn
    layer: str
    sockets: int
    seconds: float
    sent: int = 0
    send_errors: int = 0
    achieved_rate: float = 0.0
    request: Latency = field(default_factory=Latency)
    direct: Latency = field(default_factory=Latency)
    group: Latency = field(default_factory=Latency)
    lost: int = 0
    duplicated: int = 0
    seq_gaps: int = 0  # sequence numbers never seen on a connection, between its first and last
    reordered: int = 0  # frames that came after a frame with a higher sequence number
    drained: float = 0.0  # seconds after the last send until the sockets went quiet
    caught_up: int = 0  # messages a reopened socket got from the API only
    reconnects: int = 0
    resync_requests: int = 0
    connect_failures: int = 0  # handshakes refused (closed) and retried by the crowd
    over_capacity: int = 0
    server_errors: int = 0
    client_errors: list[str] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # per server process
    idle_bytes: list[float] = field(default_factory=list)  # per server process, per socket
    idle_rss: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class WsResults:
    users: int
    tabs: int
    group_size: int
    groups: int
    rate: float
    group_share: float
    duration: float
    runs: list[RunResult] = field(default_factory=list)
    only: str = ""  # WS_BENCH_ONLY: a partial run gets its own section
    notes: list[str] = field(default_factory=list)
    unread: unread_bench.UnreadResult | None = None


@dataclass
class World:
    users: list[dict]
    directs: list[tuple[int, list[int]]]  # (conversation id, member ids)
    groups: list[tuple[int, list[int]]]


# --- the people and their conversations ------------------------------------------------------


def build_world(n_users: int = USERS) -> World:
    # Their own names, so they never collide with people another benchmark seeded.
    people = [
        User(
            email=f"fanout-{n}@agence.test",
            handle=f"fanout-{n}",
            kind=User.Kind.STAFF,
            display_name=f"Personne Essai {n}",
            password="!",  # noqa: S106 - unusable: they sign in through forced sessions
        )
        for n in range(n_users)
    ]
    people = User.objects.bulk_create(people, batch_size=1000)
    people.sort(key=lambda u: u.pk)
    directs, groups = [], []
    conversations: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(people[0::2], people[1::2], strict=False):
        conversation = services.start_direct(actor=a, person=b)
        directs.append((conversation.pk, [a.pk, b.pk]))
        for u in (a, b):
            conversations[u.pk].append(conversation.pk)
    for start in range(0, n_users - GROUP_SIZE + 1, GROUP_SIZE):
        members = people[start : start + GROUP_SIZE]
        conversation = services.create_group_conversation(
            actor=members[0], title=f"Banc d'essai {start // GROUP_SIZE + 1}", people=members[1:]
        )
        groups.append((conversation.pk, [u.pk for u in members]))
        for u in members:
            conversations[u.pk].append(conversation.pk)
    users = []
    for person in people:
        client = Client()
        client.force_login(person)
        _token, raw = account_services.create_api_token(user=person, name="banc d'essai")
        users.append(
            {
                "id": person.pk,
                "cookie": client.cookies["sessionid"].value,
                "token": raw,
                "conversations": conversations[person.pk],
            }
        )
    return World(users=users, directs=directs, groups=groups)


# --- server processes --------------------------------------------------------------------------


class Servers:
    """Two server processes on free ports; their stderr kept to count log lines."""

    def __init__(self, app: str, server: str, layer: str, count: int = 2) -> None:
        self.app, self.server, self.layer = app, server, layer
        self.ports = [free_port() for _ in range(count)]
        self.logs = [tempfile.TemporaryFile() for _ in range(count)]  # noqa: SIM115 - closed on exit
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> "Servers":
        target = "bench.ws_baseline:app" if self.app == "baseline" else "config.asgi:application"
        redis_url = settings.REDIS_URL
        env = daphne_env(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="localhost,127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            LOG_LEVEL="INFO",
            CHANNEL_LAYER_BACKEND=self.layer,
            # The baseline publishes on its own pub/sub channel of the same Redis database.
            BASELINE_REDIS_URL=redis_url,
        )
        for port, log in zip(self.ports, self.logs, strict=True):
            argv = server_argv(self.server, port, target)
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - fixed argv
                    [sys.executable, *argv],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        for port, process in zip(self.ports, self.processes, strict=True):
            wait_for(port, process)
        return self

    def __exit__(self, *exc) -> None:
        keep = ROOT / "var" / "ws_fanout"
        keep.mkdir(parents=True, exist_ok=True)
        (keep / "last-servers.log").write_text(self.log_text()[-200_000:], encoding="utf-8")
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def rss(self) -> list[int]:
        return [_rss(p.pid) for p in self.processes]

    def cpu(self) -> list[float]:
        return [_cpu_seconds(p.pid) for p in self.processes]

    def log_text(self) -> str:
        text = []
        for log in self.logs:
            log.seek(0)
            text.append(log.read().decode(errors="replace"))
        return "\n".join(text)


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- idle sockets ------------------------------------------------------------------------------


async def _idle(servers: Servers, world: World, tabs: int) -> list[tuple[int, int]]:
    from websockets.asyncio.client import connect

    async def one(user: dict, port: int):
        for attempt in range(5):
            try:
                return await _connect(user, port)
            except Exception:  # a handshake refused under load: retry, as a tab would
                if attempt == 4:
                    raise
                await asyncio.sleep(1 + attempt)
        return None

    async def _connect(user: dict, port: int):
        return await connect(
            f"ws://127.0.0.1:{port}/ws/",
            additional_headers={
                "Cookie": f"sessionid={user['cookie']}",
                "Origin": "http://localhost",
            },
            compression=None,
            ping_interval=None,
            open_timeout=60,
        )

    # Warm the processes (imports, connections, thread pools), then close: this is "0 sockets".
    warm = [await one(world.users[0], port) for port in servers.ports]
    for socket in warm:
        await socket.close()
    await asyncio.sleep(2)
    before = servers.rss()
    limit = asyncio.Semaphore(20)

    async def limited(user: dict, port: int):
        async with limit:
            return await one(user, port)

    sockets = await asyncio.gather(
        *(
            limited(user, servers.ports[tab % len(servers.ports)])
            for user in world.users
            for tab in range(tabs)
        )
    )
    await asyncio.sleep(3)
    after = servers.rss()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return list(zip(before, after, strict=True))


# --- sending -----------------------------------------------------------------------------------


class Sender:
    """Sends `RATE` messages per second for `DURATION` seconds, open loop (a slow answer does
    not delay the next send), each from a random member of a random conversation."""

    def __init__(self, app: str, ports: list[int], world: World) -> None:
        self.app, self.ports, self.world = app, ports, world
        self.tokens = {u["id"]: u["token"] for u in world.users}
        self.local = threading.local()
        self.sends: list[tuple] = []  # (message id, conversation, kind, start, end)
        self.errors: list[str] = []
        self.random = random.Random(5)
        self.counter = 0

    def connection(self, port: int) -> HTTPConnection:
        pool = getattr(self.local, "pool", None)
        if pool is None:
            pool = self.local.pool = {}
        if port not in pool:
            pool[port] = HTTPConnection("127.0.0.1", port, timeout=30)
        return pool[port]

    def send(self, n: int, kind: str, conversation: int, members: list[int], author: int) -> None:
        port = self.ports[n % len(self.ports)]
        if self.app == "baseline":
            path = "/send"
            body = json.dumps({"id": n + 1, "conversation": conversation, "to": members})
            headers = {"Content-Type": "application/json", "Host": "localhost"}
        else:
            path = f"/api/v1/conversations/{conversation}/messages"
            body = json.dumps(
                {"body": f"Message d'essai n° {n} : **bonjour**", "client_key": str(uuid.uuid4())}
            )
            headers = {
                "Content-Type": "application/json",
                "Host": "localhost",
                "Authorization": f"Bearer {self.tokens[author]}",
            }
        start = time.monotonic()
        try:
            connection = self.connection(port)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
            except (ConnectionError, OSError):
                connection.close()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
            payload = response.read()
            end = time.monotonic()
            if response.status not in (200, 201):
                self.errors.append(f"{response.status} {payload[:200]!r}")
                return
            message_id = n + 1 if self.app == "baseline" else json.loads(payload)["id"]
            self.sends.append((message_id, conversation, kind, start, end))
        except Exception as error:  # counted and shown, never fatal
            self.errors.append(repr(error))

    def run(self, duration: float, rate: float) -> None:
        total = int(duration * rate)
        started = time.monotonic()
        with ThreadPoolExecutor(SENDERS) as pool:
            for n in range(total):
                if self.random.random() < GROUP_SHARE and self.world.groups:
                    kind, (conversation, members) = "group", self.random.choice(self.world.groups)
                else:
                    kind, (conversation, members) = "direct", self.random.choice(self.world.directs)
                author = self.random.choice(members)
                delay = started + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self.send, n, kind, conversation, members, author)


# --- one run -----------------------------------------------------------------------------------


def _flush_redis() -> None:
    """Empty this benchmark's Redis database: channels and groups left by an earlier run
    (or by another run's dead sockets) would be sent to, and fill up, for nothing."""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def run_one(label: str, app: str, server: str, layer: str, world: World, idle: bool) -> RunResult:
    print(f"  {label}…", flush=True)
    _flush_redis()
    result = RunResult(label, app, server, layer, sockets=len(world.users) * TABS, seconds=DURATION)
    with Servers(app, server, layer) as servers:
        if idle and app == "maillage":
            rss = asyncio.run(_idle(servers, world, IDLE_TABS))
            sockets_per_process = len(world.users) * IDLE_TABS / len(servers.ports)
            result.idle_rss = rss
            result.idle_bytes = [(after - before) / sockets_per_process for before, after in rss]
        first_id = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        out = Path(tempfile.mkdtemp()) / "frames.json"
        plan = {
            "mode": app,
            "ports": servers.ports,
            "users": world.users,
            "tabs": TABS,
            "duration": DURATION,
            "drain": DRAIN,
            "reconnects_per_minute": RECONNECTS_PER_MINUTE,
            "first_id": first_id,
            "out": str(out),
        }
        plan_path = out.with_name("plan.json")
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        client = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.ws_client", str(plan_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([client.stdout], [], [], READY_TIMEOUT)
        line = client.stdout.readline() if ready else "(no answer)"
        if line.strip() != "READY":
            client.kill()
            raise RuntimeError(f"the socket crowd did not start: {line!r}")
        cpu_before = servers.cpu()
        sender = Sender(app, servers.ports, world)
        sender.run(DURATION, RATE)
        client.wait(timeout=DURATION + 120)
        result.cpu_seconds = [b - a for a, b in zip(cpu_before, servers.cpu(), strict=True)]
        log = servers.log_text()
    seen = json.loads(out.read_text(encoding="utf-8"))
    shutil.rmtree(out.parent, ignore_errors=True)
    _analyse(result, world, sender, seen, first_id, log)
    # The raw facts of the last run of each kind, for a closer look.
    keep = ROOT / "var" / "ws_fanout"
    keep.mkdir(parents=True, exist_ok=True)
    name = label.lower().replace(", ", "-").replace("/", "").replace(" ", "-")
    (keep / f"{name}.log").write_text(log[-200_000:], encoding="utf-8")
    (keep / f"{name}.json").write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    return result


def _analyse(result: RunResult, world, sender: Sender, seen: dict, first_id: int, log: str) -> None:
    sends = {s[0]: s for s in sender.sends}
    result.sent = len(sends)
    result.send_errors = len(sender.errors)
    if sender.errors:
        result.client_errors += [f"send: {e}" for e in sender.errors[:5]]
    if sends:
        starts = [s[3] for s in sends.values()]
        span = max(starts) - min(starts)
        result.achieved_rate = (len(sends) - 1) / span if span else 0.0
        t0 = min(starts)
        result.request = Latency.of([s[4] - s[3] for s in sends.values() if s[3] >= t0 + WARM_UP])
    else:
        t0 = 0.0
    first_arrival: dict[tuple[int, int], float] = {}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    by_connection: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, number, message_id, arrived, seq in seen["frames"]:
        key = (index, message_id)
        counts[key] += 1
        first_arrival.setdefault(key, arrived)
        if seq is not None:
            by_connection[(index, number)].append(seq)
    result.duplicated = sum(c - 1 for c in counts.values() if c > 1)
    result.seq_gaps = sum(max(q) - min(q) + 1 - len(set(q)) for q in by_connection.values())
    result.reordered = sum(
        sum(1 for a, b in itertools.pairwise(q) if b < a) for q in by_connection.values()
    )
    result.drained = seen.get("drained", 0.0)
    direct, group = [], []
    for (_index, message_id), arrived in first_arrival.items():
        sent = sends.get(message_id)
        if sent is None or sent[3] < t0 + WARM_UP:
            continue
        (direct if sent[2] == "direct" else group).append(arrived - sent[3])
    result.direct, result.group = Latency.of(direct), Latency.of(group)
    # What each socket should have had.
    if result.app == "maillage":
        by_conversation = defaultdict(set)
        for message_id, conversation in Message.objects.filter(pk__gt=first_id).values_list(
            "pk", "conversation_id"
        ):
            by_conversation[conversation].add(message_id)
    else:
        by_conversation = defaultdict(set)
        for message_id, conversation, *_ in sends.values():
            by_conversation[conversation].add(message_id)
    live = defaultdict(set)
    for index, message_id in counts:
        live[index].add(message_id)
    resync = {int(k): set(v) for k, v in seen["resync"].items()}
    lost = caught_up = 0
    for index in range(len(world.users) * TABS):
        user = world.users[index // TABS]
        expected = set().union(*(by_conversation[c] for c in user["conversations"]))
        got = live[index] | resync.get(index, set())
        lost += len(expected - got)
        caught_up += len(resync.get(index, set()) - live[index])
    result.lost, result.caught_up = lost, caught_up
    result.reconnects = seen["reconnects"]
    result.resync_requests = seen["resync_requests"]
    result.connect_failures = seen.get("connect_failures", 0)
    result.client_errors += seen["errors"]
    result.over_capacity = log.count("over capacity")
    result.server_errors = sum(
        1 for line in log.splitlines() if "Traceback" in line or " ERROR " in line
    )


# --- the plan ----------------------------------------------------------------------------------


def run() -> WsResults:
    results = WsResults(
        only=os.environ.get("WS_BENCH_ONLY", ""),
        users=USERS,
        tabs=TABS,
        group_size=GROUP_SIZE,
        groups=USERS // GROUP_SIZE,
        rate=RATE,
        group_share=GROUP_SHARE,
        duration=DURATION,
    )
    _flush_redis()
    print(f"  {unread_bench.UNREAD:,} unread messages for one person…", flush=True)
    results.unread = unread_bench.run()
    print(f"  seeding {USERS} people, their conversations, sessions and tokens…", flush=True)
    with override_settings(SECRET_KEY=SECRET_KEY):
        world = build_world()
        # One message before the runs: catching up asks for messages `after` an id, and ids
        # start at 1.
        first = Conversation.objects.get(pk=world.directs[0][0])
        services.send_message(
            author=first.participants.first().user,
            conversation=first,
            body="Premier message",
            client_key=uuid.uuid4(),
        )
    plan = [
        ("Maillage, daphne, core layer", "maillage", "daphne", CORE, True),
        ("Maillage, daphne, pub/sub layer", "maillage", "daphne", PUBSUB, False),
        ("Baseline, daphne", "baseline", "daphne", CORE, False),
    ]
    # Off by default: on the shared machine the uvicorn run did not finish in time (see the
    # report); WS_BENCH_UVICORN=1 adds it.
    if os.environ.get("WS_BENCH_UVICORN", "0") == "1" and _has("uvicorn"):
        plan += [
            ("Maillage, uvicorn, core layer", "maillage", "uvicorn", CORE, True),
            ("Maillage, uvicorn, pub/sub layer", "maillage", "uvicorn", PUBSUB, False),
            ("Baseline, uvicorn", "baseline", "uvicorn", CORE, False),
        ]
    only = os.environ.get("WS_BENCH_ONLY")
    for label, app, server, layer, idle in plan:
        if only and not any(part in label for part in only.split("|")):
            continue
        results.runs.append(run_one(label, app, server, layer, world, idle))
    return results


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True
