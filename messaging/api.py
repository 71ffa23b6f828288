"""API routes of messaging: conversations, messages, read state, participants, search."""

from typing import Annotated

from django.http import Http404, HttpRequest
from ninja import Body, Path, Query, Router, Status

from accounts.models import User
from files import selectors as file_selectors
from messaging import policy, selectors, services
from messaging.models import Conversation, Message, Participant
from messaging.schemas import (
    ConversationDetailOut,
    ConversationPageOut,
    DirectIn,
    GroupConversationIn,
    MessageIn,
    MessageOut,
    MessagePageOut,
    MessagePatch,
    PeopleIn,
    ReadIn,
    ReadStateOut,
    UnreadOut,
    preview_of,
)
from realtime import sequence
from social.schemas import MAX_ID, SOME_TEXT

router = Router(tags=["messaging"])

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000

ConversationId = Annotated[int, Path(ge=1, le=MAX_ID)]
MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Before = Annotated[
    int, Query(ge=1, le=MAX_ID, description="Les messages plus anciens que celui-ci")
]
After = Annotated[
    int,
    Query(ge=1, le=MAX_ID, description="Les messages plus récents que celui-ci (rattrapage)"),
]
SearchText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=selectors.SEARCH_MAX_LENGTH,
        pattern=SOME_TEXT,
        description="Texte cherché dans vos conversations",
    ),
]


# --- Helpers ------------------------------------------------------------------------------


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    """The conversation if the viewer takes part in it; 404 alike for unknown and forbidden."""
    return selectors.get_conversation_for(request.auth, conversation_id)


def _people(actor: User, ids: list[int]) -> list[User]:
    """The people behind these ids, if the actor may write to every one of them; an id that
    does not exist and one of a person the actor may not write to give the same 404."""
    wanted = {pk for pk in ids if pk != actor.pk}
    found = list(policy.messageable_people(actor).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise Http404
    return found


def _list_item(participation: Participant) -> dict:
    conversation = participation.conversation
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "participants": [p.user for p in conversation.participants.all()],
        "last_message": preview_of(conversation.last_message),
        "last_message_at": conversation.last_message_at,
        "unread": participation.unread_count,
        "last_read_id": participation.last_read_id,
    }


def _detail(request: HttpRequest, conversation: Conversation) -> dict:
    viewer = request.auth
    people = selectors.people_in(conversation)
    mine = next((p for p in people if p.user_id == viewer.pk), None)
    if mine is None:  # left between the check and now
        raise Http404
    receipts = conversation.is_direct
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "created_at": conversation.created_at,
        "participants": [
            {
                "id": p.user.pk,
                "handle": p.user.handle,
                "display_name": p.user.display_name,
                "kind": p.user.kind,
                "last_read_id": p.last_read_id if receipts else None,
            }
            for p in people
        ],
        "last_message_id": conversation.last_message_id,
        "unread": mine.unread_count,
        "last_read_id": mine.last_read_id,
    }


# --- Conversations --------------------------------------------------------------------------


@router.get("/conversations", response=ConversationPageOut)
def conversations(request: HttpRequest, limit: Limit = 50, offset: Offset = 0) -> dict:
    """Your conversations, unread first then the most recent."""
    items = selectors.conversations_of(request.auth, limit=limit, offset=offset)
    return {
        "items": [_list_item(p) for p in items],
        "count": policy.active_participations(request.auth).count(),
    }


@router.post("/conversations", response={200: ConversationDetailOut, 201: ConversationDetailOut})
def start_conversation(request: HttpRequest, payload: DirectIn | GroupConversationIn) -> Status:
    """`{person}`: the direct conversation with this person (200 when it already exists);
    `{title, people}`: a new group conversation."""
    actor = request.auth
    if isinstance(payload, DirectIn):
        if payload.person == actor.pk:
            raise Http404
        (person,) = _people(actor, [payload.person])
        existed = Conversation.objects.filter(
            direct_key=services.direct_key(actor, person)
        ).exists()
        conversation = services.start_direct(actor=actor, person=person)
        return Status(200 if existed else 201, _detail(request, conversation))
    conversation = services.create_group_conversation(
        actor=actor, title=payload.title, people=_people(actor, payload.people)
    )
    return Status(201, _detail(request, conversation))


