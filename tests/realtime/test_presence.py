"""Presence: online, away or offline, told to the people who share a conversation.

A person is as present as their most present tab; the state lives in Redis (or in the
process without it) so every server process agrees (see test_two_processes for two).
"""

import time

import pytest
from channels.testing import WebsocketCommunicator

from accounts.models import User
from messaging import services as messaging
from realtime import presence
from realtime.presence import presence_of
from tests.realtime.test_socket import communicator, run

pytestmark = pytest.mark.django_db(transaction=True)


async def presence_event(socket: WebsocketCommunicator) -> dict:
    event = await socket.receive_json_from(timeout=3)
    assert event["type"] == "presence"
    return event["data"]


def test_presence_follows_the_sockets_of_a_person(staff):
    socket = communicator(staff)

    async def scenario():
        assert presence_of([staff.pk]) == {staff.pk: "offline"}
        assert (await socket.connect())[0]
        assert presence_of([staff.pk]) == {staff.pk: "online"}
        await socket.send_json_to({"type": "presence", "status": "away"})
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
        assert presence_of([staff.pk]) == {staff.pk: "away"}
        await socket.disconnect()
        assert presence_of([staff.pk]) == {staff.pk: "offline"}

    run(scenario)


def test_a_contact_sees_someone_come_online_go_away_and_leave(staff, elected):
    messaging.start_direct(actor=staff, person=elected)
    watcher, mine = communicator(elected), communicator(staff)

    async def scenario():
        assert (await watcher.connect())[0]
        assert (await mine.connect())[0]
        assert await presence_event(watcher) == {"user": staff.pk, "status": "online"}
        await mine.send_json_to({"type": "presence", "status": "away"})
        assert await presence_event(watcher) == {"user": staff.pk, "status": "away"}
        await mine.send_json_to({"type": "presence", "status": "online"})
        assert await presence_event(watcher) == {"user": staff.pk, "status": "online"}
        await mine.disconnect()
        assert await presence_event(watcher) == {"user": staff.pk, "status": "offline"}
        await watcher.disconnect()

    run(scenario)


def test_a_person_is_as_present_as_their_most_present_tab(staff, elected):
    messaging.start_direct(actor=staff, person=elected)
    watcher, first, second = communicator(elected), communicator(staff), communicator(staff)

    async def scenario():
        assert (await watcher.connect())[0]
        assert (await first.connect())[0]
        assert await presence_event(watcher) == {"user": staff.pk, "status": "online"}
        assert (await second.connect())[0]
        # One tab goes away, the other is still in use: still online, nothing to tell.
        await second.send_json_to({"type": "presence", "status": "away"})
        await second.send_json_to({"type": "ping"})
        assert await second.receive_json_from(timeout=2) == {"type": "pong"}
        assert presence_of([staff.pk]) == {staff.pk: "online"}
        # Closing the active tab leaves an away one.
        await first.disconnect()
        assert await presence_event(watcher) == {"user": staff.pk, "status": "away"}
        await second.disconnect()
        assert await presence_event(watcher) == {"user": staff.pk, "status": "offline"}
        assert await watcher.receive_nothing(timeout=0.3)
        await watcher.disconnect()

    run(scenario)


def test_people_without_a_shared_conversation_are_not_told(staff, elected, make_user):
    messaging.start_direct(actor=staff, person=elected)
    stranger = make_user(User.Kind.STAFF)
    other = make_user(User.Kind.STAFF)
    left = make_user(User.Kind.STAFF)
    group = messaging.create_group_conversation(actor=staff, title="Équipe", people=[left])
    messaging.leave_conversation(actor=left, conversation=group)
    watchers = [communicator(stranger), communicator(other), communicator(left)]
    mine = communicator(staff)

    async def scenario():
        for socket in watchers:
            assert (await socket.connect())[0]
        assert (await mine.connect())[0]
        await mine.disconnect()
        for socket in watchers:
            assert await socket.receive_nothing(timeout=0.3)
            await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("status", ["offline", "invisible", None, 1])
def test_an_unknown_status_is_refused(staff, status):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "presence", "status": status})
        reply = await socket.receive_json_from(timeout=2)
        assert reply == {
            "type": "error",
            "data": {"detail": "Statut inconnu : « online » ou « away » est attendu."},
        }
        assert presence_of([staff.pk]) == {staff.pk: "online"}
        await socket.disconnect()

    run(scenario)


def test_an_entry_no_socket_refreshes_expires(staff, monkeypatch):
    """A process that died without closing its sockets leaves entries that run out."""
    monkeypatch.setattr(presence, "TTL_SECONDS", 1)
    assert presence.set_status(staff.pk, "dead-socket", "online") == "online"
    assert presence_of([staff.pk]) == {staff.pk: "online"}
    time.sleep(1.2)
    assert presence_of([staff.pk]) == {staff.pk: "offline"}
    # The next change sees the stale entry gone: coming back is a change again.
    assert presence.set_status(staff.pk, "new-socket", "online") == "online"


def test_presence_of_many_people_at_once(staff, elected, external):
    presence.set_status(staff.pk, "a", "online")
    presence.set_status(elected.pk, "b", "away")
    assert presence_of([staff.pk, elected.pk, external.pk, staff.pk]) == {
        staff.pk: "online",
        elected.pk: "away",
        external.pk: "offline",
    }
    assert presence_of([]) == {}


def test_without_redis_presence_lives_in_the_process(settings, staff, elected):
    settings.REDIS_URL = ""
    assert presence.set_status(staff.pk, "a", "away") == "away"
    assert presence.set_status(staff.pk, "b", "online") == "online"
    assert presence.set_status(staff.pk, "b", "online") is None
    assert presence_of([staff.pk, elected.pk]) == {staff.pk: "online", elected.pk: "offline"}
    assert presence.remove(staff.pk, "b") == "away"
    assert presence.remove(staff.pk, "a") == "offline"
    assert presence_of([staff.pk]) == {staff.pk: "offline"}
