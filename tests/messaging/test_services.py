"""Messaging rules, as the services and the policy apply them: who writes to whom, sending
once, editing, read state, limits, leaving, mentions, and the events each write publishes."""

import asyncio
import contextlib
import queue
import threading
import time
import uuid
from datetime import timedelta
from typing import ClassVar

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership
from messaging import policy, selectors, services
from messaging.models import MAX_PARTICIPANTS, MESSAGE_MAX_LENGTH, Conversation, Message
from realtime.groups import user_group
from tests.social.conftest import add_member

pytestmark = pytest.mark.django_db


def send(author: User, conversation: Conversation, body: str = "Bonjour", key=None) -> Message:
    return services.send_message(
        author=author, conversation=conversation, body=body, client_key=key or uuid.uuid4()
    )[0]


def unread(user: User, conversation: Conversation) -> int:
    return conversation.participants.get(user=user).unread_count


@pytest.fixture
def garage(staff, external) -> Group:
    group = Group.objects.create(
        name="Le Garage", slug="garage", open_to_external=True, created_by=staff
    )
    add_member(group, staff)
    add_member(group, external)
    return group


@pytest.fixture
def startup_mate(make_user, garage) -> User:
    mate = make_user(User.Kind.EXTERNAL, handle="mila", display_name="Mila Associée")
    add_member(garage, mate)
    return mate


@pytest.fixture
def direct(staff, elected) -> Conversation:
    return services.start_direct(actor=staff, person=elected)


# --- Who may write to whom ----------------------------------------------------------------


def test_staff_and_elected_write_to_anyone_internal(staff, elected, make_user):
    colleague = make_user(User.Kind.STAFF)
    assert policy.can_message(staff, elected)
    assert policy.can_message(elected, staff)
    assert policy.can_message(staff, colleague)
    assert policy.can_message(elected, colleague)
    assert not policy.can_message(staff, staff)


def test_staff_write_to_an_external_member_only_when_they_share_a_group(staff, external, elected):
    assert not policy.can_message(staff, external)
    assert not policy.can_message(external, staff)
    with pytest.raises(PermissionDenied):
        services.start_direct(actor=staff, person=external)
    group = Group.objects.create(name="G", slug="g", open_to_external=True, created_by=staff)
    add_member(group, staff)
    add_member(group, external)
    assert policy.can_message(staff, external)
    assert policy.can_message(external, staff)
    assert not policy.can_message(elected, external)  # elected is not in the group
    assert external in policy.messageable_people(staff)
    assert external not in policy.messageable_people(elected)


def test_external_members_write_only_to_co_members(external, startup_mate, make_user, staff):
    stranger = make_user(User.Kind.EXTERNAL)
    assert policy.can_message(external, startup_mate)
    assert not policy.can_message(external, stranger)
    assert not policy.can_message(external, make_user(User.Kind.STAFF))  # staff outside the group
    assert set(policy.messageable_people(external)) == {staff, startup_mate}


def test_citizens_write_to_nobody_and_nobody_writes_to_them(citizen, staff, elected):
    for a, b in ((citizen, staff), (staff, citizen), (elected, citizen)):
        assert not policy.can_message(a, b)
    assert not policy.messageable_people(citizen).exists()
    with pytest.raises(PermissionDenied):
        services.start_direct(actor=citizen, person=staff)
    with pytest.raises(PermissionDenied):
        services.create_group_conversation(actor=citizen, title="Hello", people=[staff])
    assert Conversation.objects.count() == 0


def test_an_expired_membership_stops_new_messages_but_not_reading(staff, external, garage):
    conversation = services.start_direct(actor=staff, person=external)
    send(external, conversation, "Avant la fin")
    Membership.objects.filter(group=garage, user=external).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(PermissionDenied):
        send(external, conversation, "Après la fin")
    with pytest.raises(PermissionDenied):
        send(staff, conversation, "Toujours là ?")
    assert [m.body for m in selectors.history(external, conversation)] == ["Avant la fin"]
    with pytest.raises(PermissionDenied):
        services.start_direct(actor=staff, person=external)


# --- Sending ------------------------------------------------------------------------------


def test_the_same_key_twice_sends_one_message(staff, elected, direct):
    key = uuid.uuid4()
    first = send(staff, direct, "Une fois", key=key)
    again = send(staff, direct, "Une fois", key=key)
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert unread(elected, direct) == 1


