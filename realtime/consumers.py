"""The one socket per browser tab: pushes events to the signed-in user; writes go over HTTP.

Inbound frames are few and small (subscribe, unsubscribe, typing, presence, ping): each is
size-limited, rate-limited per socket, checked against policy, and never crashes the
consumer. A socket is authenticated only at its handshake, so whatever ends the user's right
to it later (sign-out, new password, deactivation, leaving a group) is pushed to it through
its channel groups (see realtime.events).
"""

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import aclose_old_connections, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.cache import cache
from django.utils.translation import gettext as _

from realtime import events, presence
from realtime.groups import feed_group, session_group, user_group

logger = logging.getLogger(__name__)

# Close codes the client understands (4000-4999 are for applications).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_ABUSE = 4429
MAX_FRAME_BYTES = 4096
# Token bucket per socket: 10 frames a second, bursts of 100.
RATE_PER_SECOND = 10.0
BURST = 100
# Refused frames (over the rate, malformed) a socket may send before it is closed.
MAX_STRIKES = 20
MAX_SUBSCRIPTIONS = 20
# At most one typing relay per person and conversation in this many seconds (all processes).
TYPING_INTERVAL_SECONDS = 2
MAX_ID = 2**63 - 1
# The heartbeat: presence is refreshed, and the feeds this socket follows are re-checked
# against groups.policy, every HEARTBEAT_SECONDS. Access that ends with a write (leaving,
# removal, a group made private) drops the feed at once through the channel layer; access
# that ends by itself (an external member's membership reaching its expiry date) stops the
# feed within this bound. Read at every beat, so a test may shorten it.
HEARTBEAT_SECONDS = presence.REFRESH_SECONDS


def _valid_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


class TokenBucket:
    def __init__(self, rate: float = RATE_PER_SECOND, burst: int = BURST) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# --- Database reads (run in a worker thread, on a fresh connection) ------------------------


def _readable_group(user_id: int, group_id: int) -> bool:
    from accounts.models import User
    from groups.models import Group
    from groups.policy import can_read_group

    user = User.objects.filter(pk=user_id, is_active=True).first()
    group = Group.objects.filter(pk=group_id).first()
    return user is not None and group is not None and can_read_group(user, group)


def _readable_among(user_id: int, group_ids: list[int]) -> set[int]:
    """Which of these groups the user may still read: one query for all of them (after the
    user's own row, for a deactivation or a change of kind)."""
    from accounts.models import User
    from groups.policy import readable_groups

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    return set(readable_groups(user).filter(pk__in=group_ids).values_list("pk", flat=True))


def _typing_recipients(user_id: int, conversation_id: int) -> list[int] | None:
    """The other active participants, or None when the user may not see the conversation."""
    from accounts.models import User
    from messaging.models import Conversation
    from messaging.policy import can_view_conversation, recipients

    user = User.objects.filter(pk=user_id, is_active=True).first()
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if user is None or conversation is None or not can_view_conversation(user, conversation):
        return None
    return [uid for uid in recipients(conversation) if uid != user_id]


class UserConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its trip to a thread before every message to close
        stale database connections: this consumer reads the database only through `_db`,
        which does it. Every event pushed to every socket paid that trip (py-spy, fan-out
        benchmark: 17% of the event loop's time, the loop that serves all sockets)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accept then close, so the page can read the code and stop reconnecting.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.socket_id = uuid.uuid4().hex
        self.bucket = TokenBucket()
        self.strikes = 0
        self.closing = False
        self.feeds: set[int] = set()
        self.status = presence.ONLINE
        self.groups_joined = [user_group(user.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.groups_joined.append(session_group(session.session_key))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._set_presence(presence.ONLINE)
        self.heartbeat = asyncio.create_task(self._keep_presence())

    async def disconnect(self, code: int) -> None:
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
        for group in [
            *getattr(self, "groups_joined", []),
            *map(feed_group, getattr(self, "feeds", ())),
        ]:
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "socket_id"):
            try:
                changed = await sync_to_async(presence.remove, thread_sensitive=False)(
                    self.user_id, self.socket_id
                )
                if changed:
                    await self._announce(changed)
            except Exception:
                logger.exception("presence update failed on disconnect")

    # --- Inbound frames --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "bucket") or self.closing:
            return  # an anonymous or abusive socket being closed
        if not self.bucket.take():
            await self._refuse(_("Trop de messages : ralentissez."))
            return
        frame = self._parse(text_data, bytes_data)
        if frame is None:
            await self._refuse(_("Message illisible : un objet JSON d'au plus 4 Ko est attendu."))
            return
        kind = frame.get("type")
        handler = self.HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self._refuse(_("Type de message inconnu."))
            return
        try:
            await handler(self, frame)
        except Exception:
            # A bug or an unavailable service must not end the socket (nor leak details).
            logger.exception("socket frame %r failed", frame.get("type"))
            await self._error(_("Une erreur est survenue, réessayez plus tard."))

    @staticmethod
    def _parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any] | None:
        # Characters never outnumber bytes: a long text is refused before being encoded.
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            return None
        try:
            if len(text_data.encode()) > MAX_FRAME_BYTES:
                return None
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            return None
        return frame if isinstance(frame, dict) else None

    async def _ping(self, frame: dict[str, Any]) -> None:
        await self._set_presence(self.status)
        await self.send(text_data=json.dumps({"type": "pong"}))

    async def _presence(self, frame: dict[str, Any]) -> None:
        status = frame.get("status")
        if status not in presence.STATUSES:
            await self._error(_("Statut inconnu : « online » ou « away » est attendu."))
            return
        self.status = status
        await self._set_presence(status)

    async def _subscribe(self, frame: dict[str, Any]) -> None:
        group_id = _valid_id(frame.get("group"))
        if group_id is not None and group_id in self.feeds:
            await self._send_json({"type": "subscribed", "group": group_id})
            return
        if group_id is not None and len(self.feeds) >= MAX_SUBSCRIPTIONS:
            await self._error(
                _("Trop d'abonnements sur cette connexion (%(limit)s au plus).")
                % {"limit": MAX_SUBSCRIPTIONS}
            )
            return
        # Unknown and forbidden look the same: nobody learns which ids exist.
        if group_id is None or not await self._db(_readable_group, self.user_id, group_id):
            await self._error(_("Groupe introuvable."))
            return
        self.feeds.add(group_id)
        await self.channel_layer.group_add(feed_group(group_id), self.channel_name)
        await self._send_json({"type": "subscribed", "group": group_id})

    async def _unsubscribe(self, frame: dict[str, Any]) -> None:
        group_id = _valid_id(frame.get("group"))
        if group_id is None:
            await self._error(_("Groupe introuvable."))
            return
        await self._drop_feed(group_id)

    async def _typing(self, frame: dict[str, Any]) -> None:
        conversation_id = _valid_id(frame.get("conversation"))
        if conversation_id is None:
            await self._error(_("Conversation introuvable."))
            return
        # Shared by every process and tab: a flood relays at most one indicator per interval.
        key = f"realtime:typing:{conversation_id}:{self.user_id}"
        if not await sync_to_async(cache.add, thread_sensitive=False)(
            key, 1, timeout=TYPING_INTERVAL_SECONDS
        ):
            return
        others = await self._db(_typing_recipients, self.user_id, conversation_id)
        if others is None:
            await self._error(_("Conversation introuvable."))
            return
        await events.send_ephemeral(
            others, "typing", {"conversation": conversation_id, "user": self.user_id}
        )

    HANDLERS = {
        "ping": _ping,
        "presence": _presence,
        "subscribe": _subscribe,
        "unsubscribe": _unsubscribe,
        "typing": _typing,
    }

    # --- Helpers ---------------------------------------------------------------------------

    @staticmethod
    async def _db(function, *args):
        """A read on a connection that is fresh enough (this consumer lives for hours)."""
        await aclose_old_connections()
        return await database_sync_to_async(function)(*args)

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))

    async def _error(self, detail: str) -> None:
        await self._send_json({"type": "error", "data": {"detail": detail}})

    async def _refuse(self, detail: str) -> None:
        """An error frame for a refused frame; too many of them and the socket is closed."""
        self.strikes += 1
        if self.strikes > MAX_STRIKES:
            self.closing = True
            await self.close(code=CLOSE_ABUSE)
            return
        await self._error(detail)

    async def _drop_feed(self, group_id: int) -> None:
        self.feeds.discard(group_id)
        await self.channel_layer.group_discard(feed_group(group_id), self.channel_name)
        await self._send_json({"type": "unsubscribed", "group": group_id})

    async def _set_presence(self, status: str) -> None:
        try:
            changed = await sync_to_async(presence.set_status, thread_sensitive=False)(
                self.user_id, self.socket_id, status
            )
        except Exception:
            logger.exception("presence update failed")
            return
        if changed:
            await self._announce(changed)

    async def _announce(self, status: str) -> None:
        """Tell the people who share a conversation with this user."""
        try:
            contacts = await self._db(presence.contacts_of, self.user_id)
            await events.send_ephemeral(
                contacts, "presence", {"user": self.user_id, "status": status}
            )
        except Exception:
            logger.exception("presence announcement failed")

    async def _keep_presence(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self._set_presence(self.status)
            except Exception:
                logger.exception("presence refresh failed")
            try:
                await self.recheck_feeds()
            except Exception:
                logger.exception("feed re-check failed")

    async def recheck_feeds(self) -> None:
        """Drop the feeds the user may no longer read (see HEARTBEAT_SECONDS); no query when
        the socket follows none."""
        if not self.feeds:
            return
        followed = sorted(self.feeds)
        allowed = await self._db(_readable_among, self.user_id, followed)
        for group_id in followed:
            if group_id not in allowed and group_id in self.feeds:
                await self._drop_feed(group_id)

    # --- Channel-layer handlers (see realtime.events) -------------------------------------

    async def event_push(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message["event"]))

    async def session_close(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def feed_recheck(self, message: dict[str, Any]) -> None:
        """The group's visibility changed (events.recheck_feed): still allowed, or drop it."""
        group_id = message.get("group")
        if group_id not in self.feeds:
            return
        if not await self._db(_readable_group, self.user_id, group_id):
            await self._drop_feed(group_id)

    async def feed_drop(self, message: dict[str, Any]) -> None:
        group_id = message.get("group")
        if group_id in self.feeds:
            await self._drop_feed(group_id)
        else:
            # Not subscribed here, but never let a racing subscribe keep the channel.
            await self.channel_layer.group_discard(feed_group(group_id), self.channel_name)
