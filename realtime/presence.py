"""Who is online, away or offline, shared by every server process.

Each open socket holds one entry (its status and when it expires) under its user. A user's
status is the best of their live entries: online beats away beats offline (no live entry).
The socket refreshes its entry while it is open, so an entry outlives its socket only when
the process died without closing it, and then only until it expires.

With REDIS_URL the entries live in one Redis hash per user and every change is one Lua
script (read, write and compare atomically, so two processes never both announce, or both
miss, the same change). Without Redis they live in this process.
"""

import threading
import time
from collections.abc import Iterable
from functools import cache

from django.conf import settings

from realtime.connections import redis_client

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
STATUSES = (ONLINE, AWAY)  # what a socket may say about itself
RANK = {OFFLINE: 0, AWAY: 1, ONLINE: 2}
# An entry lives this long unless refreshed; sockets refresh every REFRESH_SECONDS.
TTL_SECONDS = 75
REFRESH_SECONDS = 30

# KEYS[1] the user's hash; ARGV: now, socket id, status ("" removes), expiry.
# Returns {status before, status after}; drops expired entries on the way.
_CHANGE = """
local function best(now)
  local rank, fields = 0, redis.call('HGETALL', KEYS[1])
  for i = 1, #fields, 2 do
    local status, expires = string.match(fields[i + 1], '^(%a+):(.+)$')
    if tonumber(expires) <= now then
      redis.call('HDEL', KEYS[1], fields[i])
    elseif status == 'online' then
      rank = 2
    elseif status == 'away' and rank < 1 then
      rank = 1
    end
  end
  return rank
end
local now = tonumber(ARGV[1])
local before = best(now)
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. ':' .. ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4]) - now) + 1)
end
return {before, best(now)}
"""
_NAMES = {rank: name for name, rank in RANK.items()}

_local: dict[int, dict[str, tuple[str, float]]] = {}
_lock = threading.Lock()


@cache
def _script(url: str):
    return redis_client(url).register_script(_CHANGE)


def _key(user_id: int) -> str:
    return f"{settings.CHANNEL_PREFIX}:presence:{user_id}"


def _best(entries: Iterable[tuple[str, float]], now: float) -> str:
    rank = max((RANK[status] for status, expires in entries if expires > now), default=0)
    return _NAMES[rank]


def _change(user_id: int, socket_id: str, status: str) -> tuple[str, str]:
    """Set (or with "" remove) one socket's entry; the user's status before and after."""
    now = time.time()
    if settings.REDIS_URL:
        before, after = _script(settings.REDIS_URL)(
            keys=[_key(user_id)], args=[now, socket_id, status, now + TTL_SECONDS]
        )
        return _NAMES[int(before)], _NAMES[int(after)]
    with _lock:
        entries = _local.setdefault(user_id, {})
        before = _best(entries.values(), now)
        if status:
            entries[socket_id] = (status, now + TTL_SECONDS)
        else:
            entries.pop(socket_id, None)
        for sid, (_status, expires) in list(entries.items()):
            if expires <= now:
                del entries[sid]
        after = _best(entries.values(), now)
        if not entries:
            _local.pop(user_id, None)
        return before, after


def set_status(user_id: int, socket_id: str, status: str) -> str | None:
    """This socket is open with `status` (also refreshes it); the user's new status if it
    changed, else None."""
    if status not in STATUSES:
        raise ValueError(status)
    before, after = _change(user_id, socket_id, status)
    return after if after != before else None


def remove(user_id: int, socket_id: str) -> str | None:
    """This socket closed; the user's new status if it changed, else None."""
    before, after = _change(user_id, socket_id, "")
    return after if after != before else None


def presence_of(user_ids: Iterable[int]) -> dict[int, str]:
    """The status of each of these users ("online", "away" or "offline"), for pages and API."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    now = time.time()
    if not settings.REDIS_URL:
        with _lock:
            return {uid: _best(_local.get(uid, {}).values(), now) for uid in ids}
    pipe = redis_client(settings.REDIS_URL).pipeline(transaction=False)
    for uid in ids:
        pipe.hvals(_key(uid))
    result = {}
    for uid, values in zip(ids, pipe.execute(), strict=True):
        entries = []
        for value in values:
            status, _sep, expires = value.decode().partition(":")
            entries.append((status, float(expires)))
        result[uid] = _best(entries, now)
    return result


def contacts_of(user_id: int) -> list[int]:
    """The people told about this user's presence: those sharing a conversation with them."""
    from messaging.models import Participant

    mine = Participant.objects.filter(user_id=user_id, left_at__isnull=True).values(
        "conversation_id"
    )
    return list(
        Participant.objects.filter(
            conversation_id__in=mine, left_at__isnull=True, user__is_active=True
        )
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )
