"""Two real daphne processes sharing Redis: an event reaches a user on whichever one they are."""

import asyncio
import json

import pytest
import websockets
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from websockets.exceptions import InvalidStatus

from realtime import events
from tests.servers import daphnes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis (always present in CI, where absence is an error)",
    ),
]


@pytest.fixture(scope="module")
def two_daphnes(django_db_setup):
    with daphnes(2) as ports:
        yield ports


def test_an_event_reaches_the_user_on_both_server_processes(staff, two_daphnes):
    client = Client()
    client.force_login(staff)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def scenario():
        sockets = [
            await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": cookie},
            )
            for port in two_daphnes
        ]
        await asyncio.sleep(0.3)  # both processes have joined the user's group

        def write():
            try:
                with transaction.atomic():
                    events.publish([staff.pk], "notification.count", {"count": 7})
            finally:
                connection.close()  # this thread's own connection

        await asyncio.to_thread(write)
        for ws in sockets:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert event["type"] == "notification.count"
            assert event["data"] == {"count": 7}
            await ws.close()

    asyncio.run(scenario())


def test_a_foreign_origin_is_refused_by_a_real_server(two_daphnes):
    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                f"ws://127.0.0.1:{two_daphnes[0]}/ws/", origin="https://evil.example"
            )
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())
