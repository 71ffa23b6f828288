"""Events published from request threads reach sockets subscribed through the channel layer.

realtime.pubsub issues the pub/sub layer's PUBLISH itself (no hop to the server's event
loop); if channels_redis ever changed its channel names or serialisation, these fail.
"""

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from realtime import events, pubsub
from tests.realtime.test_socket import run

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis layer needs Redis")


def _from_a_thread(function) -> None:
    """Call `function` from a plain thread, as a request's on-commit hook does."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            function()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(5)
    assert not errors, errors


def test_the_configured_layer_is_published_to_without_an_event_loop():
    assert pubsub.usable(get_channel_layer())


def test_a_message_published_from_a_thread_reaches_every_member_of_the_group():
    layer = get_channel_layer()
    message = {"type": "event.push", "event": {"type": "message.created", "seq": 7, "data": {}}}

    async def scenario():
        first = await layer.new_channel()
        second = await layer.new_channel()
        outsider = await layer.new_channel()
        await layer.group_add("user.41", first)
        await layer.group_add("user.41", second)
        await layer.group_add("user.42", outsider)
        await asyncio.sleep(0.1)  # the subscriptions reach Redis
        await asyncio.to_thread(_from_a_thread, lambda: events._send_groups({"user.41": message}))
        assert await asyncio.wait_for(layer.receive(first), 2) == message
        assert await asyncio.wait_for(layer.receive(second), 2) == message
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(outsider), 0.3)

    run(scenario)


def test_the_channel_names_are_the_layers_own():
    layer = get_channel_layer()

    async def name():
        return layer._get_layer()._get_group_channel_name("user.5")

    assert pubsub.group_channel("user.5") == run(name)
