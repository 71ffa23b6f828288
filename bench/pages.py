"""Pages and API through Django's test client: latency and queries per request."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.stats import summary

REQUESTS = 50
WARM_UP = 5


@dataclass
class Measure:
    label: str
    median: float
    p95: float
    queries: int
    requests: int
    result_count: int | None = None
    sql: tuple[str, ...] = ()  # the queries of the counted request


def measure(
    client: Client,
    label: str,
    path: str,
    *,
    requests: int = REQUESTS,
    count_key: str = "",
    headers: dict[str, str] | None = None,
) -> Measure:
    """Median and p95 latency of `requests` GETs, after a warm-up; queries of one more."""
    measured = measure_call(label, lambda: _get(client, path, headers), requests=requests)
    if count_key:
        measured.result_count = _get(client, path, headers).json()[count_key]
    return measured


def measure_call(label: str, call: Callable[[], object], *, requests: int = REQUESTS) -> Measure:
    """Median and p95 of `requests` calls of `call`, after a warm-up; queries of one more."""
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    # Counted apart, so recording queries does not weigh on the timings.
    with CaptureQueriesContext(connection) as queries:
        call()
    stats = summary(samples)
    return Measure(
        label=label,
        median=stats["median"],
        p95=stats["p95"],
        queries=len(queries.captured_queries),
        requests=requests,
        sql=tuple(q["sql"] for q in queries.captured_queries),
    )


def _get(client: Client, path: str, headers: dict[str, str] | None = None):
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return response
