"""Redis connections are per process, not per request."""

import threading

import pytest
from django.conf import settings
from django.core.cache import caches

from realtime.connections import redis_client

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache needs Redis")


def _connections_opened() -> int:
    return redis_client(settings.REDIS_URL).info("stats")["total_connections_received"]


def test_the_cache_of_many_requests_uses_the_same_few_connections():
    """Under ASGI each request gets a cache object of its own (caches are context-local);
    a request thread creating one per request must not open a Redis connection each time."""
    caches["default"].set("warm", 1)
    before = _connections_opened()

    def request(n: int) -> None:
        cache = caches.create_connection("default")  # what a new request context gets
        cache.set(f"request-{n}", n)
        assert cache.get(f"request-{n}") == n

    for n in range(30):
        thread = threading.Thread(target=request, args=(n,))
        thread.start()
        thread.join(5)
    # Thirty without a shared pool; the margin is for tests running beside this one.
    assert _connections_opened() - before < 15
