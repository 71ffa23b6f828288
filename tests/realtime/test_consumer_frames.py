"""What a socket may send, and what ends its right to stay open.

Every refused frame gets a French error frame and leaves the socket working; a flood gets
error frames, then a close with 4429. A socket is authenticated only at its handshake, so
signing out, a new password and deactivation are pushed to it: it closes with 4401.
"""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from config.asgi import application
from groups.models import Group
from messaging import services as messaging
from realtime.consumers import BURST, MAX_STRIKES, MAX_SUBSCRIPTIONS
from tests.factories import PASSWORD, GroupFactory
from tests.realtime.test_socket import communicator, run

pytestmark = pytest.mark.django_db(transaction=True)


UNREADABLE = "Message illisible : un objet JSON d'au plus 4 Ko est attendu."


def signed_in(user: User) -> tuple[Client, WebsocketCommunicator]:
    """A browser signed in through the sign-in page, and a socket opened with its session."""
    client = Client()
    response = client.post("/compte/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ],
    )
    return client, socket


async def close_code(socket: WebsocketCommunicator) -> int:
    """Wait (5 s at most) for the server to close the socket; then let the consumer finish."""
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    await socket.disconnect()
    return output["code"]


async def next_frame(socket: WebsocketCommunicator) -> dict:
    """The next frame, passing over presence announcements (covered in test_presence)."""
    while True:
        frame = await socket.receive_json_from(timeout=2)
        if frame["type"] != "presence":
            return frame


async def still_answers(socket: WebsocketCommunicator) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await next_frame(socket) == {"type": "pong"}


async def expect_error(socket: WebsocketCommunicator, detail: str) -> None:
    reply = await socket.receive_json_from(timeout=2)
    assert reply == {"type": "error", "data": {"detail": detail}}


# --- Malformed frames ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("pas du json", id="not-json"),
        pytest.param("[1, 2, 3]", id="json-array"),
        pytest.param('"une chaîne"', id="json-string"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("null", id="json-null"),
        pytest.param("[" * 3000 + "]" * 3000, id="deeply-nested"),
        pytest.param(json.dumps({"type": "ping", "pad": "x" * (1024 * 1024)}), id="one-megabyte"),
        pytest.param(json.dumps({"type": "ping", "pad": "é" * 2100}), id="over-4kb-in-bytes"),
    ],
)
def test_a_malformed_frame_gets_an_error_and_the_socket_keeps_working(staff, frame):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_to(text_data=frame)
        await expect_error(socket, UNREADABLE)
        await still_answers(socket)
        await socket.disconnect()

    run(scenario)


def test_a_binary_frame_is_refused(staff):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_to(bytes_data=b'{"type": "ping"}')
        await expect_error(socket, UNREADABLE)
        await still_answers(socket)
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "envoyer"},
        {"type": None},
        {"type": ["ping"]},
        {"type": {"ping": 1}},
        {"pas": "de type"},
        {},
    ],
)
def test_an_unknown_frame_type_gets_an_error(staff, frame):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to(frame)
        await expect_error(socket, "Type de message inconnu.")
        await still_answers(socket)
        await socket.disconnect()

    run(scenario)


def test_a_session_cookie_that_matches_no_session_is_closed_with_4401(db):
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", b"sessionid=nimportequoi"),
        ],
    )

    async def scenario():
        assert (await socket.connect())[0]
        assert (await socket.receive_output(timeout=2))["code"] == 4401
        await socket.disconnect()

    run(scenario)


# --- Rate limit ----------------------------------------------------------------------------


def test_a_burst_of_100_frames_passes_then_frames_beyond_the_rate_are_refused(staff):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        for _ in range(BURST + 10):
            await socket.send_json_to({"type": "ping"})
        replies = [await socket.receive_json_from(timeout=5) for _ in range(BURST + 10)]
        pongs = [r for r in replies if r["type"] == "pong"]
        refused = [r for r in replies if r["type"] == "error"]
        assert BURST <= len(pongs) < BURST + 10
        assert refused
        assert refused[0]["data"]["detail"] == "Trop de messages : ralentissez."
        await socket.disconnect()

    run(scenario)


