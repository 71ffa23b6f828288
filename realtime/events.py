"""Publishing events to sockets, after the database transaction commits."""

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime import pubsub, sequence
from realtime.groups import feed_group, session_group, user_group

# Layer message types the consumer understands (method names with "." for "_").
PUSH = "event.push"
CLOSE = "session.close"
DROP_FEED = "feed.drop"
RECHECK_FEED = "feed.recheck"


def publish(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> None:
    """Send `{"type", "id", "seq", "data"}` to every socket of these users once the
    transaction commits.

    The caller decides the recipients and gives only what each of them may see. `seq` is the
    recipient's own increasing number (realtime.sequence): a client that sees a gap knows it
    missed something and resyncs from the API. Nothing is sent if the transaction rolls back,
    and a channel-layer failure is logged, never raised: the write it follows has happened.
    """
    event_id = uuid.uuid4().hex
    recipients = sorted(set(user_ids))
    transaction.on_commit(lambda: _push(recipients, event_id, type, data), robust=True)


def _push(user_ids: list[int], event_id: str, type: str, data: dict[str, Any]) -> None:
    numbers = sequence.next_numbers(user_ids)
    _send(
        {
            uid: {
                "type": PUSH,
                "event": {"type": type, "id": event_id, "seq": numbers[uid], "data": data},
            }
            for uid in user_ids
        }
    )


def disconnect(user_id: int) -> None:
    """Close every socket of this user after commit (sign-out everywhere, deactivation)."""
    transaction.on_commit(lambda: _send({user_id: {"type": CLOSE}}), robust=True)


def disconnect_session(session_key: str) -> None:
    """Close the sockets opened with this session after commit (sign-out of one browser)."""
    if session_key:
        group = session_group(session_key)
        transaction.on_commit(lambda: _send_groups({group: {"type": CLOSE}}), robust=True)


def publish_to_group(group_id: int, type: str, data: dict[str, Any]) -> None:
    """Send `{"type", "id", "data"}` after commit to the sockets subscribed to a group's feed.

    Subscribers passed the policy check when they subscribed; `data` holds ids only, so
    what they then fetch goes through the policy again. No `seq`: a feed is not a
    per-person stream, and a missed feed event costs at most a stale banner.
    """
    event = {"type": type, "id": uuid.uuid4().hex, "data": data}
    group = feed_group(group_id)
    transaction.on_commit(
        lambda: _send_groups({group: {"type": PUSH, "event": event}}), robust=True
    )


def unsubscribe(user_id: int, group_id: int) -> None:
    """After commit, every socket of this user stops receiving the group's feed at once
    (they left or were removed: access is re-checked by the server, not left to the page)."""
    transaction.on_commit(
        lambda: _send({user_id: {"type": DROP_FEED, "group": group_id}}), robust=True
    )


def recheck_feed(group_id: int) -> None:
    """After commit, every socket subscribed to this group's feed re-checks its own access.

    Leaving or being removed drops the feed at once (`unsubscribe`): the service knows whose
    access ended. When a group becomes less visible nobody in particular is told, so each
    subscribed socket asks groups.policy again (the consumer's `feed_recheck`). Access that
    ends by date has no write at all: the consumer's periodic re-check covers it.
    """
    group = feed_group(group_id)
    message = {"type": RECHECK_FEED, "group": group_id}
    transaction.on_commit(lambda: _send_groups({group: message}), robust=True)


def _send(messages: dict[int, dict[str, Any]]) -> None:
    _send_groups({user_group(uid): message for uid, message in messages.items()})


def _send_groups(messages: dict[str, dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    if pubsub.usable(layer):
        pubsub.publish(layer, messages)
        return

    async def send_all() -> None:
        # Concurrently: the publishing request waits for one round of Redis calls, not one
        # per recipient.
        await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages.items())
        )

    async_to_sync(send_all)()


async def send_ephemeral(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> None:
    """From async code (the consumer): `{"type", "data"}` to every socket of these users, now.

    For typing and presence: ephemeral, not stored, no id and no `seq` (a client must not
    resync because it missed one; the next one replaces it).
    """
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": PUSH, "event": {"type": type, "data": data}}
    await asyncio.gather(*(layer.group_send(user_group(uid), message) for uid in set(user_ids)))