def test_a_bad_key_is_refused_in_french(staff, direct):
    with pytest.raises(ValidationError) as refused:
        send(staff, direct, "Salut", key="pas-un-uuid")
    assert refused.value.message_dict == {
        "client_key": ["Identifiant d'envoi invalide (un UUID est attendu)."]
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Le message est vide."),
        ("  \n\t ", "Le message est vide."),
        ("\x00", "Le message est vide."),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "Le message dépasse 5 000 caractères."),
    ],
)
def test_empty_or_oversized_bodies_are_refused_and_change_nothing(
    staff, elected, direct, body, message
):
    with pytest.raises(ValidationError) as refused:
        send(staff, direct, body)
    assert refused.value.message_dict == {"body": [message]}
    assert Message.objects.count() == 0
    direct.refresh_from_db()
    assert direct.last_message is None
    assert unread(elected, direct) == 0
    kept = send(staff, direct, "Gardé")
    with pytest.raises(ValidationError):
        services.edit_message(actor=staff, message=kept, body=body)
    kept.refresh_from_db()
    assert kept.body == "Gardé"
    assert kept.edited_at is None


def test_a_body_at_the_limit_is_accepted(staff, direct):
    assert len(send(staff, direct, "x" * MESSAGE_MAX_LENGTH).body) == MESSAGE_MAX_LENGTH


def test_mentions_link_only_participants(staff, elected, make_user):
    make_user(User.Kind.STAFF, handle="absent", display_name="Pas Là")
    make_user(User.Kind.ELECTED, handle="elise2", display_name="Autre Élue")
    elected.handle = "elise"
    elected.save()
    conversation = services.start_direct(actor=staff, person=elected)
    message = send(staff, conversation, "Merci @elise, et @absent aussi")
    assert list(message.mentions.all()) == [elected]
    assert f'href="{reverse("accounts:profile", args=[elected.pk])}"' in message.body_html
    assert "@absent</a>" not in message.body_html
    assert "@absent" in message.body_html  # left as text
    # Mentions follow an edit, still limited to participants.
    services.edit_message(actor=staff, message=message, body="Merci @absent")
    assert list(message.mentions.all()) == []
    assert "href" not in message.body_html


# --- Editing and deleting ------------------------------------------------------------------


def test_the_author_edits_marked_and_deletes_to_a_tombstone(staff, elected, direct):
    message = send(staff, direct, "Brouillon")
    edited = services.edit_message(actor=staff, message=message, body="Propre")
    assert edited.body == "Propre"
    assert edited.edited_at is not None
    services.delete_message(actor=staff, message=message)
    message.refresh_from_db()
    assert message.is_deleted
    assert message.body == ""
    assert message.body_html == ""
    assert Message.objects.filter(pk=message.pk).exists()  # its place in the history stays
    with pytest.raises(PermissionDenied):
        services.edit_message(actor=staff, message=message, body="Revenu")


def test_nobody_else_edits_or_deletes(staff, elected, direct):
    message = send(staff, direct, "À moi")
    with pytest.raises(PermissionDenied):
        services.edit_message(actor=elected, message=message, body="À toi")
    with pytest.raises(PermissionDenied):
        services.delete_message(actor=elected, message=message)
    message.refresh_from_db()
    assert message.body == "À moi"
    assert message.edited_at is None
    assert not message.is_deleted


# --- Read state -----------------------------------------------------------------------------


def test_unread_counts_per_conversation_and_in_total(staff, elected, make_user):
    other = make_user(User.Kind.STAFF)
    a = services.start_direct(actor=staff, person=elected)
    b = services.start_direct(actor=staff, person=other)
    send(elected, a)
    send(elected, a)
    send(staff, b)  # one's own messages are never unread
    send(other, b)
    assert unread(staff, a) == 2
    assert unread(staff, b) == 1
    assert selectors.unread_total(staff) == 3
    assert selectors.unread_total(elected) == 0
    send(staff, b)  # answering reads the conversation
    assert unread(staff, b) == 0


