"""The realtime events of messaging: what each recipient is told, built in one place."""

from django.urls import reverse

from accounts.models import User
from messaging import policy
from messaging.models import Conversation, Message, Participant
from realtime import events as realtime


def message_payload(message: Message, attachments: list | None = None) -> dict:
    """What every participant is told of a message (`attachments`: when the caller knows
    them, the files just sent with it)."""
    author = message.author
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "author": {"id": author.pk, "display_name": author.display_name, "handle": author.handle},
        "body_html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": message.is_deleted,
        "attachments": []
        if message.is_deleted
        else [
            {"id": f.pk, "name": f.name, "detail_url": reverse("files:detail", args=[f.pk])}
            for f in (
                message.attachments.filter(deleted_at=None) if attachments is None else attachments
            )
        ],
    }


def _to_participants(message: Message, type: str) -> None:
    realtime.publish(list(policy.recipients(message.conversation)), type, message_payload(message))


def message_created(message: Message, *, people: list[User], attachments: list) -> None:
    """`people`: the conversation's active participants, as the sending service read them."""
    realtime.publish(
        policy.receiving(people), "message.created", message_payload(message, attachments)
    )


def message_updated(message: Message) -> None:
    _to_participants(message, "message.updated")


def message_deleted(message: Message) -> None:
    _to_participants(message, "message.deleted")


def conversation_read(participant: Participant) -> None:
    """The reader's other tabs update their counts; in a direct conversation the other person
    sees "vu" (read receipts are not shown in group conversations)."""
    conversation = participant.conversation
    data = {
        "conversation": conversation.pk,
        "user": participant.user_id,
        "last_read_id": participant.last_read_id,
    }
    realtime.publish(
        [participant.user_id], "conversation.read", {**data, "unread": participant.unread_count}
    )
    if conversation.is_direct:
        others = [uid for uid in policy.recipients(conversation) if uid != participant.user_id]
        realtime.publish(others, "conversation.read", data)


def conversation_changed(conversation: Conversation, also: list[int] = ()) -> None:
    """Participants joined or left: everyone concerned reloads the conversation's header."""
    realtime.publish(
        [*policy.recipients(conversation), *also],
        "conversation.updated",
        {"conversation": conversation.pk},
    )