@router.get("/conversations/{conversation_id}", response=ConversationDetailOut)
def conversation(request: HttpRequest, conversation_id: ConversationId) -> dict:
    return _detail(request, _conversation(request, conversation_id))


@router.post("/conversations/{conversation_id}/participants", response=ConversationDetailOut)
def add_participants(
    request: HttpRequest, conversation_id: ConversationId, payload: PeopleIn
) -> dict:
    found = _conversation(request, conversation_id)
    services.add_participants(
        actor=request.auth, conversation=found, people=_people(request.auth, payload.people)
    )
    return _detail(request, found)


@router.delete("/conversations/{conversation_id}/participants/me", response={204: None})
def leave(request: HttpRequest, conversation_id: ConversationId) -> Status:
    """Leave a group conversation (a direct conversation cannot be left: 403)."""
    services.leave_conversation(
        actor=request.auth, conversation=_conversation(request, conversation_id)
    )
    return Status(204, None)


# --- Messages -------------------------------------------------------------------------------


@router.get("/conversations/{conversation_id}/messages", response=MessagePageOut)
def messages(
    request: HttpRequest,
    conversation_id: ConversationId,
    before: Before | None = None,
    after: After | None = None,
    limit: Limit = selectors.PAGE,
) -> dict:
    """A page, oldest first: the latest messages, those `before` an id (scrolling back) or
    those `after` an id (catching up after a disconnection); with both, the messages between
    them, from the oldest."""
    found = _conversation(request, conversation_id)
    # One more than asked tells whether there are more in the direction of travel.
    page = selectors.history(request.auth, found, before=before, after=after, size=limit + 1)
    has_more = len(page) > limit
    items = page[:limit] if after is not None else page[-limit:]
    return {"items": items, "has_more": has_more}


@router.post(
    "/conversations/{conversation_id}/messages", response={200: MessageOut, 201: MessageOut}
)
def send(request: HttpRequest, conversation_id: ConversationId, payload: MessageIn) -> Status:
    found, people = selectors.get_conversation_with_people(request.auth, conversation_id)
    message, created = services.send_message(
        author=request.auth,
        conversation=found,
        body=payload.body,
        client_key=payload.client_key,
        attachments=file_selectors.attachable_files(request.auth, payload.attachments),
        people=people,
    )
    return Status(201 if created else 200, message)


@router.get("/messages/search", response=list[MessageOut])
def search(request: HttpRequest, q: SearchText, limit: Limit = selectors.PAGE) -> object:
    """Messages of your own conversations containing this text, newest first."""
    return list(selectors.search(request.auth, q, size=limit))


@router.patch("/messages/{message_id}", response=MessageOut)
def edit(request: HttpRequest, message_id: MessageId, payload: MessagePatch) -> Message:
    found = selectors.get_message_for(request.auth, message_id)
    return services.edit_message(actor=request.auth, message=found, body=payload.body)


@router.delete("/messages/{message_id}", response={204: None})
def delete(request: HttpRequest, message_id: MessageId) -> Status:
    found = selectors.get_message_for(request.auth, message_id)
    services.delete_message(actor=request.auth, message=found)
    return Status(204, None)


# --- Read state -----------------------------------------------------------------------------


@router.post("/conversations/{conversation_id}/read", response=ReadStateOut)
def read(
    request: HttpRequest, conversation_id: ConversationId, payload: Body[ReadIn] = None
) -> dict:
    """Read up to a message (the latest by default); the read point never moves backwards."""
    found = _conversation(request, conversation_id)
    up_to = payload.up_to if payload is not None else None
    participant = services.mark_read(actor=request.auth, conversation=found, up_to=up_to)
    return {
        "conversation": found.pk,
        "last_read_id": participant.last_read_id,
        "unread": participant.unread_count,
        "total_unread": selectors.unread_total(request.auth),
    }


@router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> dict:
    """Unread counts, with the event sequence number they are at least as recent as."""
    viewer = request.auth
    # The sequence number first: an event numbered after it may already be in the counts
    # (applying it twice is harmless with message ids), never the other way round.
    seq = sequence.current(viewer.pk)
    counts = dict(
        policy.active_participations(viewer)
        .filter(unread_count__gt=0)
        .values_list("conversation_id", "unread_count")
    )
    return {
        "total": sum(counts.values()),
        "conversations": {str(k): v for k, v in counts.items()},
        "seq": seq,
    }
