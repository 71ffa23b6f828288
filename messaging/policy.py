"""Who may write to whom, and who sees which conversation. The only place that decides it."""

from django.db.models import QuerySet

from accounts.models import User
from groups.policy import co_member_ids
from messaging.models import MAX_PARTICIPANTS, Conversation, Message, Participant


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def has_messaging(user: User) -> bool:
    """Staff, elected and external members; citizens have consultations, not messages."""
    return _active(user) and not user.is_citizen


def can_message(user: User, person: User) -> bool:
    """Staff and elected write to anyone internal and to external members of a shared group;
    external members only to people who share a group with them; citizens to nobody."""
    if not has_messaging(user) or not has_messaging(person) or user.pk == person.pk:
        return False
    if user.is_internal and person.is_internal:
        return True
    # One of them is external: they must share a group, both with access today.
    external, other = (user, person) if user.is_external else (person, user)
    return co_member_ids(external).filter(user_id=other.pk).exists()


def messageable_people(user: User) -> QuerySet[User]:
    """The queryset mirror of `can_message` (for pickers and suggestions)."""
    if not has_messaging(user):
        return User.objects.none()
    people = User.objects.filter(is_active=True).exclude(kind=User.Kind.CITIZEN).exclude(pk=user.pk)
    shared = co_member_ids(user)
    if user.is_external:
        return people.filter(pk__in=shared)
    return people.filter(kind__in=[User.Kind.STAFF, User.Kind.ELECTED]) | people.filter(
        kind=User.Kind.EXTERNAL, pk__in=shared
    )


def active_participations(user: User) -> QuerySet[Participant]:
    if not has_messaging(user):
        return Participant.objects.none()
    return Participant.objects.filter(user=user, left_at__isnull=True)


def visible_conversations(user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(pk__in=active_participations(user).values("conversation_id"))


def can_view_conversation(user: User, conversation: Conversation) -> bool:
    return active_participations(user).filter(conversation=conversation).exists()


def takes_part(user: User, people: list[User]) -> bool:
    """`can_view_conversation` from the conversation's active participants, already read."""
    return has_messaging(user) and any(person.pk == user.pk for person in people)


def can_send(user: User, conversation: Conversation, people: list[User]) -> bool:
    """A participant writes; in a direct conversation only while both may still write to
    each other (an external member whose shared group ended can read, not write).

    `people`: the conversation's active participants, read by the caller in the same query
    that gives the message its recipients (the writer must be one of them).
    """
    if not takes_part(user, people):
        return False
    if conversation.is_direct:
        return all(can_message(user, other) for other in people if other.pk != user.pk)
    return True


def can_add_participant(
    user: User, conversation: Conversation, person: User, *, count: int
) -> bool:
    return (
        not conversation.is_direct
        and count < MAX_PARTICIPANTS
        and can_view_conversation(user, conversation)
        and can_message(user, person)
    )


def can_change_message(user: User, message: Message) -> bool:
    """Authors edit and delete their messages while they are still in the conversation."""
    return (
        not message.is_deleted
        and message.author_id == user.pk
        and can_view_conversation(user, message.conversation)
    )


def recipients(conversation: Conversation) -> QuerySet:
    """Ids of the people who receive a conversation's events: its active participants."""
    return Participant.objects.filter(
        conversation=conversation, left_at__isnull=True, user__is_active=True
    ).values_list("user_id", flat=True)


def receiving(people: list[User]) -> list[int]:
    """`recipients` over participants already read: the active accounts among them."""
    return [person.pk for person in people if person.is_active]
