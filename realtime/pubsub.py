"""Publishing on the Redis pub/sub channel layer from request threads, without an event loop.

`group_send` is a coroutine: a request thread reaches it through `async_to_sync`, which runs
it on the server's event loop, the loop that also serves every socket of the process. Under
load the hop queued behind socket traffic while the request held its database connection,
and the pool ran dry (bench/ws_fanout.py: 41 of 100 messages/s answered). The pub/sub
layer's `group_send` is one Redis PUBLISH of the layer's own serialisation on the group's
channel, so this module issues the same PUBLISHes, pipelined, with the synchronous client.
tests/realtime/test_pubsub.py checks that what it publishes reaches sockets subscribed
through the layer.
"""

from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from realtime.connections import redis_client


def _config() -> dict[str, Any]:
    return settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})


def usable(layer: Any) -> bool:
    """True for the pub/sub layer on one Redis server given by URL (our configuration)."""
    hosts = _config().get("hosts", [])
    return (
        isinstance(layer, RedisPubSubChannelLayer) and len(hosts) == 1 and isinstance(hosts[0], str)
    )


def group_channel(group: str) -> str:
    """The Redis channel the layer subscribes a group's members to."""
    return f"{_config().get('prefix', 'asgi')}__group__{group}"


def publish(layer: RedisPubSubChannelLayer, messages: dict[str, dict[str, Any]]) -> None:
    """`group_send(group, message)` for each item, in one round trip."""
    pipe = redis_client(_config()["hosts"][0]).pipeline(transaction=False)
    for group, message in messages.items():
        pipe.publish(group_channel(group), layer.serialize(message))
    pipe.execute()
