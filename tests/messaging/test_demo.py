"""The demo's conversations: idempotent like the rest of the demo, with unread counters that
match a recount, and nobody in a conversation the messaging policy would not let them into."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files import policy as file_policy
from files.models import FileShare
from messaging import policy, selectors
from messaging.demo import CONVERSATIONS
from messaging.models import Conversation, Message, Participant

pytestmark = pytest.mark.django_db

COUNTED = [Conversation, Participant, Message, Message.attachments.through, FileShare]


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _state() -> list[tuple]:
    return sorted(
        Participant.objects.values_list(
            "conversation_id", "user_id", "last_read_id", "unread_count"
        )
    )


def _person(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


@pytest.fixture
def demo() -> str:
    return _load()


def test_loading_the_demo_twice_gives_the_same_conversations(demo):
    first, state = _counts(), _state()
    output = _load()
    assert _counts() == first
    assert _state() == state
    messages = sum(len(spec.messages) for spec in CONVERSATIONS)
    assert first["Conversation"] == len(CONVERSATIONS)
    assert first["Message"] == messages
    assert f"Demo conversations: {len(CONVERSATIONS)}, {messages} messages ({messages} new)" in demo
    assert f"{messages} messages (0 new)" in output


def test_the_demo_has_two_direct_conversations_and_a_titled_group_one(demo):
    direct = Conversation.objects.filter(kind=Conversation.Kind.DIRECT)
    group = Conversation.objects.get(kind=Conversation.Kind.GROUP)
    assert direct.count() == 2
    assert group.title
    assert 3 <= group.participants.count() <= 4
    startup = _person("startup1")
    assert direct.filter(participants__user=startup).exists()  # staff and a Le Garage member


def test_unread_counters_match_a_recount_and_the_demo_users_have_unread_messages(demo):
    for participant in Participant.objects.select_related("user"):
        recount = (
            Message.objects.filter(
                conversation_id=participant.conversation_id,
                pk__gt=participant.last_read_id,
                deleted_at__isnull=True,
            )
            .exclude(author_id=participant.user_id)
            .count()
        )
        assert participant.unread_count == recount, participant
    assert selectors.unread_total(_person("agent1")) > 0
    unread = dict(
        Participant.objects.filter(unread_count__gt=0).values_list("user__handle", "unread_count")
    )
    assert unread.get("agent1", 0) > 0
    assert unread.get("startup1", 0) > 0


def test_nobody_is_in_a_conversation_the_policy_would_refuse(demo):
    for conversation in Conversation.objects.prefetch_related("participants__user"):
        people = [p.user for p in conversation.participants.all() if p.is_active]
        assert all(policy.has_messaging(person) for person in people)
        if conversation.is_direct:
            first, second = people
            assert policy.can_message(first, second)
            assert policy.can_message(second, first)
        else:
            creator = conversation.created_by
            assert all(policy.can_message(creator, p) for p in people if p != creator)
        for person in people:
            assert policy.can_send(person, conversation, people)


def test_a_demo_file_sent_in_a_conversation_is_open_to_its_participants_only(demo):
    message = Message.objects.exclude(attachments=None).select_related("conversation").first()
    assert message is not None
    file = message.attachments.get()
    participants = {p.user_id for p in message.conversation.participants.all()}
    for person in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}"):
        if person.pk in participants:
            assert file_policy.visible_files(person).filter(pk=file.pk).exists()
    citizen = _person("citoyen1")
    assert not file_policy.visible_files(citizen).filter(pk=file.pk).exists()
