"""A 1 GiB file up and down through a real daphne process: its memory, throughput, and TTFB.

Daphne runs `config.asgi:application` as in production (DEBUG off, PostgreSQL, Redis,
local storage in a temporary folder), in its own process, so its memory is measured alone:
VmRSS before each phase, and the phase's peak from VmHWM (reset through
/proc/<pid>/clear_refs when the phase starts), checked against samples taken every 5 ms.
The client is this process, on loopback, with `http.client`: the file's bytes are generated
while they are sent (a 1 MiB random pattern behind a PDF header, so the content is sniffed
as a PDF) and checked while they are received, never held whole on either side.
"""

import contextlib
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from django.conf import settings
from django.db import connection

from accounts.models import User
from accounts.services import create_api_token
from tests.factories import UserFactory
from tests.servers import ROOT, free_port, wait_for

MiB = 1024 * 1024
SIZE = 1024 * MiB
CHUNK = 8 * MiB  # FILES_CHUNK_SIZE's default, what browsers use
DIRECT_POST = 100 * 1000 * 1000  # "100 MB": the default FILES_MAX_SIZE, sent in one request
DIRECT_SMALL = CHUNK  # a file a direct POST may carry (under MAX_REQUEST_BODY)
PATTERN = 1 * MiB
SEND_BLOCK = 256 * 1024
READ_BLOCK = 1 * MiB
TARGET_GROWTH = 64 * MiB
SAMPLE_EVERY = 0.005
DOWNLOADS = 3  # how much daphne buffers depends on the client keeping up: it varies
# The slow client: reads this fast, until the server has buffered this much or time is up.
SLOW_READ_RATE = 10 * 1000 * 1000
SLOW_READ_SECONDS = 10
SLOW_READ_CAP = 512 * MiB
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


# --- The file ----------------------------------------------------------------------------------


class Content:
    """`size` bytes: a PDF header, then a random 1 MiB pattern repeated; any slice on demand."""

    def __init__(self, size: int, seed: int = 2026) -> None:
        pattern = PDF_HEADER + random_bytes(PATTERN - len(PDF_HEADER), seed)
        self.size = size
        self._twice = pattern + pattern  # any PATTERN-long window is one contiguous slice

    def blocks(self, start: int, length: int, block: int = SEND_BLOCK) -> Iterator[memoryview]:
        view = memoryview(self._twice)
        position, end = start, start + length
        while position < end:
            n = min(block, end - position, PATTERN)
            offset = position % PATTERN
            yield view[offset : offset + n]
            position += n

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for block in self.blocks(0, self.size, PATTERN):
            digest.update(block)
        return digest.hexdigest()

    def crc32(self, start: int = 0, length: int | None = None) -> int:
        crc = 0
        for block in self.blocks(start, self.size - start if length is None else length, PATTERN):
            crc = zlib.crc32(block, crc)
        return crc


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


# --- The server's memory -----------------------------------------------------------------------


class Memory:
    """The resident memory of one process, from /proc (in bytes)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.can_reset_peak = self._reset_peak()

    def status(self) -> dict[str, int]:
        values = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0]) * 1024
        return values

    def rss(self) -> int:
        return self.status()["VmRSS"]

    def _reset_peak(self) -> bool:
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")  # VmHWM := VmRSS (Linux 4.0+)
        except OSError:
            return False
        return True

    @contextlib.contextmanager
    def watch(self) -> Iterator["Watch"]:
        """Measure a phase: RSS before, after, and at its peak."""
        self._reset_peak()
        watch = Watch(before=self.rss())
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError, KeyError):
                    watch.sampled_peak = max(watch.sampled_peak, self.rss())
                stop.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield watch
        finally:
            stop.set()
            sampler.join()
            status = self.status()
            watch.after = status["VmRSS"]
            watch.peak = max(watch.sampled_peak, status["VmHWM"] if self.can_reset_peak else 0)


@dataclass
class Watch:
    before: int
    after: int = 0
    peak: int = 0
    sampled_peak: int = 0

    @property
    def growth(self) -> int:
        return max(self.peak - self.before, 0)


# --- Results -----------------------------------------------------------------------------------


@dataclass
class Phase:
    label: str
    bytes: int
    seconds: float
    memory: Watch
    status: int = 0
    note: str = ""
    stall: float = 0.0  # the longest a small concurrent request waited meanwhile

    @property
    def throughput(self) -> float:
        """MB/s (10^6 bytes a second)."""
        return self.bytes / self.seconds / 1e6 if self.seconds else 0.0


@dataclass
class FilesResults:
    size: int
    chunk_size: int
    max_request_body: int
    started_rss: int = 0
    warm_rss: int = 0
    peak_reset: bool = True
    upload: Phase | None = None
    finalise: Phase | None = None
    downloads: list[Phase] = field(default_factory=list)  # the same download, DOWNLOADS times
    ttfb_headers: float = 0.0  # medians over the downloads
    ttfb_body: float = 0.0
    direct_small: Phase | None = None
    direct_post: Phase | None = None
    slow_reader: Phase | None = None
    slow_cut: str = ""  # "cap" (the server held SLOW_READ_CAP), "time" or "end"
    slow_rss_after: int = 0  # a second after the slow client left
    slow_rss_later: int = 0  # five seconds after
    # The two direct POSTs again, with Twisted's form parsing switched off.
    without_form_parsing: list[Phase] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    disk_free: int = 0
    skipped: str = ""
    seconds: float = 0.0

    @property
    def upload_growth(self) -> int:
        return max(p.memory.growth for p in (self.upload, self.finalise))


# --- HTTP --------------------------------------------------------------------------------------


class Api:
    """One keep-alive connection to the daphne process, with a personal API token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",  # as nginx says it, in front of daphne
        }
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def request(self, method: str, path: str, body=None, headers=None, *, parse=True):
        try:
            self.connection.request(
                method, path, body=body, headers={**self.headers, **(headers or {})}
            )
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = self._connect()
            raise
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = self._connect()
        if not parse:
            return response.status, data
        return response.status, json.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


