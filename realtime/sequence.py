"""Per-recipient event sequence numbers, shared by every server process.

The channel layer delivers at most once: a client that sees a gap in its sequence (or
reconnects) asks the API for what it missed. The numbers live in Redis when REDIS_URL is
set (one INCR per recipient, pipelined: one round trip per event), else in this process.
"""

import threading
from collections.abc import Iterable

from django.conf import settings

from realtime.connections import redis_client

_local: dict[int, int] = {}
_lock = threading.Lock()


def _key(user_id: int) -> str:
    return f"{settings.CHANNEL_PREFIX}:seq:{user_id}"


def next_numbers(user_ids: Iterable[int]) -> dict[int, int]:
    """The next sequence number of each of these users."""
    ids = list(user_ids)
    if not ids:
        return {}
    if not settings.REDIS_URL:
        with _lock:
            for uid in ids:
                _local[uid] = _local.get(uid, 0) + 1
            return {uid: _local[uid] for uid in ids}
    pipe = redis_client(settings.REDIS_URL).pipeline(transaction=False)
    for uid in ids:
        pipe.incr(_key(uid))
    return dict(zip(ids, pipe.execute(), strict=True))


def current(user_id: int) -> int:
    """The last number given to this user (0 before any event)."""
    if not settings.REDIS_URL:
        with _lock:
            return _local.get(user_id, 0)
    return int(redis_client(settings.REDIS_URL).get(_key(user_id)) or 0)
