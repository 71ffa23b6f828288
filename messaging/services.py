"""Writes on conversations and messages: one function per action a person can take.

Every write publishes its events after commit, to the conversation's active participants
only (the recipients are decided here, never by the client).
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from files import services as file_services
from messaging import events, policy
from messaging.models import (
    MAX_PARTICIPANTS,
    MESSAGE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Conversation,
    Message,
    Participant,
)
from notifications import triggers as notification_triggers
from social import rendering

UNREAD_CAP = 10_000  # a recount after an older read point never scans more than this


def _active_people(conversation: Conversation) -> list[User]:
    return [
        p.user
        for p in Participant.objects.filter(
            conversation=conversation, left_at__isnull=True
        ).select_related("user")
    ]


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": _("Le message est vide.")})
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {
                "body": _("Le message dépasse %(limit)s caractères.")
                % {"limit": f"{MESSAGE_MAX_LENGTH:,}".replace(",", " ")}
            }
        )
    return body


def _render(body: str, people: list[User]) -> tuple[str, list[User]]:
    """Markdown as for posts; @mentions link only `people`: the conversation's participants."""
    handles = set(rendering.mentioned_handles(body))
    mentioned = [person for person in people if person.handle in handles]
    urls = {p.handle: reverse("accounts:profile", args=[p.pk]) for p in mentioned}
    return rendering.render(body, mention_urls=urls), mentioned


# --- Conversations ---------------------------------------------------------------------------


def direct_key(a: User, b: User) -> str:
    low, high = sorted((a.pk, b.pk))
    return f"{low}:{high}"


def start_direct(*, actor: User, person: User) -> Conversation:
    """The direct conversation of two people, created on first use."""
    if not policy.can_message(actor, person):
        raise PermissionDenied
    key = direct_key(actor, person)
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        Participant.objects.filter(conversation=existing, user=actor).update(left_at=None)
        return existing
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Conversation.Kind.DIRECT, created_by=actor, direct_key=key
            )
            Participant.objects.bulk_create(
                [
                    Participant(conversation=conversation, user=actor),
                    Participant(conversation=conversation, user=person),
                ]
            )
    except IntegrityError:  # both started it at the same moment
        return Conversation.objects.get(direct_key=key)
    return conversation


def _clean_title(title: str) -> str:
    title = " ".join((title or "").replace("\x00", "").split())
    if not title:
        raise ValidationError({"title": _("Donnez un titre à la conversation.")})
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": _("Le titre dépasse %(limit)s caractères.") % {"limit": TITLE_MAX_LENGTH}}
        )
    return title


def _too_many() -> ValidationError:
    return ValidationError(
        {
            "people": _("Une conversation réunit %(max)s personnes au plus.")
            % {"max": MAX_PARTICIPANTS}
        }
    )


@transaction.atomic
def create_group_conversation(*, actor: User, title: str, people: list[User]) -> Conversation:
    if not policy.has_messaging(actor):
        raise PermissionDenied
    title = _clean_title(title)
    people = [p for p in {p.pk: p for p in people}.values() if p.pk != actor.pk]
    if not people:
        raise ValidationError({"people": _("Ajoutez au moins une personne.")})
    if len(people) + 1 > MAX_PARTICIPANTS:
        raise _too_many()
    refused = [p for p in people if not policy.can_message(actor, p)]
    if refused:
        raise ValidationError(
            {
                "people": _("Vous ne pouvez pas écrire à %(names)s.")
                % {"names": ", ".join(p.display_name for p in refused)}
            }
        )
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.GROUP, title=title, created_by=actor
    )
    Participant.objects.bulk_create(
        Participant(conversation=conversation, user=u) for u in [actor, *people]
    )
    events.conversation_changed(conversation)
    return conversation


@transaction.atomic
def add_participants(*, actor: User, conversation: Conversation, people: list[User]) -> None:
    current = {p.user_id: p for p in conversation.participants.select_for_update()}
    count = sum(1 for p in current.values() if p.is_active)
    for person in people:
        existing = current.get(person.pk)
        if existing is not None and existing.is_active:
            continue
        if count >= MAX_PARTICIPANTS:
            raise _too_many()
        if not policy.can_add_participant(actor, conversation, person, count=count):
            raise PermissionDenied
        if existing is not None:
            existing.left_at, existing.joined_at = None, timezone.now()
            existing.last_read_id = conversation.last_message_id or 0
            existing.unread_count = 0
            existing.save(update_fields=["left_at", "joined_at", "last_read_id", "unread_count"])
        else:
            Participant.objects.create(
                conversation=conversation,
                user=person,
                last_read_id=conversation.last_message_id or 0,
            )
        count += 1
    events.conversation_changed(conversation)


@transaction.atomic
def leave_conversation(*, actor: User, conversation: Conversation) -> None:
    """Leave a group conversation: its events stop at once, its history goes with it."""
    if conversation.is_direct or not policy.can_view_conversation(actor, conversation):
        raise PermissionDenied
    Participant.objects.filter(conversation=conversation, user=actor).update(
        left_at=timezone.now(), unread_count=0
    )
    events.conversation_changed(conversation, also=[actor.pk])


