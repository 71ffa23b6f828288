"""The messaging API: every route, its bad input, its pagination and its query counts."""

import uuid

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import create_api_token
from groups.models import Group
from messaging import services
from messaging.models import MESSAGE_MAX_LENGTH, Conversation, Message, Participant
from realtime import sequence
from tests.social.conftest import add_member

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def send(author: User, conversation: Conversation, body: str = "Bonjour") -> Message:
    return services.send_message(
        author=author, conversation=conversation, body=body, client_key=uuid.uuid4()
    )[0]


@pytest.fixture
def garage(staff, external) -> Group:
    group = Group.objects.create(
        name="Le Garage", slug="garage", open_to_external=True, created_by=staff
    )
    add_member(group, staff)
    add_member(group, external)
    return group


@pytest.fixture
def outsider(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Sacha Seul")


@pytest.fixture
def direct(staff, elected) -> Conversation:
    return services.start_direct(actor=staff, person=elected)


def post(client: Client, url: str, data=None, **kwargs):
    return client.post(url, data, content_type="application/json", **kwargs)


# --- Conversations ---------------------------------------------------------------------------


def test_a_direct_conversation_is_created_once_then_found_again(staff, elected):
    client = api(staff)
    first = post(client, "/api/v1/conversations", {"person": elected.pk})
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/conversations", {"person": elected.pk})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    body = first.json()
    assert body["kind"] == "direct"
    assert {p["id"] for p in body["participants"]} == {staff.pk, elected.pk}
    # The other one finds the same conversation.
    theirs = post(api(elected), "/api/v1/conversations", {"person": staff.pk})
    assert theirs.status_code == 200
    assert theirs.json()["id"] == body["id"]
    assert Conversation.objects.count() == 1


def test_a_group_conversation_has_a_title_and_its_people(staff, elected, external, garage):
    response = post(
        api(staff),
        "/api/v1/conversations",
        {"title": "Pitch du Garage", "people": [elected.pk, external.pk]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Pitch du Garage"
    assert body["kind"] == "group"
    assert {p["id"] for p in body["participants"]} == {staff.pk, elected.pk, external.pk}
    assert all(p["last_read_id"] is None for p in body["participants"])  # no receipts in groups


@pytest.mark.parametrize(
    "payload",
    [
        {"person": 0},
        {"person": 2**63},
        {"person": "abc"},
        {"title": "", "people": [1]},
        {"title": "   ", "people": [1]},
        {"title": "x" * 121, "people": [1]},
        {"title": "Ok", "people": []},
        {"title": "Ok", "people": list(range(1, 51))},
        {"title": "Ok", "people": [1], "extra": True},
        {},
    ],
)
def test_malformed_conversation_requests_are_refused_and_create_nothing(staff, payload):
    response = post(api(staff), "/api/v1/conversations", payload)
    assert response.status_code == 422
    assert Conversation.objects.count() == 0


def test_a_malformed_json_body_gets_a_french_400(staff):
    response = post(api(staff), "/api/v1/conversations", "{pas du json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Corps de requête illisible")


def test_unknown_and_forbidden_people_give_the_same_404(staff, external, citizen, elected):
    client = api(staff)
    # An external member sharing no group with staff, a citizen, an unknown id, oneself.
    for person in (external.pk, citizen.pk, 987_654, staff.pk):
        response = post(client, "/api/v1/conversations", {"person": person})
        assert response.status_code == 404, person
        assert response.json() == {"detail": "Introuvable."}
    response = post(
        client, "/api/v1/conversations", {"title": "Réunion", "people": [elected.pk, citizen.pk]}
    )
    assert response.status_code == 404
    assert Conversation.objects.count() == 0


def test_a_citizen_has_no_messaging_api_at_all(citizen, staff):
    client = api(citizen)
    assert client.get("/api/v1/conversations").status_code == 404
    assert post(client, "/api/v1/conversations", {"person": staff.pk}).status_code == 404
    assert client.get("/api/v1/unread").status_code == 404


def test_the_list_shows_unread_first_with_a_preview_and_counts(staff, elected, outsider):
    quiet = services.start_direct(actor=staff, person=outsider)
    busy = services.start_direct(actor=staff, person=elected)
    send(staff, quiet, "Je relance")  # the most recent, but read
    send(elected, busy, "Premier")
    send(elected, busy, "Second " + "mot " * 60)
    send(staff, quiet, "Et encore")
    body = api(staff).get("/api/v1/conversations").json()
    assert body["count"] == 2
    first, second = body["items"]
    assert first["id"] == busy.pk
    assert first["unread"] == 2
    assert first["last_message"]["author"] == elected.display_name
    assert first["last_message"]["excerpt"].startswith("Second mot")
    assert len(first["last_message"]["excerpt"]) <= 140
    assert second["id"] == quiet.pk
    assert second["unread"] == 0
    page = api(staff).get("/api/v1/conversations?limit=1&offset=1").json()
    assert [c["id"] for c in page["items"]] == [quiet.pk]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=abc"])
def test_the_list_bounds_its_parameters(staff, query):
    assert api(staff).get(f"/api/v1/conversations?{query}").status_code == 422


def test_the_conversation_list_costs_the_same_at_two_sizes(
    staff, make_user, django_assert_max_num_queries
):
    client = api(staff)

    def fill(n):
        for _ in range(n):
            person = make_user(User.Kind.STAFF)
            conversation = services.create_group_conversation(
                actor=staff, title="Groupe", people=[person, make_user(User.Kind.ELECTED)]
            )
            send(person, conversation)

    fill(2)
    client.get("/api/v1/conversations")  # warm up (token lookup caches, content types)
    with django_assert_max_num_queries(8) as small:
        assert len(client.get("/api/v1/conversations").json()["items"]) == 2
    fill(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/conversations").json()["items"]) == 12


def test_the_detail_shows_people_and_my_read_state(staff, elected, direct):
    message = send(elected, direct)
    body = api(staff).get(f"/api/v1/conversations/{direct.pk}").json()
    assert body["unread"] == 1
    assert body["last_read_id"] == 0
    assert body["last_message_id"] == message.pk
    receipts = {p["id"]: p["last_read_id"] for p in body["participants"]}
    assert receipts == {staff.pk: 0, elected.pk: message.pk}  # « vu » in a direct conversation


@pytest.mark.parametrize("conversation_id", ["0", "abc", str(2**63), "99999999"])
def test_unknown_or_malformed_conversation_ids_are_refused(staff, conversation_id):
    response = api(staff).get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code in (404, 422)


def test_a_conversation_one_is_not_in_is_a_404_on_every_route(outsider, direct, staff):
    message = send(staff, direct, "Confidentiel")
    client = api(outsider)
    base = f"/api/v1/conversations/{direct.pk}"
    for response in (
        client.get(base),
        client.get(f"{base}/messages"),
        post(client, f"{base}/messages", {"body": "Coucou", "client_key": str(uuid.uuid4())}),
        post(client, f"{base}/read", {}),
        post(client, f"{base}/participants", {"people": [outsider.pk]}),
        client.delete(f"{base}/participants/me"),
        client.patch(
            f"/api/v1/messages/{message.pk}", {"body": "Pirate"}, content_type="application/json"
        ),
        client.delete(f"/api/v1/messages/{message.pk}"),
    ):
        assert response.status_code == 404, response.request
        assert response.json() == {"detail": "Introuvable."}
    assert client.get("/api/v1/messages/search?q=Confidentiel").json() == []
    message.refresh_from_db()
    assert message.body == "Confidentiel"
    assert not message.is_deleted
    assert Message.objects.count() == 1


# --- Messages ------------------------------------------------------------------------------


def test_sending_is_idempotent_201_then_200(staff, elected, direct):
    client = api(staff)
    url = f"/api/v1/conversations/{direct.pk}/messages"
    key = str(uuid.uuid4())
    first = post(client, url, {"body": "**Bonjour** @elise", "client_key": key})
    assert first.status_code == 201, first.content
    again = post(client, url, {"body": "**Bonjour** @elise", "client_key": key})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Message.objects.count() == 1
    body = first.json()
    assert "<strong>Bonjour</strong>" in body["body_html"]
    assert body["author"]["id"] == staff.pk
    assert body["conversation"] == direct.pk
    assert Participant.objects.get(conversation=direct, user=elected).unread_count == 1


def test_a_send_costs_the_same_few_queries_in_a_direct_and_a_50_person_conversation(
    staff, elected, direct, make_user, django_assert_max_num_queries
):
    """Token, conversation with its participants, insert, two counter updates, and the
    transaction: the answer re-reads nothing, whoever and however many the recipients."""
    client = api(staff)
    url = f"/api/v1/conversations/{direct.pk}/messages"
    post(client, url, {"body": "Bonjour", "client_key": str(uuid.uuid4())})  # token marked used
    with django_assert_max_num_queries(7) as in_direct:
        response = post(client, url, {"body": "Re", "client_key": str(uuid.uuid4())})
        assert response.status_code == 201, response.content
    crowd = services.create_group_conversation(
        actor=staff, title="Tous", people=[make_user(User.Kind.STAFF) for _ in range(49)]
    )
    url = f"/api/v1/conversations/{crowd.pk}/messages"
    with django_assert_max_num_queries(len(in_direct.captured_queries)):
        response = post(client, url, {"body": "À tous", "client_key": str(uuid.uuid4())})
        assert response.status_code == 201, response.content
    assert Participant.objects.filter(conversation=crowd, unread_count=1).count() == 49


@pytest.mark.parametrize(
    "payload",
    [
        {"body": "Bonjour"},
        {"body": "Bonjour", "client_key": "pas-un-uuid"},
        {"body": "", "client_key": "0b6c1c0e-7f57-4c55-9d3e-6a0a2d3c1f01"},
        {"body": "  \n ", "client_key": "0b6c1c0e-7f57-4c55-9d3e-6a0a2d3c1f01"},
        {
            "body": "x" * (MESSAGE_MAX_LENGTH + 1),
            "client_key": "0b6c1c0e-7f57-4c55-9d3e-6a0a2d3c1f01",
        },
        {"body": "a\x00b", "client_key": "0b6c1c0e-7f57-4c55-9d3e-6a0a2d3c1f01"},
        {"body": 3, "client_key": "0b6c1c0e-7f57-4c55-9d3e-6a0a2d3c1f01"},
    ],
)
def test_bad_messages_are_refused_and_send_nothing(staff, direct, payload):
    response = post(api(staff), f"/api/v1/conversations/{direct.pk}/messages", payload)
    assert response.status_code == 422
    assert Message.objects.count() == 0


def test_a_key_reused_in_another_conversation_is_refused_in_french(staff, direct, outsider):
    other = services.start_direct(actor=staff, person=outsider)
    key = str(uuid.uuid4())
    client = api(staff)
    post(client, f"/api/v1/conversations/{direct.pk}/messages", {"body": "Un", "client_key": key})
    response = post(
        client, f"/api/v1/conversations/{other.pk}/messages", {"body": "Deux", "client_key": key}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Cet identifiant d'envoi est déjà utilisé."
    assert Message.objects.count() == 1


def test_history_pages_backwards_and_catches_up_after(staff, elected, direct):
    ids = [send(staff if i % 2 else elected, direct, f"Message {i}").pk for i in range(7)]
    client = api(staff)
    url = f"/api/v1/conversations/{direct.pk}/messages"
    latest = client.get(f"{url}?limit=3").json()
    assert [m["id"] for m in latest["items"]] == ids[-3:]
    assert latest["has_more"] is True
    older = client.get(f"{url}?limit=3&before={ids[-3]}").json()
    assert [m["id"] for m in older["items"]] == ids[1:4]
    oldest = client.get(f"{url}?limit=3&before={ids[1]}").json()
    assert [m["id"] for m in oldest["items"]] == ids[:1]
    assert oldest["has_more"] is False
    caught_up = client.get(f"{url}?limit=4&after={ids[1]}").json()
    assert [m["id"] for m in caught_up["items"]] == ids[2:6]
    assert caught_up["has_more"] is True
    rest = client.get(f"{url}?after={ids[5]}").json()
    assert [m["id"] for m in rest["items"]] == ids[6:]
    assert rest["has_more"] is False


@pytest.mark.parametrize(
    "query", ["before=0", "after=-1", f"before={2**63}", "after=x", "limit=101", "limit=0"]
)
def test_history_bounds_its_parameters(staff, direct, query):
    response = api(staff).get(f"/api/v1/conversations/{direct.pk}/messages?{query}")
    assert response.status_code == 422


def test_history_between_two_ids_fills_a_gap(staff, elected, direct):
    ids = [send(elected, direct, f"M{i}").pk for i in range(6)]
    url = f"/api/v1/conversations/{direct.pk}/messages"
    gap = api(staff).get(f"{url}?after={ids[0]}&before={ids[4]}&limit=2").json()
    assert [m["id"] for m in gap["items"]] == ids[1:3]
    assert gap["has_more"] is True
    rest = api(staff).get(f"{url}?after={ids[2]}&before={ids[4]}").json()
    assert [m["id"] for m in rest["items"]] == [ids[3]]
    assert rest["has_more"] is False


def test_history_costs_the_same_at_two_sizes(staff, elected, direct, django_assert_max_num_queries):
    client = api(staff)
    url = f"/api/v1/conversations/{direct.pk}/messages"
    for _ in range(2):
        send(elected, direct)
    client.get(url)
    with django_assert_max_num_queries(8) as small:
        assert len(client.get(url).json()["items"]) == 2
    for _ in range(20):
        send(elected, direct)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["items"]) == 22


def test_an_author_edits_and_deletes_their_message(staff, elected, direct):
    message = send(staff, direct, "Brouillon")
    client = api(staff)
    response = client.patch(
        f"/api/v1/messages/{message.pk}",
        {"body": "Version finale"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["body"] == "Version finale"
    assert response.json()["edited_at"]
    assert client.delete(f"/api/v1/messages/{message.pk}").status_code == 204
    message.refresh_from_db()
    assert message.is_deleted
    assert message.body == ""
    history = client.get(f"/api/v1/conversations/{direct.pk}/messages").json()["items"]
    assert history[0]["is_deleted"]
    assert history[0]["body_html"] == ""
    # A deleted message is deleted for good.
    again = client.patch(
        f"/api/v1/messages/{message.pk}", {"body": "Retour"}, content_type="application/json"
    )
    assert again.status_code == 403


def test_another_participant_cannot_change_a_message(staff, elected, direct):
    message = send(staff, direct, "Le mien")
    client = api(elected)
    patch = client.patch(
        f"/api/v1/messages/{message.pk}", {"body": "Le tien"}, content_type="application/json"
    )
    assert patch.status_code == 403
    assert patch.json()["detail"] == "Vous n'avez pas accès à cette ressource."
    assert client.delete(f"/api/v1/messages/{message.pk}").status_code == 403
    message.refresh_from_db()
    assert message.body == "Le mien"
    assert not message.is_deleted


@pytest.mark.parametrize("payload", [{"body": ""}, {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}, {}])
def test_a_bad_edit_changes_nothing(staff, direct, payload):
    message = send(staff, direct, "Intact")
    response = api(staff).patch(
        f"/api/v1/messages/{message.pk}", payload, content_type="application/json"
    )
    assert response.status_code == 422
    message.refresh_from_db()
    assert message.body == "Intact"
    assert message.edited_at is None


def test_search_finds_only_my_conversations(staff, elected, outsider, direct):
    send(elected, direct, "Le budget de la foire")
    other = services.start_direct(actor=outsider, person=elected)
    send(elected, other, "Le budget secret")
    results = api(staff).get("/api/v1/messages/search?q=budget").json()
    assert [m["body"] for m in results] == ["Le budget de la foire"]
    assert api(staff).get("/api/v1/messages/search?q=").status_code == 422
    assert api(staff).get("/api/v1/messages/search?q=" + "x" * 101).status_code == 422


# --- Read state, participants, unread -------------------------------------------------------


def test_reading_moves_forward_and_the_unread_counts_follow(staff, elected, direct):
    ids = [send(elected, direct, f"M{i}").pk for i in range(3)]
    client = api(staff)
    assert client.get("/api/v1/unread").json()["total"] == 3
    partial = post(client, f"/api/v1/conversations/{direct.pk}/read", {"up_to": ids[0]}).json()
    assert partial == {
        "conversation": direct.pk,
        "last_read_id": ids[0],
        "unread": 2,
        "total_unread": 2,
    }
    everything = post(client, f"/api/v1/conversations/{direct.pk}/read").json()
    assert everything["unread"] == 0
    assert everything["last_read_id"] == ids[-1]
    backwards = post(client, f"/api/v1/conversations/{direct.pk}/read", {"up_to": ids[0]}).json()
    assert backwards["last_read_id"] == ids[-1]
    assert backwards["unread"] == 0


@pytest.mark.parametrize("payload", [{"up_to": 0}, {"up_to": "x"}, {"up_to": 2**63}, {"x": 1}])
def test_a_bad_read_point_is_refused(staff, elected, direct, payload):
    send(elected, direct)
    response = post(api(staff), f"/api/v1/conversations/{direct.pk}/read", payload)
    assert response.status_code == 422
    assert Participant.objects.get(conversation=direct, user=staff).unread_count == 1


def test_unread_lists_counts_per_conversation_and_the_sequence(
    staff, elected, outsider, direct, django_capture_on_commit_callbacks
):
    other = services.start_direct(actor=outsider, person=staff)
    before = sequence.current(staff.pk)
    with django_capture_on_commit_callbacks(execute=True):
        send(elected, direct)
        send(elected, direct)
        send(outsider, other)
    body = api(staff).get("/api/v1/unread").json()
    assert body["total"] == 3
    assert body["conversations"] == {str(direct.pk): 2, str(other.pk): 1}
    assert body["seq"] == sequence.current(staff.pk)
    assert body["seq"] == before + 3  # three message.created events for the staff member


def test_adding_and_leaving_a_group_conversation(staff, elected, outsider, citizen):
    group = services.create_group_conversation(actor=staff, title="Équipe", people=[elected])
    client = api(staff)
    url = f"/api/v1/conversations/{group.pk}/participants"
    added = post(client, url, {"people": [outsider.pk]})
    assert added.status_code == 200
    assert {p["id"] for p in added.json()["participants"]} == {staff.pk, elected.pk, outsider.pk}
    assert post(client, url, {"people": [citizen.pk]}).status_code == 404
    assert post(client, url, {"people": []}).status_code == 422
    assert post(client, url, {"people": [0]}).status_code == 422
    left = api(outsider).delete(f"{url}/me")
    assert left.status_code == 204
    assert api(outsider).get(f"/api/v1/conversations/{group.pk}").status_code == 404
    assert api(outsider).delete(f"{url}/me").status_code == 404


def test_a_direct_conversation_cannot_grow_nor_be_left(staff, direct, outsider):
    client = api(staff)
    url = f"/api/v1/conversations/{direct.pk}/participants"
    assert post(client, url, {"people": [outsider.pk]}).status_code == 403
    assert client.delete(f"{url}/me").status_code == 403
    assert Participant.objects.filter(conversation=direct).count() == 2


def test_anonymous_requests_get_401(direct):
    client = Client()
    assert client.get("/api/v1/conversations").status_code == 401
    assert client.get("/api/v1/unread").status_code == 401


# --- Files sent with a message ---------------------------------------------------------------


def test_files_sent_with_a_message_reach_its_participants_only(staff, elected, direct, outsider):
    from files import services as file_services
    from tests.files.conftest import png_bytes, upload

    plan = file_services.create_file(owner=staff, incoming=upload("plan.png", png_bytes()))
    sent = post(
        api(staff),
        f"/api/v1/conversations/{direct.pk}/messages",
        {"body": "Le plan", "client_key": str(uuid.uuid4()), "attachments": [plan.pk]},
    )
    assert sent.status_code == 201, sent.content
    assert [f["name"] for f in sent.json()["attachments"]] == ["plan.png"]
    page = api(elected).get(f"/api/v1/conversations/{direct.pk}/messages").json()
    assert [f["id"] for f in page["items"][-1]["attachments"]] == [plan.pk]
    assert api(elected).get(f"/api/v1/files/{plan.pk}/download").status_code == 200
    assert api(outsider).get(f"/api/v1/files/{plan.pk}/download").status_code == 404


def test_only_ones_own_files_can_be_sent(staff, elected, direct):
    from files import services as file_services
    from tests.files.conftest import png_bytes, upload

    theirs = file_services.create_file(owner=elected, incoming=upload("a.png", png_bytes()))
    refused = post(
        api(staff),
        f"/api/v1/conversations/{direct.pk}/messages",
        {"body": "Tiens", "client_key": str(uuid.uuid4()), "attachments": [theirs.pk]},
    )
    assert refused.status_code == 400
    assert "ne vous appartient pas" in refused.json()["detail"]
    assert not Message.objects.exists()
