"""Nobody outside a conversation gets anything from it: every kind of user, against every kind
of messaging object, through every path (policy, selectors, API, socket events)."""

import uuid
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.http import Http404
from django.test import Client

from accounts.models import User
from accounts.services import create_api_token
from groups.models import Group
from messaging import policy, selectors, services
from messaging.models import Conversation, Message
from tests.realtime.test_socket import communicator
from tests.social.conftest import add_member

VIEWERS = (
    "staff_participant",  # in the direct, the group and the left conversations
    "staff_outsider",  # staff, in no conversation
    "elected",  # in the group and the left conversations
    "external_participant",  # start-up member: in the direct and group ones; left the other
    "external_outsider",  # start-up member of the same group, in no conversation
    "citizen",
    "deactivated",  # was in the group conversation; account deactivated since
)
# Who may see each object. The message of a left conversation was written before its
# external participant left: leaving takes the history along.
SEES = {
    "direct": {"staff_participant", "external_participant"},
    "group": {"staff_participant", "elected", "external_participant"},
    "left": {"staff_participant", "elected"},
}
OBJECTS = ("direct", "group", "left")
# A word only each conversation's messages contain, to search for.
WORD = {"direct": "azalée", "group": "bégonia", "left": "capucine"}


@dataclass
class Messaging:
    users: dict[str, User] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)


def send(author: User, conversation: Conversation, body: str) -> Message:
    return services.send_message(
        author=author, conversation=conversation, body=body, client_key=uuid.uuid4()
    )[0]


def build(make_user) -> Messaging:
    w = Messaging()
    u = w.users
    u["staff_participant"] = make_user(User.Kind.STAFF, handle="agnes")
    u["staff_outsider"] = make_user(User.Kind.STAFF, handle="sacha")
    u["elected"] = make_user(User.Kind.ELECTED, handle="elise")
    u["external_participant"] = make_user(User.Kind.EXTERNAL, handle="ernest")
    u["external_outsider"] = make_user(User.Kind.EXTERNAL, handle="oscar")
    u["citizen"] = make_user(User.Kind.CITIZEN, handle="cecile")
    u["deactivated"] = make_user(User.Kind.STAFF, handle="denis")
    garage = Group.objects.create(
        name="Le Garage", slug="garage", open_to_external=True, created_by=u["staff_participant"]
    )
    for key in ("staff_participant", "external_participant", "external_outsider", "deactivated"):
        add_member(garage, u[key])
    owner = u["staff_participant"]
    c = w.conversations
    c["direct"] = services.start_direct(actor=owner, person=u["external_participant"])
    c["group"] = services.create_group_conversation(
        actor=owner,
        title="Pitch",
        people=[u["elected"], u["external_participant"], u["deactivated"]],
    )
    c["left"] = services.create_group_conversation(
        actor=owner, title="Ancien", people=[u["elected"], u["external_participant"]]
    )
    # Messages by the first participant, so that every other participant has one unread.
    for key, conversation in c.items():
        w.messages[key] = send(owner, conversation, f"Parlons {WORD[key]} demain")
    services.leave_conversation(actor=u["external_participant"], conversation=c["left"])
    User.objects.filter(pk=u["deactivated"].pk).update(is_active=False)
    u["deactivated"].refresh_from_db()
    return w


@pytest.fixture
def world(make_user) -> Messaging:
    return build(make_user)


def sees(viewer: str, obj: str) -> bool:
    return viewer in SEES[obj]


def api(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="matrix")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


# --- Policy and selectors -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("obj", OBJECTS)
def test_policy_and_selectors(world, viewer, obj):
    user = world.users[viewer]
    conversation = world.conversations[obj]
    message = world.messages[obj]
    expected = sees(viewer, obj)
    assert policy.can_view_conversation(user, conversation) is expected
    assert (conversation in policy.visible_conversations(user)) is expected
    assert (conversation.pk in [p.conversation_id for p in selectors.conversations_of(user)]) is (
        expected
    )
    found = [m.pk for m in selectors.search(user, WORD[obj])]
    assert found == ([message.pk] if expected else [])
    if expected:
        assert selectors.get_conversation_for(user, conversation.pk) == conversation
        assert selectors.get_message_for(user, message.pk) == message
        assert [m.pk for m in selectors.history(user, conversation)] == [message.pk]
    else:
        with pytest.raises(Http404):
            selectors.get_conversation_for(user, conversation.pk)
        with pytest.raises(Http404):
            selectors.get_message_for(user, message.pk)
        with pytest.raises(Http404):
            selectors.history(user, conversation)
        assert not policy.can_change_message(user, message)


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_unread_counts_only_count_ones_own_conversations(world, viewer):
    user = world.users[viewer]
    expected = sum(
        1 for obj in OBJECTS if sees(viewer, obj) and viewer != "staff_participant"
    )  # the staff participant wrote every message
    assert selectors.unread_total(user) == expected


