"""Pages and API through Django's test client: latency and queries per request."""

import time
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


def measure(
    client: Client, label: str, path: str, *, requests: int = REQUESTS, count_key: str = ""
) -> Measure:
    """Median and p95 latency of `requests` GETs, after a warm-up; queries of one more."""
    for _ in range(WARM_UP):
        _get(client, path)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        _get(client, path)
        samples.append(time.perf_counter() - start)
    # Counted apart, so recording queries does not weigh on the timings.
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, path)
    result_count = response.json()[count_key] if count_key else None
    stats = summary(samples)
    return Measure(
        label=label,
        median=stats["median"],
        p95=stats["p95"],
        queries=len(queries.captured_queries),
        requests=requests,
        result_count=result_count,
    )


def _get(client: Client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return response
