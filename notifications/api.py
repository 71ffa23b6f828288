"""API routes of notifications: the list, read state, mutes and e-mail preferences."""

from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status

from config.pagination import MAX_LIMIT, MAX_OFFSET
from notifications import rendering, selectors, services
from notifications.models import Mute
from notifications.schemas import (
    EmailPreferencesIn,
    EmailPreferencesOut,
    MuteIn,
    MuteOut,
    NotificationPageOut,
    NotificationReadIn,
    NotificationReadOut,
)
from social.schemas import MAX_ID

router = Router(tags=["notifications"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
MuteId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _item(notification) -> dict:
    actor = notification.actor
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": rendering.text(notification),
        "url": rendering.url(notification),
        "actor": {"id": actor.pk, "display_name": actor.display_name} if actor else None,
        "actor_count": notification.actor_count,
        "created_at": notification.created_at,
        "read": notification.read_at is not None,
    }


@router.get("/notifications", response=NotificationPageOut)
def notifications(
    request: HttpRequest,
    unread: Annotated[bool | None, Query(description="true : non lues seulement")] = None,
    limit: Limit = 30,
    offset: Offset = 0,
) -> dict:
    """Your notifications about what you may still see, newest first, and the unread count."""
    items = selectors.notifications_for(request.auth, unread=unread, limit=limit, offset=offset)
    return {
        "items": [_item(n) for n in items],
        "unread_count": selectors.unread_count(request.auth),
    }


@router.post("/notifications/read", response=NotificationReadOut)
def read(request: HttpRequest, payload: NotificationReadIn | None = None) -> dict:
    """Mark these notifications read (`ids`), or all of them (no body, or no `ids`)."""
    ids = payload.ids if payload is not None else None
    changed = services.mark_read(actor=request.auth, ids=ids)
    return {"changed": changed, "unread_count": selectors.unread_count(request.auth)}


@router.get("/notifications/mutes", response=list[MuteOut])
def mutes(request: HttpRequest) -> list[dict]:
    """What you muted: no notification and no e-mail about it."""
    return [
        {"id": m.pk, "kind": m.kind, "target": m.target_id, "created_at": m.created_at}
        for m in selectors.mutes_of(request.auth)
    ]


@router.post("/notifications/mutes", response={201: MuteOut})
def mute(request: HttpRequest, payload: MuteIn) -> Status:
    """Mute a post, a file's thread, a meeting, a conversation or a group you may see."""
    try:
        found = services.mute(
            actor=request.auth,
            kind=payload.kind,
            target=selectors.mute_target_object(payload.kind, payload.target),
        )
    except PermissionDenied:
        raise Http404 from None
    return Status(
        201,
        {
            "id": found.pk,
            "kind": found.kind,
            "target": found.target_id,
            "created_at": found.created_at,
        },
    )


@router.delete("/notifications/mutes/{mute_id}", response={204: None})
def unmute(request: HttpRequest, mute_id: MuteId) -> Status:
    deleted, _rows = Mute.objects.filter(pk=mute_id, user=request.auth).delete()
    if not deleted:
        raise Http404
    return Status(204, None)


def _preferences(user) -> dict:
    found = selectors.settings_of(user)
    return {
        "language": found.language,
        "email_mentions": found.email_mentions,
        "email_messages": found.email_messages,
        "default_frequency": found.default_frequency,
        "groups": [
            {"group": m.group_id, "name": m.group.name, "frequency": m.frequency}
            for m in selectors.group_frequencies(user, found.default_frequency)
        ],
    }


@router.get("/me/email-preferences", response=EmailPreferencesOut)
def email_preferences(request: HttpRequest) -> dict:
    """Your e-mail choices, and the frequency of each of your groups (default: daily)."""
    return _preferences(request.auth)


@router.put("/me/email-preferences", response=EmailPreferencesOut)
def set_email_preferences(request: HttpRequest, payload: EmailPreferencesIn) -> dict:
    """Change the choices given (absent: unchanged); `groups` only for your groups (another
    group's id answers 404, like an unknown one)."""
    wanted = {g.group for g in payload.groups}
    mine = selectors.group_frequencies(request.auth).filter(group_id__in=wanted)
    if wanted and mine.count() != len(wanted):
        raise Http404
    services.update_email_preferences(
        actor=request.auth,
        language=payload.language,
        email_mentions=payload.email_mentions,
        email_messages=payload.email_messages,
        default_frequency=payload.default_frequency,
        groups={g.group: g.frequency for g in payload.groups},
    )
    return _preferences(request.auth)