def test_reading_moves_forward_only_and_an_older_point_recounts(staff, elected, direct):
    ids = [send(elected, direct, f"M{i}").pk for i in range(4)]
    read = services.mark_read(actor=staff, conversation=direct, up_to=ids[1])
    assert (read.last_read_id, read.unread_count) == (ids[1], 2)
    read = services.mark_read(actor=staff, conversation=direct, up_to=ids[0])
    assert (read.last_read_id, read.unread_count) == (ids[1], 2)  # never backwards
    read = services.mark_read(actor=staff, conversation=direct)
    assert (read.last_read_id, read.unread_count) == (ids[3], 0)
    assert selectors.unread_total(staff) == 0


def test_reading_up_to_a_later_id_than_exists_reads_everything(staff, elected, direct):
    last = send(elected, direct).pk
    read = services.mark_read(actor=staff, conversation=direct, up_to=last + 1000)
    assert (read.last_read_id, read.unread_count) == (last, 0)


def test_a_deleted_message_is_no_longer_unread(staff, elected, direct):
    kept = send(elected, direct, "Reste")
    gone = send(elected, direct, "Part")
    assert unread(staff, direct) == 2
    services.delete_message(actor=elected, message=gone)
    assert unread(staff, direct) == 1
    services.mark_read(actor=staff, conversation=direct, up_to=kept.pk)
    services.delete_message(actor=elected, message=kept)  # already read: nothing to take off
    assert unread(staff, direct) == 0
    assert selectors.unread_total(staff) == 0


def test_a_recount_skips_deleted_messages_and_ones_own(staff, elected, direct):
    first = send(elected, direct, "Un")
    gone = send(elected, direct, "Deux")
    send(staff, direct, "Moi")
    send(elected, direct, "Trois")
    services.delete_message(actor=elected, message=gone)
    read = services.mark_read(actor=staff, conversation=direct, up_to=first.pk)
    assert read.unread_count == 1


# --- Participants ---------------------------------------------------------------------------


def test_a_conversation_holds_fifty_people_at_most(staff, make_user):
    people = [make_user(User.Kind.STAFF) for _ in range(MAX_PARTICIPANTS)]
    with pytest.raises(ValidationError) as refused:
        services.create_group_conversation(actor=staff, title="Trop", people=people)
    assert refused.value.message_dict == {
        "people": ["Une conversation réunit 50 personnes au plus."]
    }
    assert Conversation.objects.count() == 0
    full = services.create_group_conversation(actor=staff, title="Plein", people=people[:-1])
    assert full.participants.count() == MAX_PARTICIPANTS
    with pytest.raises(ValidationError):
        services.add_participants(actor=staff, conversation=full, people=[people[-1]])
    assert full.participants.count() == MAX_PARTICIPANTS


def test_a_group_conversation_needs_a_title_and_people(staff, elected):
    with pytest.raises(ValidationError) as no_title:
        services.create_group_conversation(actor=staff, title="  ", people=[elected])
    assert no_title.value.message_dict == {"title": ["Donnez un titre à la conversation."]}
    with pytest.raises(ValidationError) as nobody:
        services.create_group_conversation(actor=staff, title="Seul", people=[staff])
    assert nobody.value.message_dict == {"people": ["Ajoutez au moins une personne."]}
    assert Conversation.objects.count() == 0


def test_after_leaving_no_unread_and_no_history(staff, elected, make_user):
    third = make_user(User.Kind.STAFF)
    group = services.create_group_conversation(actor=staff, title="Trio", people=[elected, third])
    send(staff, group)
    services.leave_conversation(actor=third, conversation=group)
    send(staff, group)
    assert selectors.unread_total(third) == 0
    assert set(policy.recipients(group)) == {staff.pk, elected.pk}
    with pytest.raises(PermissionDenied):
        send(third, group)
    assert list(selectors.search(third, "Bonjour")) == []


def test_a_direct_conversation_cannot_be_left(staff, direct):
    with pytest.raises(PermissionDenied):
        services.leave_conversation(actor=staff, conversation=direct)


# --- Events -------------------------------------------------------------------------------


