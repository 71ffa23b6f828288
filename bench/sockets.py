"""Realtime fan-out: `events.publish` to sockets connected through the real ASGI application.

Every socket goes through the origin check, the session cookie and the auth middleware of
`config.asgi.application`, and every event through the configured channel layer (Redis when it
runs). The sockets live in this process; the layer's round trips to Redis are real.
"""

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from bench.stats import summary
from config.asgi import application
from realtime import events

EVENTS = 100
WARM_UP = 5
# Events sent once to a single socket before the first case, so that no case pays for
# opening Redis connections and warming the thread pools.
RUN_WARM_UP = 100
RECEIVE_TIMEOUT = 10


@dataclass
class FanOut:
    label: str
    users: int
    sockets: int
    events: int
    connect_median: float
    publish_median: float
    publish_p95: float
    first_median: float
    last_median: float
    last_p95: float


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/", headers=headers)


@dataclass
class Case:
    label: str
    cookies: dict[int, str]  # user id → session key
    tabs: int  # open sockets per user


def fan_out(cases: list[Case], n_events: int = EVENTS) -> list[FanOut]:
    """Publish `n_events` events to the users of each case, each with `tabs` open sockets.

    All cases run in one event loop: the channel layer is one object per process, and its
    receive lock must not outlive the loop that made it. `publish` is called as a view would
    call it (sync, outside a transaction, so the after-commit send happens at once). Timings:
    `publish` = until the call returns (what the request pays); `first`/`last` = until the
    first/last socket has received the event.
    """
    return async_to_sync(_run)(cases, n_events)


async def _run(cases: list[Case], n_events: int) -> list[FanOut]:
    results = []
    try:
        await _fan_out("warm-up", cases[0].cookies, 1, RUN_WARM_UP)
        for case in cases:
            print(f"  {case.label}", flush=True)
            results.append(await _fan_out(case.label, case.cookies, case.tabs, n_events))
    finally:
        # Drops this run's keys (Redis database 14) and closes this loop's connections.
        await get_channel_layer().flush()
    return results


async def _fan_out(label: str, cookies: dict[int, str], tabs: int, n_events: int) -> FanOut:
    sockets = []
    connect_times = []
    for cookie in cookies.values():
        for _ in range(tabs):
            socket = communicator(cookie)
            start = time.perf_counter()
            connected, _ = await socket.connect(timeout=RECEIVE_TIMEOUT)
            connect_times.append(time.perf_counter() - start)
            if not connected:
                raise RuntimeError("a socket was refused")
            sockets.append(socket)
    publish = sync_to_async(events.publish)
    recipients = list(cookies)
    publish_times, first, last = [], [], []
    try:
        for seq in range(-WARM_UP, n_events):
            start = time.perf_counter()
            await publish(recipients, "bench.ping", {"seq": seq})
            published = time.perf_counter()
            arrivals = await asyncio.gather(*(_arrival(s, seq) for s in sockets))
            if seq < 0:
                continue
            publish_times.append(published - start)
            first.append(min(arrivals) - start)
            last.append(max(arrivals) - start)
    finally:
        for socket in sockets:
            await socket.disconnect()
    publish_stats, last_stats = summary(publish_times), summary(last)
    return FanOut(
        label=label,
        users=len(cookies),
        sockets=len(sockets),
        events=n_events,
        connect_median=summary(connect_times)["median"],
        publish_median=publish_stats["median"],
        publish_p95=publish_stats["p95"],
        first_median=summary(first)["median"],
        last_median=last_stats["median"],
        last_p95=last_stats["p95"],
    )


async def _arrival(socket: WebsocketCommunicator, seq: int) -> float:
    event = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
    arrived = time.perf_counter()
    if event["type"] != "bench.ping" or event["data"]["seq"] != seq:
        raise RuntimeError(f"unexpected event {event!r}, waiting for {seq}")
    return arrived
