"""The synchronous Redis client of this process, shared by sequences, presence and publishing."""

from functools import cache

import redis


@cache
def redis_client(url: str) -> redis.Redis:
    """One client (and its thread-safe connection pool) per URL for the whole process."""
    return redis.Redis.from_url(url)
