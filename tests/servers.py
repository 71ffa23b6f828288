"""Real server processes (daphne, or uvicorn as production runs it) for tests and benchmarks
that need the whole server stack (HTTP and WebSockets over sockets)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


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
    raise TimeoutError(f"the server did not listen on {port}")


def daphne_env(**extra: str) -> dict[str, str]:
    """The test database and Redis, seen from another process."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        **extra,
    }


def server_argv(server: str, port: int, app: str = "config.asgi:application") -> list[str]:
    """The arguments of `python` for one server process on `port`: daphne (the development
    server) or uvicorn with the options production uses (docs/deploy.md)."""
    if server == "uvicorn":
        return [
            "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--ws", "websockets",
            "--ws-per-message-deflate", "false", "--lifespan", "off",
            "--no-access-log", "--log-level", "warning", app,
        ]  # fmt: skip
    return ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]


@contextmanager
def servers(count: int = 1, *, server: str = "daphne", **env: str) -> Iterator[list[int]]:
    """`count` processes of `server` on free ports, stopped on exit."""
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, *server_argv(server, port)],
            cwd=ROOT,
            env=daphne_env(**env),
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
