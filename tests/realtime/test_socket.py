"""The /ws/ socket: who may connect, and events published after commit reach the right people.

These go through the real ASGI application (origin check, session cookie, auth middleware)
and the configured channel layer: Redis whenever it runs, which CI requires.
"""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client

from accounts import services
from accounts.models import User
from config.asgi import application
from realtime import events

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: User | None) -> str:
    if user is None:
        return ""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(user: User | None, origin: str = "http://localhost") -> WebsocketCommunicator:
    headers = [(b"host", b"localhost")]
    if origin:
        headers.append((b"origin", origin.encode()))
    key = session_cookie(user)
    if key:
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_the_channel_layer_follows_redis_url():
    expected = (
        "channels_redis.pubsub.RedisPubSubChannelLayer"
        if settings.REDIS_URL
        else "channels.layers.InMemoryChannelLayer"
    )
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == expected


def test_a_signed_in_user_receives_what_is_published_to_them_after_commit(staff, elected):
    mine, theirs = communicator(staff), communicator(elected)

    async def scenario():
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]

        def write():
            with transaction.atomic():
                events.publish([staff.pk], "notification.count", {"count": 3})

        await sync_to_async(write)()
        event = await mine.receive_json_from(timeout=5)
        assert event["type"] == "notification.count"
        assert event["data"] == {"count": 3}
        assert event["id"]
        assert await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()

    run(scenario)


def test_a_rolled_back_write_publishes_nothing(staff):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]

        def failed_write():
            with transaction.atomic():
                events.publish([staff.pk], "notification.count", {"count": 1})
                transaction.set_rollback(True)

        await sync_to_async(failed_write)()
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    run(scenario)


def test_every_open_tab_of_a_user_receives_the_event(staff):
    tabs = [communicator(staff), communicator(staff)]

    async def scenario():
        for tab in tabs:
            assert (await tab.connect())[0]
        await sync_to_async(events.publish)([staff.pk], "notification.count", {"count": 2})
        for tab in tabs:
            assert (await tab.receive_json_from(timeout=5))["data"] == {"count": 2}
            await tab.disconnect()

    run(scenario)


def test_an_anonymous_socket_is_closed_with_4401(db):
    socket = communicator(None)

    async def scenario():
        connected, _ = await socket.connect()
        assert connected
        assert (await socket.receive_output(timeout=2))["code"] == 4401

    run(scenario)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", ""])
def test_a_socket_from_another_origin_is_refused(staff, origin):
    socket = communicator(staff, origin=origin)

    async def scenario():
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_malformed_frames_get_a_french_error_and_the_socket_stays_open(staff):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        for frame in ["pas du json", "[1, 2]", json.dumps({"type": "x" * 5000}), '{"type": "??"}']:
            await socket.send_to(text_data=frame)
            reply = await socket.receive_json_from(timeout=2)
            assert reply["type"] == "error"
            assert reply["data"]["detail"]
        await socket.send_json_to({"type": "ping"})
        assert (await socket.receive_json_from(timeout=2)) == {"type": "pong"}
        await socket.disconnect()

    run(scenario)


def test_deactivating_an_account_closes_its_sockets(staff, make_user):
    admin = make_user(User.Kind.STAFF, is_superuser=True)

    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(services.deactivate_user)(actor=admin, user=staff)
        assert (await socket.receive_output(timeout=5))["code"] == 4401

    run(scenario)


def test_events_reach_a_socket_without_a_trip_to_a_database_thread_each(staff, monkeypatch):
    """The socket's consumer reads the database only when it needs to: pushing an event is
    a send on the event loop, not a hop to a thread to tidy database connections first
    (under load that hop per event per socket took a sixth of the loop's time)."""
    import channels.consumer

    hops = []
    tidy = channels.consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        await tidy()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        for n in range(20):
            await sync_to_async(events.publish)([staff.pk], "notification.count", {"count": n})
        for n in range(20):
            assert (await socket.receive_json_from(timeout=5))["data"] == {"count": n}
        assert hops == []
        await socket.disconnect()

    run(scenario)
