"""The fan-out benchmark's socket side, in its own process: `python -m bench.ws_client plan.json`.

Opens two sockets per user (one on each server process), records every frame with its arrival
time (`time.monotonic()`, the same clock in every process of the machine), and keeps closing
random sockets and reopening them a moment later; a reopened socket catches up through
`GET /api/v1/conversations/{id}/messages?after=<last id it saw>`, as static/js/realtime.js does.
Prints READY once every socket is open, then runs for the plan's duration and writes what it
saw to the plan's `out` file. No Django here: this process is only a crowd of browsers.
"""

import asyncio
import json
import random
import sys
import time

from websockets.asyncio.client import connect

CONNECT_CONCURRENCY = 20
OFFLINE_SECONDS = (0.5, 3.0)
QUIET_END_SECONDS = 6
QUIET_SECONDS = 3.0
MAX_DRAIN_SECONDS = 40.0  # no socket closes in the last seconds: all are back before the end


class Crowd:
    def __init__(self, plan: dict) -> None:
        self.plan = plan
        self.mode = plan["mode"]
        self.users = plan["users"]
        self.ports = plan["ports"]
        self.frames: list[tuple] = []  # (socket, connection number, message id, time, seq)
        self.resync: dict[int, list[int]] = {}
        self.last_seen: dict[int, dict[int, int]] = {}  # socket → conversation → last id
        self.sockets: dict[int, object] = {}
        self.connections: dict[int, int] = {}
        self.readers: dict[int, asyncio.Task] = {}
        self.reconnects = 0
        self.drained = 0.0
        self.connect_failures = 0
        self.resync_requests = 0
        self.errors: list[str] = []

    def user_of(self, index: int) -> dict:
        return self.users[index // self.plan["tabs"]]

    def port_of(self, index: int) -> int:
        return self.ports[index % len(self.ports)]

    async def open(self, index: int) -> None:
        """Open the socket, retrying a refused handshake after a pause, as a tab would."""
        for attempt in range(6):
            try:
                await self._open(index)
                return
            except Exception as error:
                self.connect_failures += 1
                if attempt == 5:
                    raise
                self.errors.append(f"connect {index}: {error!r}")
                await asyncio.sleep(1 + attempt)

    async def _open(self, index: int) -> None:
        user = self.user_of(index)
        port = self.port_of(index)
        if self.mode == "baseline":
            url, headers = f"ws://127.0.0.1:{port}/ws/?u={user['id']}", {}
        else:
            url = f"ws://127.0.0.1:{port}/ws/"
            headers = {"Cookie": f"sessionid={user['cookie']}", "Origin": "http://localhost"}
        socket = await connect(
            url,
            additional_headers=headers,
            compression=None,
            ping_interval=None,
            open_timeout=30,
            max_queue=None,
        )
        self.connections[index] = self.connections.get(index, 0) + 1
        self.sockets[index] = socket
        self.readers[index] = asyncio.create_task(self.read(index, socket))

    async def read(self, index: int, socket) -> None:
        number = self.connections[index]
        seen = self.last_seen.setdefault(index, {})
        try:
            async for text in socket:
                arrived = time.monotonic()
                frame = json.loads(text)
                if frame.get("type") != "message.created":
                    continue
                data = frame["data"]
                self.frames.append((index, number, data["id"], arrived, frame.get("seq")))
                conversation = data["conversation"]
                seen[conversation] = max(seen.get(conversation, 0), data["id"])
        except Exception as error:
            if self.sockets.get(index) is socket:
                self.errors.append(f"socket {index}: {error!r}")

    async def bounce(self, index: int) -> None:
        """Close a socket, stay away a moment, come back and catch up through the API."""
        socket = self.sockets.pop(index)
        await socket.close()
        await self.readers.pop(index)
        # What this tab had seen when it went away (frames arriving after it reopens must not
        # move the catch-up point past what it missed).
        since = dict(self.last_seen.setdefault(index, {}))
        await asyncio.sleep(random.uniform(*OFFLINE_SECONDS))
        await self.open(index)
        self.reconnects += 1
        if self.mode == "baseline":
            return
        user = self.user_of(index)
        for conversation in user["conversations"]:
            after = since.get(conversation, self.plan["first_id"])
            while True:
                page = await self.get(
                    self.port_of(index),
                    f"/api/v1/conversations/{conversation}/messages?after={after}&limit=100",
                    user["token"],
                )
                self.resync_requests += 1
                ids = [item["id"] for item in page["items"]]
                self.resync.setdefault(index, []).extend(ids)
                if not page["has_more"] or not ids:
                    break
                after = ids[-1]

    @staticmethod
    async def get(port: int, path: str, token: str) -> dict:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        raw = await reader.read()
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if b"transfer-encoding: chunked" in head.lower():
            body = _unchunk(body)
        if status != b"200":
            raise RuntimeError(f"GET {path}: {head[:200]!r} {body[:300]!r}")
        return json.loads(body)

    async def run(self) -> None:
        total = len(self.users) * self.plan["tabs"]
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def opened(index: int) -> None:
            async with limit:
                await self.open(index)

        await asyncio.gather(*(opened(i) for i in range(total)))
        self.connections = dict.fromkeys(self.connections, 1)
        print("READY", flush=True)
        started = time.monotonic()
        duration = self.plan["duration"]
        rate = self.plan["reconnects_per_minute"] * total / 60
        bounces = []
        if rate > 0:
            next_at = started + 2
            while next_at < started + duration - QUIET_END_SECONDS:
                await asyncio.sleep(max(0, next_at - time.monotonic()))
                idle = [i for i in range(total) if i in self.sockets]
                bounces.append(asyncio.create_task(self.bounce(random.choice(idle))))
                next_at += 1 / rate
        # Drain: until no frame has come for a while (late is not lost), at most MAX_DRAIN.
        await asyncio.sleep(max(0, started + duration + self.plan["drain"] - time.monotonic()))
        deadline = started + duration + MAX_DRAIN_SECONDS
        while time.monotonic() < deadline:
            last = self.frames[-1][3] if self.frames else started
            if time.monotonic() - last > QUIET_SECONDS:
                break
            await asyncio.sleep(0.5)
        self.drained = time.monotonic() - started - duration
        for task in bounces:
            try:
                await task
            except Exception as error:
                self.errors.append(f"bounce: {error!r}")
        sockets = list(self.sockets.values())
        self.sockets = {}
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    def result(self) -> dict:
        return {
            "frames": self.frames,
            "resync": self.resync,
            "reconnects": self.reconnects,
            "drained": self.drained,
            "connect_failures": self.connect_failures,
            "resync_requests": self.resync_requests,
            "errors": self.errors[:20],
            "error_count": len(self.errors),
        }


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as source:
        plan = json.load(source)
    random.seed(plan.get("seed", 5))
    crowd = Crowd(plan)
    asyncio.run(crowd.run())
    with open(plan["out"], "w", encoding="utf-8") as out:
        json.dump(crowd.result(), out)


if __name__ == "__main__":
    main()
