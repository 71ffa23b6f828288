"""Channel-group names: the one place they are spelled."""

import hashlib


def user_group(user_id: int) -> str:
    """Every socket of one person (messages, notifications, presence of their contacts)."""
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    """Every socket opened with one session (closed when that session signs out).

    The key is hashed: group names end up in Redis, a session key must not.
    """
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def feed_group(group_id: int) -> str:
    """The sockets of the pages showing one group's feed (joined after a policy check)."""
    return f"feed.{group_id}"