def test_a_socket_that_keeps_flooding_is_closed_with_4429(staff):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        for _ in range(BURST + MAX_STRIKES + 30):
            await socket.send_to(text_data="pas du json")
        closed = None
        for _ in range(BURST + MAX_STRIKES + 30):
            output = await socket.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                closed = output
                break
        assert closed is not None
        assert closed["code"] == 4429
        await socket.disconnect()

    run(scenario)


# --- Subscriptions -------------------------------------------------------------------------


def test_subscribing_to_a_readable_group_is_acknowledged_and_unsubscribing_too(staff):
    group = GroupFactory(visibility=Group.Visibility.PUBLIC)
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "subscribe", "group": group.pk})
        assert await socket.receive_json_from(timeout=2) == {
            "type": "subscribed",
            "group": group.pk,
        }
        await socket.send_json_to({"type": "unsubscribe", "group": group.pk})
        assert await socket.receive_json_from(timeout=2) == {
            "type": "unsubscribed",
            "group": group.pk,
        }
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("which", ["missing", "private", "unlisted", "not-an-id"])
def test_subscribing_to_a_missing_or_forbidden_group_gets_the_same_error(staff, which):
    private = GroupFactory(visibility=Group.Visibility.PRIVATE)
    unlisted = GroupFactory(visibility=Group.Visibility.UNLISTED)
    group_id = {
        "missing": 10**9,
        "private": private.pk,
        "unlisted": unlisted.pk,
        "not-an-id": str(private.pk),
    }[which]
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "subscribe", "group": group_id})
        await expect_error(socket, "Groupe introuvable.")
        await still_answers(socket)
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("group_id", [True, -1, 0, 2**64, 1.5, None, [1], {"id": 1}])
def test_subscribing_with_a_malformed_id_gets_an_error(staff, group_id):
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "subscribe", "group": group_id})
        await expect_error(socket, "Groupe introuvable.")
        await socket.send_json_to({"type": "unsubscribe", "group": group_id})
        await expect_error(socket, "Groupe introuvable.")
        await socket.disconnect()

    run(scenario)


def test_a_socket_holds_at_most_20_subscriptions(staff):
    groups = GroupFactory.create_batch(MAX_SUBSCRIPTIONS + 1, visibility=Group.Visibility.PUBLIC)
    socket = communicator(staff)

    async def scenario():
        assert (await socket.connect())[0]
        for group in groups[:MAX_SUBSCRIPTIONS]:
            await socket.send_json_to({"type": "subscribe", "group": group.pk})
            assert (await socket.receive_json_from(timeout=2))["type"] == "subscribed"
        await socket.send_json_to({"type": "subscribe", "group": groups[-1].pk})
        await expect_error(socket, "Trop d'abonnements sur cette connexion (20 au plus).")
        # Re-subscribing to one already held is not a new subscription.
        await socket.send_json_to({"type": "subscribe", "group": groups[0].pk})
        assert (await socket.receive_json_from(timeout=2))["type"] == "subscribed"
        await socket.disconnect()

    run(scenario)


# --- Typing --------------------------------------------------------------------------------


def test_typing_reaches_the_other_participant_once_however_many_frames(staff, elected):
    conversation = messaging.start_direct(actor=staff, person=elected)
    typist, reader = communicator(staff), communicator(elected)

    async def scenario():
        assert (await typist.connect())[0]
        assert (await reader.connect())[0]
        for _ in range(30):
            await typist.send_json_to({"type": "typing", "conversation": conversation.pk})
        await still_answers(typist)  # all 30 handled, none answered
        event = await next_frame(reader)
        assert event == {
            "type": "typing",
            "data": {"conversation": conversation.pk, "user": staff.pk},
        }
        assert await reader.receive_nothing(timeout=0.5)
        await typist.disconnect()
        await reader.disconnect()

    run(scenario)


