"""The fan-out benchmark's baseline: the least a server can do for the same job.

A raw ASGI application, written only for the benchmark: `POST /send {"id", "conversation",
"to": [user ids]}` publishes one Redis pub/sub message; every process is subscribed and writes
it to its own sockets of those users (`/ws/?u=<user id>`). No authentication, no database, no
Django. Run two of them (daphne or uvicorn) on one Redis database, as Maillage runs.
"""

import asyncio
import json
import os
from urllib.parse import parse_qs

import redis.asyncio as redis

CHANNEL = "bench-baseline"
_sockets: dict[int, set] = {}  # user id → the `send` callables of this process's sockets
_state: dict = {}


async def _client() -> redis.Redis:
    if "redis" not in _state:
        _state["redis"] = redis.from_url(os.environ["BASELINE_REDIS_URL"])
    return _state["redis"]


async def _start_reader() -> None:
    if "reader" in _state:
        return
    _state["reader"] = True
    pubsub = (await _client()).pubsub()
    await pubsub.subscribe(CHANNEL)
    _state["reader"] = asyncio.ensure_future(_read(pubsub))


async def _read(pubsub) -> None:
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is None:
            continue
        data = json.loads(message["data"])
        frame = json.dumps(
            {
                "type": "message.created",
                "data": {"id": data["id"], "conversation": data["conversation"]},
            }
        )
        for uid in data["to"]:
            for send in list(_sockets.get(uid, ())):
                try:
                    await send({"type": "websocket.send", "text": frame})
                except Exception:  # noqa: S112 - a socket closing meanwhile
                    continue


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await _start_reader()
    if scope["type"] == "http":
        await _http(receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)


async def _http(receive, send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await (await _client()).publish(CHANNEL, body)
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


async def _websocket(scope, receive, send) -> None:
    uid = int(parse_qs(scope["query_string"].decode())["u"][0])
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    _sockets.setdefault(uid, set()).add(send)
    try:
        while (await receive())["type"] != "websocket.disconnect":
            pass
    finally:
        _sockets[uid].discard(send)
