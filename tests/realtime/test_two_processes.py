"""Two real daphne processes sharing Redis: an event reaches a user on whichever one they are."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from websockets.exceptions import InvalidStatus

from realtime import events

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis (always present in CI, where absence is an error)",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"daphne did not listen on {port}")


@pytest.fixture(scope="module")
def two_daphnes(django_db_setup):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_for(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_an_event_reaches_the_user_on_both_server_processes(staff, two_daphnes):
    client = Client()
    client.force_login(staff)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def scenario():
        sockets = [
            await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": cookie},
            )
            for port in two_daphnes
        ]
        await asyncio.sleep(0.3)  # both processes have joined the user's group

        def write():
            try:
                with transaction.atomic():
                    events.publish([staff.pk], "notification.count", {"count": 7})
            finally:
                connection.close()  # this thread's own connection

        await asyncio.to_thread(write)
        for ws in sockets:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert event["type"] == "notification.count"
            assert event["data"] == {"count": 7}
            await ws.close()

    asyncio.run(scenario())


def test_a_foreign_origin_is_refused_by_a_real_server(two_daphnes):
    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                f"ws://127.0.0.1:{two_daphnes[0]}/ws/", origin="https://evil.example"
            )
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())