def test_typing_is_limited_across_tabs_too(staff, elected):
    conversation = messaging.start_direct(actor=staff, person=elected)
    tabs, reader = [communicator(staff), communicator(staff)], communicator(elected)

    async def scenario():
        assert (await reader.connect())[0]
        for tab in tabs:
            assert (await tab.connect())[0]
            await tab.send_json_to({"type": "typing", "conversation": conversation.pk})
            await still_answers(tab)
        assert (await next_frame(reader))["type"] == "typing"
        assert await reader.receive_nothing(timeout=0.5)
        for socket in [*tabs, reader]:
            await socket.disconnect()

    run(scenario)


def test_typing_in_a_conversation_one_is_not_in_is_refused_and_relays_nothing(
    staff, elected, make_user
):
    conversation = messaging.start_direct(actor=staff, person=elected)
    outsider = make_user(User.Kind.STAFF)
    intruder, reader = communicator(outsider), communicator(elected)

    async def scenario():
        assert (await intruder.connect())[0]
        assert (await reader.connect())[0]
        for conversation_id in [conversation.pk, 10**9, "1", None]:
            await intruder.send_json_to({"type": "typing", "conversation": conversation_id})
            assert (await next_frame(intruder))["data"]["detail"] == "Conversation introuvable."
        assert await reader.receive_nothing(timeout=0.5)
        await intruder.disconnect()
        await reader.disconnect()

    run(scenario)


# --- Access ends: sockets close --------------------------------------------------------------


def test_signing_out_closes_the_sockets_of_that_browser_only(staff):
    laptop, laptop_socket = signed_in(staff)
    _phone, phone_socket = signed_in(staff)

    async def scenario():
        assert (await laptop_socket.connect())[0]
        assert (await phone_socket.connect())[0]
        await sync_to_async(laptop.post)("/compte/logout/")
        assert await close_code(laptop_socket) == 4401
        await still_answers(phone_socket)  # the phone is still signed in
        await phone_socket.disconnect()

    run(scenario)


def test_ending_another_session_closes_its_sockets(staff):
    laptop, _laptop_socket = signed_in(staff)
    _phone, phone_socket = signed_in(staff)

    async def scenario():
        assert (await phone_socket.connect())[0]
        response = await sync_to_async(laptop.post)("/compte/sessions/", {"action": "logout"})
        assert response.status_code == 302
        assert await close_code(phone_socket) == 4401

    run(scenario)


def test_changing_the_password_closes_every_socket_of_the_person(staff, elected):
    browser, first = signed_in(staff)
    _other, second = signed_in(staff)
    bystander = communicator(elected)

    async def scenario():
        for socket in (first, second, bystander):
            assert (await socket.connect())[0]
        response = await sync_to_async(browser.post)(
            "/compte/password/change/",
            {
                "oldpassword": PASSWORD,
                "password1": "un-tout-nouveau-mot-de-passe",
                "password2": "un-tout-nouveau-mot-de-passe",
            },
        )
        assert response.status_code == 302
        for socket in (first, second):
            assert await close_code(socket) == 4401
        await still_answers(bystander)
        await bystander.disconnect()

    run(scenario)


def test_a_password_reset_closes_every_socket_of_the_person(staff):
    socket = communicator(staff)

    def reset():
        # What the reset-from-key form does (allauth's flow ends in set_password + save).
        staff.set_password("remis-a-zero-par-courriel")
        staff.save()

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(reset)()
        assert await close_code(socket) == 4401

    run(scenario)


def test_saving_a_profile_does_not_close_sockets(staff):
    socket = communicator(staff)

    def edit():
        staff.display_name = "Agnès Renommée"
        staff.save()

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(edit)()
        await still_answers(socket)
        await socket.disconnect()

    run(scenario)


def test_deactivation_through_a_plain_save_closes_sockets(staff):
    socket = communicator(staff)

    def deactivate():
        user = User.objects.get(pk=staff.pk)
        user.is_active = False
        user.save(update_fields=["is_active"])

    async def scenario():
        assert (await socket.connect())[0]
        await sync_to_async(deactivate)()
        assert await close_code(socket) == 4401

    run(scenario)