class Inbox:
    """What the channel layer delivers to one user's group, as a socket would receive it: a
    channel made by the layer and read continuously from its own event loop (the pub/sub
    layer only delivers to channels it made, to the loop that made them)."""

    open: ClassVar[list["Inbox"]] = []

    def __init__(self, user: User):
        # Its own layer instance: one instance receives on one event loop only.
        self.layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.received: queue.Queue = queue.Queue()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def listen() -> None:
            channel = await self.layer.new_channel()
            await self.layer.group_add(user_group(user.pk), channel)
            ready.set()
            while True:
                message = await self.layer.receive(channel)
                self.received.put(message["event"])

        self.task = self.loop.create_task(listen())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert ready.wait(5), "the inbox could not subscribe"
        Inbox.open.append(self)

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self.task)

    def events(self, wait: float = 0.3) -> list[dict]:
        time.sleep(wait)
        received = []
        while not self.received.empty():
            received.append(self.received.get())
        return received

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(5)
        self.loop.run_until_complete(
            self.layer.flush() if hasattr(self.layer, "flush") else asyncio.sleep(0)
        )
        self.loop.close()


@pytest.fixture(autouse=True)
def _close_inboxes():
    yield
    while Inbox.open:
        Inbox.open.pop().close()


def test_events_go_after_commit_to_active_participants_only_with_their_own_seq(
    staff, elected, make_user, django_capture_on_commit_callbacks
):
    third, left = make_user(User.Kind.STAFF), make_user(User.Kind.STAFF)
    outsider = make_user(User.Kind.STAFF)
    group = services.create_group_conversation(
        actor=staff, title="Équipe", people=[elected, third, left]
    )
    services.leave_conversation(actor=left, conversation=group)
    inboxes = {u.pk: Inbox(u) for u in (staff, elected, third, left, outsider)}
    with django_capture_on_commit_callbacks(execute=False) as pending:
        message = send(elected, group, "Réunion à 14 h")
        assert all(not inbox.events(0.05) for inbox in inboxes.values())  # nothing before commit
    for callback in pending:
        callback()
    received = {uid: inbox.events() for uid, inbox in inboxes.items()}
    assert received[left.pk] == []
    assert received[outsider.pk] == []
    for uid in (staff.pk, elected.pk, third.pk):
        (event,) = received[uid]
        assert event["type"] == "message.created"
        assert event["data"]["id"] == message.pk
        assert event["data"]["body_html"].startswith("<p>Réunion")
    assert len({received[uid][0]["id"] for uid in (staff.pk, elected.pk, third.pk)}) == 1
    # Each recipient's own sequence moves by one per event.
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(actor=elected, message=message, body="Réunion à 15 h")
        services.delete_message(actor=elected, message=message)
    for uid in (staff.pk, third.pk):
        first_seq = received[uid][0]["seq"]
        later = inboxes[uid].events()
        assert [e["type"] for e in later] == ["message.updated", "message.deleted"]
        assert [e["seq"] for e in later] == [first_seq + 1, first_seq + 2]
        assert later[1]["data"]["deleted"] is True
        assert later[1]["data"]["body_html"] == ""
    assert inboxes[left.pk].events() == []
    assert inboxes[outsider.pk].events() == []


def test_a_refused_write_publishes_nothing(
    staff, elected, direct, django_capture_on_commit_callbacks
):
    inboxes = [Inbox(staff), Inbox(elected)]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        send(staff, direct, "")
    assert callbacks == []
    assert all(inbox.events() == [] for inbox in inboxes)


def test_reading_tells_my_tabs_and_the_other_person_in_a_direct_conversation(
    staff, elected, direct, django_capture_on_commit_callbacks
):
    message = send(elected, direct)
    mine, theirs = Inbox(staff), Inbox(elected)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(actor=staff, conversation=direct)
    (event,) = mine.events()
    assert event["type"] == "conversation.read"
    assert event["data"] == {
        "conversation": direct.pk,
        "user": staff.pk,
        "last_read_id": message.pk,
        "unread": 0,
    }
    (receipt,) = theirs.events()
    assert receipt["data"] == {
        "conversation": direct.pk,
        "user": staff.pk,
        "last_read_id": message.pk,
    }


def test_leaving_stops_events_at_once(
    staff, elected, make_user, django_capture_on_commit_callbacks
):
    third = make_user(User.Kind.STAFF)
    group = services.create_group_conversation(actor=staff, title="Trio", people=[elected, third])
    inbox = Inbox(third)
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_conversation(actor=third, conversation=group)
    assert [e["type"] for e in inbox.events()] == ["conversation.updated"]
    with django_capture_on_commit_callbacks(execute=True):
        send(staff, group, "Après ton départ")
    assert inbox.events() == []
    assert unread(third, group) == 0
