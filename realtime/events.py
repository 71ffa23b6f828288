"""Publishing events to sockets, after the database transaction commits."""

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.groups import user_group

# Layer message types the consumer understands (method names with "." for "_").
PUSH = "event.push"
CLOSE = "session.close"


def publish(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> None:
    """Send `{"type", "id", "data"}` to every socket of these users once the transaction commits.

    The caller decides the recipients and gives only what each of them may see. Nothing is sent
    if the transaction rolls back, and a channel-layer failure is logged, never raised: the
    write it follows has already happened.
    """
    event = {"type": type, "id": uuid.uuid4().hex, "data": data}
    recipients = sorted(set(user_ids))
    transaction.on_commit(lambda: _send(recipients, {"type": PUSH, "event": event}), robust=True)


def disconnect(user_id: int) -> None:
    """Close every socket of this user after commit (sign-out everywhere, deactivation)."""
    transaction.on_commit(lambda: _send([user_id], {"type": CLOSE}), robust=True)


def _send(user_ids: list[int], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return

    async def send_all() -> None:
        # Concurrently: the publishing request waits for one round of Redis calls, not one
        # per recipient.
        await asyncio.gather(*(layer.group_send(user_group(uid), message) for uid in user_ids))

    async_to_sync(send_all)()