def _multipart(fields: dict[str, str], boundary: str) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def _expect(status: int, wanted: int, body) -> None:
    if status != wanted:
        raise RuntimeError(f"HTTP {status} (expected {wanted}): {body!r}"[:500])


def upload(api: Api, content: Content, name: str) -> tuple[str, float, int]:
    """Announce, send every chunk, return (upload id, seconds, chunks)."""
    status, body = api.request(
        "POST",
        "/api/v1/uploads",
        json.dumps({"name": name, "size": content.size}),
        {"Content-Type": "application/json"},
    )
    _expect(status, 201, body)
    upload_id, chunk = body["id"], body["chunk_size"]
    started = time.perf_counter()
    chunks = 0
    for offset in range(0, content.size, chunk):
        length = min(chunk, content.size - offset)
        status, body = api.request(
            "PUT",
            f"/api/v1/uploads/{upload_id}?offset={offset}",
            content.blocks(offset, length),
            {"Content-Type": "application/octet-stream", "Content-Length": str(length)},
        )
        _expect(status, 200, body)
        chunks += 1
    return upload_id, time.perf_counter() - started, chunks


def finalise(api: Api, upload_id: str) -> tuple[dict, float]:
    boundary = secrets.token_hex(12)
    started = time.perf_counter()
    status, body = api.request(
        "POST",
        "/api/v1/files",
        _multipart({"upload": upload_id}, boundary),
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    _expect(status, 201, body)
    return body, time.perf_counter() - started


def download(port: int, headers: dict, path: str) -> tuple[int, float, float, float, int]:
    """(status, headers TTFB, first body byte TTFB, total seconds, crc32) of one download."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        got_headers = time.perf_counter() - started
        first = response.read(1)
        first_byte = time.perf_counter() - started
        crc, length = zlib.crc32(first), len(first)
        while block := response.read(READ_BLOCK):
            crc = zlib.crc32(block, crc)
            length += len(block)
        total = time.perf_counter() - started
    finally:
        connection.close()
    return response.status, got_headers, first_byte, total, crc if length else -1


def direct_post(port: int, headers: dict, content: Content, size: int) -> tuple[int, bytes, float]:
    """One multipart POST carrying `size` bytes of file: what an API client might try."""
    boundary = secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="gros-dossier.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator:
        yield head
        yield from content.blocks(0, size)
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            "/api/v1/files",
            body=body(),
            headers={
                **headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)),
            },
        )
        response = connection.getresponse()
        data = response.read()
        status = response.status
    except (ConnectionError, http.client.HTTPException) as error:
        status, data = 0, str(error).encode()
    finally:
        connection.close()
    return status, data, time.perf_counter() - started


def slow_read(
    port: int, headers: dict, path: str, memory: Memory, before: int
) -> tuple[int, float, str]:
    """Read a download at SLOW_READ_RATE; stop at SLOW_READ_SECONDS or when the server holds
    SLOW_READ_CAP more than before. Returns (bytes read, seconds, why it stopped)."""
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
    received, started, why = 0, time.perf_counter(), "time"
    try:
        sock.sendall(request)
        while True:
            elapsed = time.perf_counter() - started
            if elapsed > SLOW_READ_SECONDS:
                break
            if memory.rss() - before > SLOW_READ_CAP:
                why = "cap"
                break
            allowed = int(elapsed * SLOW_READ_RATE) - received
            if allowed <= 0:
                time.sleep(0.01)
                continue
            try:
                data = sock.recv(min(allowed, 64 * 1024))
            except TimeoutError:
                continue  # nothing more came (the whole file was read): the clock decides
            if not data:
                why = "end"
                break
            received += len(data)
    finally:
        sock.close()
    return received, time.perf_counter() - started, why


# --- The server --------------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# Twisted parses every multipart/form-data POST body into `request.args` (through the e-mail
# parser, in memory, in the reactor thread) before daphne hands the body to the application,
# which never reads `args`. The comparison run switches that off, as a one-line patch could.
WITHOUT_FORM_PARSING = (
    "import functools, daphne.http_protocol as protocol; "
    "protocol.WebRequest.__init__ = functools.partialmethod("
    "protocol.WebRequest.__init__, parsePOSTFormSubmission=False); "
    "from daphne.cli import CommandLineInterface; CommandLineInterface.entrypoint()"
)


@contextlib.contextmanager
def daphne(folder: Path, *, form_parsing: bool = True) -> Iterator[tuple[int, subprocess.Popen]]:
    """A production-like daphne process: DEBUG off, storage and staging inside `folder`."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": "maillage-bench-files",
        "CELERY_BROKER_URL": "",  # previews inline, as in the embedded default
        "FILES_ROOT": str(folder / "files"),
        "FILES_STAGING_DIR": str(folder / "uploads"),
        "FILES_MAX_SIZE": str(2 * SIZE),
        "FILES_CHUNK_SIZE": str(CHUNK),
        "TMPDIR": str(folder / "tmp"),  # Twisted and Django spool request bodies here
    }
    for sub in ("files", "uploads", "tmp"):
        (folder / sub).mkdir(exist_ok=True)
    launch = ["-m", "daphne"] if form_parsing else ["-c", WITHOUT_FORM_PARSING]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            *launch,
            *("-b", "127.0.0.1", "-p", str(port), "config.asgi:application"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(port, process, timeout=60)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- The plan ----------------------------------------------------------------------------------


def run(size: int = SIZE) -> FilesResults:
    started = time.perf_counter()
    results = FilesResults(size=size, chunk_size=CHUNK, max_request_body=CHUNK + MiB)
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        results.skipped = "needs PostgreSQL and Redis (the daphne process shares them)"
        return results
    parent = Path(tempfile.gettempdir())
    results.disk_free = shutil.disk_usage(parent).free
    needed = 2 * size + DIRECT_POST + 512 * MiB  # staged, stored, a spooled body, margin
    if results.disk_free < needed:
        results.skipped = (
            f"{results.disk_free / MiB:,.0f} MiB free in {parent}, {needed / MiB:,.0f} needed"
        )
        return results
    print(f"  Preparing {size / MiB:,.0f} MiB of content…", flush=True)
    content = Content(size)
    expected_sha256, expected_crc = content.sha256(), content.crc32()
    user = UserFactory(kind=User.Kind.STAFF, display_name="Bastien Banc-d'Essai")
    _token, token = create_api_token(user=user, name="benchmark files")
    folder = Path(tempfile.mkdtemp(prefix="maillage-bench-files-", dir=parent))
    try:
        with daphne(folder) as (port, process):
            memory = Memory(process.pid)
            results.peak_reset = memory.can_reset_peak
            results.started_rss = memory.rss()
            api = Api(port, token)
            try:
                _measure(results, api, port, memory, content, expected_sha256, expected_crc)
            finally:
                api.close()
        print("  The direct POSTs again, Twisted's form parsing off…", flush=True)
        with daphne(folder, form_parsing=False) as (port, process):
            memory = Memory(process.pid)
            api = Api(port, token)
            try:
                _warm_up(api, port, memory)
                results.without_form_parsing = _direct_posts(api, port, memory, content)
            finally:
                api.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results.seconds = time.perf_counter() - started
    return results


def _measure(results, api, port, memory, content, expected_sha256, expected_crc) -> None:
    headers = dict(api.headers)
    results.warm_rss = _warm_up(api, port, memory)

    print(f"  Upload: {content.size // CHUNK} chunks of {CHUNK // MiB} MiB…", flush=True)
    with memory.watch() as watch:
        upload_id, seconds, chunks = upload(api, content, "dossier-enorme.pdf")
    results.upload = Phase(
        f"Upload, {chunks} chunks (PUT /api/v1/uploads/{{id}})", content.size, seconds, watch
    )
    print("  Finalise: POST /api/v1/files…", flush=True)
    with memory.watch() as watch:
        stored, seconds = finalise(api, upload_id)
    results.finalise = Phase(
        "Finalise (POST /api/v1/files with `upload`): SHA-256, type, move into storage",
        content.size,
        seconds,
        watch,
    )
    results.checks["stored SHA-256 matches the file sent"] = stored["sha256"] == expected_sha256
    results.checks["stored size matches"] = stored["size"] == content.size
    results.checks["sniffed as application/pdf"] = stored["mime_type"] == "application/pdf"

    path = f"/api/v1/files/{stored['id']}/download"
    ttfb_headers, ttfb_body = [], []
    for run in range(1, DOWNLOADS + 1):
        print(f"  Download {run}/{DOWNLOADS}: GET /api/v1/files/{{id}}/download…", flush=True)
        with memory.watch() as watch:
            status, got_headers, first_byte, seconds, crc = download(port, headers, path)
        results.downloads.append(
            Phase(
                f"Download, run {run} of {DOWNLOADS} (GET /api/v1/files/{{id}}/download)",
                content.size,
                seconds,
                watch,
                status,
            )
        )
        ttfb_headers.append(got_headers)
        ttfb_body.append(first_byte)
        results.checks["downloaded bytes match (CRC-32)"] = (
            results.checks.get("downloaded bytes match (CRC-32)", True)
            and status == 200
            and crc == expected_crc
        )
    results.ttfb_headers, results.ttfb_body = median(ttfb_headers), median(ttfb_body)

    print("  Direct multipart POSTs…", flush=True)
    results.direct_small, results.direct_post = _direct_posts(api, port, memory, content)
    results.checks["a direct POST under the limit is stored"] = results.direct_small.status == 201
    results.checks["the direct POST over the limit is refused with 413"] = (
        results.direct_post.status == 413
    )

    print(f"  A slow client ({SLOW_READ_RATE / 1e6:.0f} MB/s) downloads…", flush=True)
    with memory.watch() as watch:
        received, seconds, results.slow_cut = slow_read(port, headers, path, memory, watch.before)
    time.sleep(1)  # the server notices the closed connection
    results.slow_rss_after = memory.rss()
    time.sleep(4)
    results.slow_rss_later = memory.rss()
    results.slow_reader = Phase(
        f"Download by a client reading {SLOW_READ_RATE / 1e6:.0f} MB/s, cut after "
        f"{SLOW_READ_SECONDS} s or once the server holds {SLOW_READ_CAP // MiB} MiB more",
        received,
        seconds,
        watch,
    )


def _warm_up(api: Api, port: int, memory: Memory) -> int:
    """Every code path once (a small file up and down), so the phases pay no imports."""
    small = Content(3 * CHUNK // 2, seed=1)
    warm_id, _seconds, _chunks = upload(api, small, "echauffement.pdf")
    warm_file, _seconds = finalise(api, warm_id)
    download(api.port, dict(api.headers), f"/api/v1/files/{warm_file['id']}/download")
    direct_post(port, dict(api.headers), small, 64 * 1024)
    return memory.rss()


def _direct_posts(api: Api, port: int, memory: Memory, content: Content) -> list[Phase]:
    phases = []
    for size in (DIRECT_SMALL, DIRECT_POST):
        with memory.watch() as watch, Prober(port, dict(api.headers)) as prober:
            status, body, seconds = direct_post(port, dict(api.headers), content, size)
        detail = ""
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            detail = json.loads(body).get("detail", "")
        amount = f"{size / MiB:.0f} MiB" if size == DIRECT_SMALL else f"{size / 1e6:.0f} MB"
        phases.append(
            Phase(
                f"Direct multipart POST of {amount} (POST /api/v1/files with `file`)",
                size,
                seconds,
                watch,
                status,
                detail,
                stall=prober.longest,
            )
        )
    return phases


class Prober:
    """Another client asking for a small page (GET /api/v1/me) every 20 ms meanwhile: how long
    the server made it wait shows whether one request stalls everyone else."""

    def __init__(self, port: int, headers: dict) -> None:
        self.port, self.headers = port, headers
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def __enter__(self) -> "Prober":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _probe(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                connection.request("GET", "/api/v1/me", headers=self.headers)
                response = connection.getresponse()
                response.read()
                self.longest = max(self.longest, time.perf_counter() - started)
                self._stop.wait(0.02)
        finally:
            connection.close()
