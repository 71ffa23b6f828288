"""Reads on conversations and messages, filtered by policy, at a constant number of queries."""

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from accounts.models import User
from files.models import File
from messaging import policy
from messaging.models import Conversation, Message, Participant

PAGE = 50
SEARCH_MAX_LENGTH = 100


def conversations_of(
    viewer: User, *, limit: int | None = None, offset: int = 0
) -> list[Participant]:
    """The viewer's conversations, unread first then most recent, each with its last message
    and its active participants: three queries whatever their number."""
    others = Participant.objects.filter(left_at__isnull=True).select_related("user")
    participations = (
        policy.active_participations(viewer)
        .select_related("conversation__last_message__author")
        .prefetch_related(Prefetch("conversation__participants", queryset=others))
        .order_by(
            F("unread_count").desc(),
            F("conversation__last_message_at").desc(nulls_last=True),
            "-conversation_id",
        )
    )
    end = None if limit is None else offset + limit
    return list(participations[offset:end])


def get_conversation_for(viewer: User, conversation_id) -> Conversation:
    """404 for a conversation that does not exist and for one the viewer is not in."""
    try:
        return policy.visible_conversations(viewer).get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def get_conversation_with_people(
    viewer: User, conversation_id: int
) -> tuple[Conversation, list[User]]:
    """The conversation and its active participants in one query (what sending needs);
    404 alike for a conversation that does not exist and for one the viewer is not in."""
    rows = list(
        Participant.objects.filter(
            conversation_id=conversation_id, left_at__isnull=True
        ).select_related("conversation", "user")
    )
    people = [row.user for row in rows]
    if not rows or not policy.takes_part(viewer, people):
        raise Http404
    return rows[0].conversation, people


def participation(viewer: User, conversation: Conversation) -> Participant:
    return policy.active_participations(viewer).get(conversation=conversation)


def people_in(conversation: Conversation) -> list[Participant]:
    return list(
        conversation.participants.filter(left_at__isnull=True)
        .select_related("user__organisation")
        .order_by("user__display_name")
    )


def history(
    viewer: User,
    conversation: Conversation,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE,
) -> list[Message]:
    """A page of messages, oldest first: the latest, those before an id (scrolling back) or
    those after an id (catching up after a disconnection)."""
    if not policy.can_view_conversation(viewer, conversation):
        raise Http404
    messages = conversation.messages.select_related("author").prefetch_related(
        Prefetch(
            "attachments",
            queryset=File.objects.filter(deleted_at=None).select_related("current_version"),
        )
    )
    if before is not None:
        messages = messages.filter(pk__lt=before)
    if after is not None:  # with `before` too: the gap between two ids, from its start
        return list(messages.filter(pk__gt=after).order_by("id")[:size])
    return list(reversed(messages.order_by("-id")[:size]))


def get_message_for(viewer: User, message_id) -> Message:
    try:
        return (
            Message.objects.select_related("conversation", "author")
            .filter(conversation__in=policy.visible_conversations(viewer))
            .get(pk=message_id)
        )
    except (Message.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def search(viewer: User, q: str, *, size: int = PAGE) -> QuerySet[Message]:
    """Messages of the viewer's own conversations containing `q`, newest first."""
    q = (q or "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    if not q:
        return Message.objects.none()
    return (
        Message.objects.filter(
            conversation__in=policy.visible_conversations(viewer), deleted_at__isnull=True
        )
        .filter(Q(body__icontains=q))
        .select_related("author", "conversation")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=File.objects.filter(deleted_at=None).select_related("current_version"),
            )
        )
        .order_by("-id")[:size]
    )


def unread_total(viewer: User) -> int:
    """Kept as counters on write: one indexed sum, however many messages are unread."""
    return policy.active_participations(viewer).aggregate(n=Sum("unread_count"))["n"] or 0
