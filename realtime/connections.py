"""This process's Redis connections: one pool per URL, shared by the cache, sequences,
presence and publishing."""

import threading
from functools import cache

import redis


class SharedConnectionPool(redis.ConnectionPool):
    """`from_url` hands out one pool per URL and options for the whole process.

    Django keeps a cache object per request under ASGI (its caches are context-local, and
    every request is a new context), and each of Django's Redis cache clients makes a pool of
    its own: every request that touched the cache (the API throttle does) opened a new TCP
    connection to Redis, with its handshake, and left it to the garbage collector (py-spy:
    7% of a server process's time under the fan-out benchmark). Set as the cache's
    `OPTIONS["pool_class"]`. Pools are thread-safe and reopen after a fork.
    """

    _pools: dict = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options):
        key = (url, tuple(sorted((name, repr(value)) for name, value in options.items())))
        with cls._lock:
            if key not in cls._pools:
                cls._pools[key] = super().from_url(url, **options)
            return cls._pools[key]


@cache
def redis_client(url: str) -> redis.Redis:
    """One client on the process's shared pool for this URL."""
    return redis.Redis(connection_pool=SharedConnectionPool.from_url(url))