# --- API ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_api(world, viewer):
    user = world.users[viewer]
    if viewer == "deactivated":
        # No token can be made for the account any more; its session stopped working with it.
        client = Client()
        client.force_login(user)
        assert client.get("/api/v1/conversations").status_code == 401
        assert client.get("/api/v1/unread").status_code == 401
        for obj in OBJECTS:
            conversation = world.conversations[obj]
            assert client.get(f"/api/v1/conversations/{conversation.pk}").status_code == 401
        return
    client = api(user)
    if viewer == "citizen":
        # No messaging at all: every address of the API answers 404, whatever it names.
        for obj in OBJECTS:
            base = f"/api/v1/conversations/{world.conversations[obj].pk}"
            for path in (base, f"{base}/messages", f"/api/v1/messages/search?q={WORD[obj]}"):
                assert client.get(path).status_code == 404
        assert client.get("/api/v1/conversations").status_code == 404
        return
    listed = {c["id"] for c in client.get("/api/v1/conversations").json()["items"]}
    assert listed == {world.conversations[o].pk for o in OBJECTS if sees(viewer, o)}
    unread = client.get("/api/v1/unread").json()
    assert set(unread["conversations"]) <= {str(pk) for pk in listed}
    for obj in OBJECTS:
        conversation, message = world.conversations[obj], world.messages[obj]
        base = f"/api/v1/conversations/{conversation.pk}"
        detail = client.get(base)
        history = client.get(f"{base}/messages")
        caught_up = client.get(f"{base}/messages?after=1")
        search = client.get(f"/api/v1/messages/search?q={WORD[obj]}")
        if sees(viewer, obj):
            assert detail.status_code == 200
            assert [m["id"] for m in history.json()["items"]] == [message.pk]
            assert [m["id"] for m in caught_up.json()["items"]] == [message.pk]
            assert [m["id"] for m in search.json()] == [message.pk]
        else:
            for response in (detail, history, caught_up):
                assert response.status_code == 404
                assert response.json() == {"detail": "Introuvable."}
            assert search.json() == []
            assert str(conversation.pk) not in unread["conversations"]
            edit = client.patch(
                f"/api/v1/messages/{message.pk}",
                {"body": "Piraté"},
                content_type="application/json",
            )
            assert edit.status_code == 404
            assert client.delete(f"/api/v1/messages/{message.pk}").status_code == 404
            assert client.post(f"{base}/read", content_type="application/json").status_code == 404
            sent = client.post(
                f"{base}/messages",
                {"body": "Intrus", "client_key": str(uuid.uuid4())},
                content_type="application/json",
            )
            assert sent.status_code == 404
    assert Message.objects.filter(body__in=["Intrus", "Piraté"]).count() == 0


# --- Socket events --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_socket_events_reach_participants_only(make_user):
    world = build(make_user)
    sockets = {viewer: communicator(world.users[viewer]) for viewer in VIEWERS}
    author = world.users["staff_participant"]
    contacts = {
        viewer: {
            world.users[other].pk
            for obj in OBJECTS
            if sees(viewer, obj)
            for other in SEES[obj]
            if other != viewer
        }
        for viewer in VIEWERS
    }

    async def scenario():
        for viewer, socket in sockets.items():
            connected, _ = await socket.connect()
            assert connected, viewer
        # The deactivated account's socket is turned away at the handshake.
        assert (await sockets["deactivated"].receive_output(timeout=2))["code"] == 4401

        def write():
            with transaction.atomic():
                for obj in OBJECTS:
                    send(author, world.conversations[obj], f"Nouveau {WORD[obj]}")

        await sync_to_async(write)()
        for viewer in VIEWERS:
            if viewer == "deactivated":
                continue
            socket = sockets[viewer]
            expected = {world.conversations[o].pk for o in OBJECTS if sees(viewer, o)}
            received = []
            # Everything that arrives until the socket goes quiet. Presence comes only from
            # people one shares a conversation with.
            while not await socket.receive_nothing(timeout=0.5):
                event = await socket.receive_json_from(timeout=1)
                if event["type"] == "presence":
                    assert event["data"]["user"] in contacts[viewer], (viewer, event)
                else:
                    received.append(event)
            assert {e["type"] for e in received} <= {"message.created"}, (viewer, received)
            conversations = [e["data"]["conversation"] for e in received]
            assert sorted(conversations) == sorted(expected), viewer
        for viewer, socket in sockets.items():
            if viewer != "deactivated":
                await socket.disconnect()

    async_to_sync(scenario)()
