"""The one socket per browser tab: pushes events to the signed-in user; writes go over HTTP."""

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from realtime.groups import user_group

# Close codes the client understands (4000-4999 are for applications).
CLOSE_UNAUTHENTICATED = 4401
MAX_FRAME_BYTES = 4096


class UserConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accept then close, so the page can read the code and stop reconnecting.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.groups_joined = [user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = self._parse(text_data, bytes_data)
        if frame is None:
            await self._error(_("Message illisible : un objet JSON d'au plus 4 Ko est attendu."))
            return
        if frame.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            return
        await self._error(_("Type de message inconnu."))

    @staticmethod
    def _parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any] | None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            return None
        try:
            frame = json.loads(text_data)
        except ValueError:
            return None
        return frame if isinstance(frame, dict) else None

    async def _error(self, detail: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "data": {"detail": detail}}))

    # Channel-layer handlers (see realtime.events).
    async def event_push(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message["event"]))

    async def session_close(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)