# --- Messages --------------------------------------------------------------------------------


def _client_key(raw) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError(
            {"client_key": _("Identifiant d'envoi invalide (un UUID est attendu).")}
        ) from None


def send_message(
    *,
    author: User,
    conversation: Conversation,
    body: str,
    client_key,
    attachments=(),
    people: list[User] | None = None,
) -> tuple[Message, bool]:
    """Send once: `(message, True)`, or for a retry with the same `client_key` the first
    message and False.

    The unique (author, client_key) constraint tells a retry apart, so a first send (nearly
    every send) costs no look-up. `attachments`: the author's own files
    (files.selectors.attachable_files), shared to the conversation with the message, so its
    participants (and only they) may open them. `people`: the conversation's active
    participants when the caller has just read them (selectors.get_conversation_with_people).
    """
    key = _client_key(client_key)
    body = _clean_body(body)
    try:
        with transaction.atomic():
            return _send(author, conversation, body, key, list(attachments), people), True
    except IntegrityError:
        existing = Message.objects.filter(author=author, client_key=key).first()
        if existing is None:
            raise
        if existing.conversation_id != conversation.pk:
            raise ValidationError(
                {"client_key": _("Cet identifiant d'envoi est déjà utilisé.")}
            ) from None
        return existing, False


def _send(
    author: User,
    conversation: Conversation,
    body: str,
    key: uuid.UUID,
    attachments: list,
    people: list[User] | None,
) -> Message:
    # One read gives the policy its facts, the mentions their candidates and the event its
    # recipients.
    if people is None:
        people = _active_people(conversation)
    if not policy.can_send(author, conversation, people):
        raise PermissionDenied
    html, mentioned = _render(body, people)
    message = Message.objects.create(
        conversation=conversation, author=author, body=body, body_html=html, client_key=key
    )
    if mentioned:
        message.mentions.add(*mentioned)
    for file in attachments:
        file_services.share_to_conversation(actor=author, file=file, conversation=conversation)
    if attachments:
        message.attachments.add(*attachments)
    message.sent_attachments = attachments  # the answer to the send needs no read of them
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=message.created_at
    )
    conversation.last_message, conversation.last_message_at = message, message.created_at
    # The author has read their own message; everyone else has one more unread.
    Participant.objects.filter(conversation=conversation, left_at__isnull=True).update(
        unread_count=Case(When(user=author, then=Value(0)), default=F("unread_count") + 1),
        last_read_id=Case(
            When(user=author, then=Value(message.pk)),
            default=F("last_read_id"),
            output_field=BigIntegerField(),
        ),
    )
    events.message_created(message, people=people, attachments=attachments)
    notification_triggers.message_sent(message, people)
    return message


@transaction.atomic
def edit_message(*, actor: User, message: Message, body: str) -> Message:
    if not policy.can_change_message(actor, message):
        raise PermissionDenied
    body = _clean_body(body)
    message.body = body
    message.body_html, mentioned = _render(body, _active_people(message.conversation))
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    message.mentions.set(mentioned)
    events.message_updated(message)
    return message


@transaction.atomic
def delete_message(*, actor: User, message: Message) -> Message:
    """A tombstone: the text goes, the place in the history stays."""
    if not policy.can_change_message(actor, message):
        raise PermissionDenied
    message.deleted_at = timezone.now()
    message.body = message.body_html = ""
    message.save(update_fields=["deleted_at", "body", "body_html"])
    message.mentions.clear()
    # A deleted message is no longer unread by those who had not read it (as a recount says).
    Participant.objects.filter(
        conversation_id=message.conversation_id,
        left_at__isnull=True,
        last_read_id__lt=message.pk,
        unread_count__gt=0,
    ).exclude(user_id=message.author_id).update(unread_count=F("unread_count") - 1)
    events.message_deleted(message)
    return message


# --- Read state ------------------------------------------------------------------------------


@transaction.atomic
def mark_read(*, actor: User, conversation: Conversation, up_to: int | None = None) -> Participant:
    """Read up to a message (the latest by default); never moves the read point backwards."""
    participant = (
        Participant.objects.select_for_update()
        .filter(conversation=conversation, user=actor, left_at__isnull=True)
        .first()
    )
    if participant is None or not policy.has_messaging(actor):
        raise PermissionDenied
    latest = conversation.last_message_id or 0
    target = latest if up_to is None else min(int(up_to), latest)
    if target <= participant.last_read_id:
        return participant
    participant.last_read_id = target
    if target == latest:
        participant.unread_count = 0
    else:
        participant.unread_count = (
            Message.objects.filter(
                conversation=conversation, pk__gt=target, deleted_at__isnull=True
            )
            .exclude(author=actor)
            .values("pk")[:UNREAD_CAP]
            .count()
        )
    participant.save(update_fields=["last_read_id", "unread_count"])
    events.conversation_read(participant)
    return participant
