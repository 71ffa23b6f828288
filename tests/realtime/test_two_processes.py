"""Two real server processes sharing Redis: an event reaches a user on whichever one they are.

Each test runs on daphne (the development server) and on uvicorn as production runs it."""

import asyncio
import json
import urllib.request
import uuid

import pytest
import websockets
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.models import User
from accounts.services import create_api_token
from messaging import services as messaging
from realtime import events
from realtime.presence import presence_of
from tests.servers import servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs PostgreSQL and Redis (always present in CI, where absence is an error)",
    ),
]


@pytest.fixture(scope="module", params=["daphne", "uvicorn"])
def two_servers(request, django_db_setup):
    with servers(2, server=request.param) as ports:
        yield ports


def test_an_event_reaches_the_user_on_both_server_processes(staff, two_servers):
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
            for port in two_servers
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


def test_a_foreign_origin_is_refused_by_a_real_server(two_servers):
    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                f"ws://127.0.0.1:{two_servers[0]}/ws/", origin="https://evil.example"
            )
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def open_socket(port: int, user: User):
    return await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": await in_thread(session_cookie, user)},
    )


async def next_of(ws, type: str) -> dict:
    """The next event of this type (others, such as presence, may come in between)."""
    async with asyncio.timeout(5):
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == type:
                return event


async def closing_code(ws) -> int:
    """Wait (5 s at most) for the server to close this socket; its close code."""
    async with asyncio.timeout(5):
        while True:
            try:
                await ws.recv()
            except ConnectionClosed as closed:
                return closed.rcvd.code


def post_json(port: int, path: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def in_thread(function, *args, **kwargs):
    """Run ORM code from the event loop, closing that thread's connection afterwards."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return asyncio.to_thread(call)


def test_a_message_sent_through_one_process_arrives_on_the_other_with_presence(
    staff, elected, two_servers
):
    first, second = two_servers
    conversation = messaging.start_direct(actor=staff, person=elected)
    _token, raw = create_api_token(user=staff, name="deux processus")

    async def scenario():
        agnes = await open_socket(first, staff)  # process 1
        await asyncio.sleep(0.3)
        elise = await open_socket(second, elected)  # process 2

        # Agnès, on process 1, sees Élise come online on process 2; everyone agrees.
        seen = await next_of(agnes, "presence")
        assert seen["data"] == {"user": elected.pk, "status": "online"}
        assert presence_of([staff.pk, elected.pk]) == {staff.pk: "online", elected.pk: "online"}

        # Sent through the API of process 1, received on process 2 (and on Agnès's socket).
        status, sent = await asyncio.to_thread(
            post_json,
            first,
            f"/api/v1/conversations/{conversation.pk}/messages",
            raw,
            {"body": "Bonjour d'un processus à l'autre", "client_key": str(uuid.uuid4())},
        )
        assert status == 201
        received = await next_of(elise, "message.created")
        assert received["data"]["id"] == sent["id"]
        assert received["data"]["conversation"] == conversation.pk
        assert received["seq"] >= 1
        assert (await next_of(agnes, "message.created"))["data"]["id"] == sent["id"]

        # Typing, relayed across processes.
        await agnes.send(json.dumps({"type": "typing", "conversation": conversation.pk}))
        typing = await next_of(elise, "typing")
        assert typing["data"] == {"conversation": conversation.pk, "user": staff.pk}

        # Élise leaves process 2: Agnès sees her offline.
        await elise.close()
        gone = await next_of(agnes, "presence")
        assert gone["data"] == {"user": elected.pk, "status": "offline"}
        assert presence_of([elected.pk]) == {elected.pk: "offline"}
        await agnes.close()

    asyncio.run(scenario())


def test_a_new_password_closes_the_sockets_on_both_processes(staff, two_servers):
    async def scenario():
        sockets = [await open_socket(port, staff) for port in two_servers]
        await asyncio.sleep(0.3)

        def change_password():
            user = User.objects.get(pk=staff.pk)
            user.set_password("un-mot-de-passe-tout-neuf")
            user.save()

        await in_thread(change_password)
        for ws in sockets:
            assert await closing_code(ws) == 4401

    asyncio.run(scenario())


def test_a_real_server_answers_a_one_megabyte_frame_with_an_error_and_stays_up(staff, two_servers):
    async def scenario():
        ws = await open_socket(two_servers[0], staff)
        # 1 MB (daphne itself refuses messages over 1 MiB by closing the connection).
        frame = json.dumps({"type": "ping", "pad": ""})
        await ws.send(frame[:-2] + "x" * (1_000_000 - len(frame)) + '"}')
        error = await next_of(ws, "error")
        assert error["data"]["detail"] == (
            "Message illisible : un objet JSON d'au plus 4 Ko est attendu."
        )
        await ws.send(json.dumps({"type": "ping"}))
        assert (await next_of(ws, "pong")) == {"type": "pong"}
        await ws.close()

    asyncio.run(scenario())
