"""The meetings API: every route, its bad input, who sees what, and list query counts."""

from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import create_api_token
from files import services as file_services
from meetings import services
from meetings.models import (
    ARGUMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Decision,
    DecisionUpdate,
    Invitation,
    Meeting,
)
from social.models import Comment
from tests.files.conftest import png_bytes, upload
from tests.meetings.conftest import when

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def send(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


def new_meeting(world, body=None, group="public", user="owner"):
    start, end = when()
    data = {
        "title": "Comité de pilotage",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "place": "Salle 2",
        **(body or {}),
    }
    return send(api(world.users[user]), "post", f"/api/v1/groups/{group}/meetings", data)


def add_items(world, meeting: Meeting, n: int):
    return [
        services.add_item(actor=world.users["owner"], meeting=meeting, title=f"Point {i}")
        for i in range(n)
    ]


# --- Meetings --------------------------------------------------------------------------------


def test_a_group_manager_creates_a_meeting_and_invites_people(world):
    u = world.users
    response = new_meeting(
        world,
        {
            "description": "Ordre du jour **provisoire**",
            "participants": [u["staff_member"].pk, u["elected_invited"].pk],
            "members_may_add_items": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Comité de pilotage"
    assert body["status"] == "preparation"
    assert body["organiser"]["id"] == u["owner"].pk
    assert body["group"] == {"slug": "public", "name": "Groupe public"}
    assert "<strong>provisoire</strong>" in body["description_html"]
    assert body["starts_at"].endswith(("Z", "+00:00")) or "+" in body["starts_at"][10:]
    assert {p["user"]["id"] for p in body["participants"]} == {
        u["owner"].pk,
        u["staff_member"].pk,
        u["elected_invited"].pk,
    }
    assert body["me"]["can_manage"] is True
    assert body["ics_url"] == f"/api/v1/meetings/{body['id']}/ics"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"title": "x" * (TITLE_MAX_LENGTH + 1)}, 422, None),
        ({"title": "   "}, 422, None),
        ({"surprise": 1}, 422, None),
        ({"starts_at": "2030-01-01T10:00:00"}, 422, None),  # no time zone
        ({"ends_at": "2020-01-01T10:00:00+01:00"}, 400, "ends_at"),
        ({"place": "", "video_url": ""}, 400, "place"),
        ({"video_url": "http://visio.example.org/abc"}, 400, "video_url"),
        ({"starts_at": "9999-12-31T23:00:00-12:00"}, 400, "starts_at"),
        ({"participants": [0]}, 422, None),
    ],
)
def test_a_meeting_with_bad_input_is_refused_and_nothing_is_created(world, change, status, field):
    before = Meeting.objects.count()
    response = new_meeting(world, change)
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
        assert response.json()["detail"]  # a French sentence
    assert Meeting.objects.count() == before


def test_inviting_an_unknown_or_hidden_person_is_a_404(world):
    u = world.users
    assert new_meeting(world, {"participants": [999_999]}).status_code == 404
    # Oscar (external, member of nothing) is not even visible to the organiser as a co-member
    # of Le Garage; a citizen is outside the directory.
    assert new_meeting(world, {"participants": [u["citizen"].pk]}).status_code == 404
    # A staff member who is not in the private group may be seen, but not invited.
    response = new_meeting(world, {"participants": [u["staff_outsider"].pk]}, group="private")
    assert response.status_code == 400
    assert "participants" in response.json()["errors"]


@pytest.mark.parametrize(
    ("user", "group", "status"),
    [
        ("manager", "private", 201),
        ("staff_member", "private", 201),  # a staff member of the group organises too
        ("external_member", "garage", 403),  # a member, but not staff
        ("staff_outsider", "private", 403),  # a private group is listed, not readable
        ("staff_outsider", "unlisted", 404),
        ("citizen", "public", 404),
        ("external_outsider", "garage", 404),
    ],
)
def test_only_managers_and_staff_members_create_meetings(world, user, group, status):
    assert new_meeting(world, group=group, user=user).status_code == status


def test_the_group_list_is_paginated_and_filtered_by_status(world):
    owner = world.users["owner"]
    group = world.groups["public"]
    for days in (1, 2):
        start, end = when(days)
        services.create_meeting(
            actor=owner, group=group, title=f"J+{days}", starts_at=start, ends_at=end, place="A"
        )
    client = api(owner)
    body = client.get("/api/v1/groups/public/meetings?limit=2").json()
    assert body["count"] == 3
    assert [m["title"] for m in body["items"]] == ["Réunion public", "J+2"]
    services.hold_meeting(actor=owner, meeting=world.meetings["public"])
    held = client.get("/api/v1/groups/public/meetings?status=held").json()
    assert [m["title"] for m in held["items"]] == ["Réunion public"]
    assert client.get("/api/v1/groups/public/meetings?status=done").status_code == 422
    assert client.get("/api/v1/groups/public/meetings?limit=101").status_code == 422


def test_the_group_list_costs_the_same_at_two_sizes(world, django_assert_max_num_queries):
    owner = world.users["owner"]
    client = api(world.users["staff_member"])
    url = "/api/v1/groups/private/meetings"
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        assert len(client.get(url).json()["items"]) == 1
    for days in range(1, 9):
        start, end = when(days)
        services.create_meeting(
            actor=owner,
            group=world.groups["private"],
            title="Encore",
            starts_at=start,
            ends_at=end,
            place="A",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["items"]) == 9


@pytest.mark.parametrize(
    ("user", "meeting", "seen"),
    [
        ("owner", "private", True),
        ("staff_member", "private", True),
        ("staff_outsider", "private", False),
        ("staff_outsider", "public", True),
        ("elected_invited", "private", True),
        ("elected_other", "private", False),
        ("external_member", "garage", True),
        ("external_member", "public", False),
        ("external_outsider", "garage", False),
        ("citizen", "public", False),
    ],
)
def test_a_meeting_is_seen_by_who_may_see_it_and_is_a_404_otherwise(world, user, meeting, seen):
    found = world.meetings[meeting]
    client = api(world.users[user])
    for url in (
        f"/api/v1/meetings/{found.pk}",
        f"/api/v1/meetings/{found.pk}/items",
        f"/api/v1/meetings/{found.pk}/ics",
        f"/api/v1/meetings/{found.pk}/decisions",
    ):
        response = client.get(url)
        assert response.status_code == (200 if seen else 404), (url, response.content)
    if not seen:
        assert client.get(f"/api/v1/meetings/{found.pk}").json()["detail"] == "Introuvable."


def test_an_invited_elected_official_sees_only_the_meeting_not_the_others_of_the_group(world):
    u = world.users
    start, end = when(3)
    other = services.create_meeting(
        actor=u["owner"],
        group=world.groups["private"],
        title="Entre membres",
        starts_at=start,
        ends_at=end,
        place="B",
    )
    client = api(u["elected_invited"])
    assert client.get(f"/api/v1/meetings/{world.meetings['private'].pk}").status_code == 200
    assert client.get(f"/api/v1/meetings/{other.pk}").status_code == 404
    listed = client.get("/api/v1/groups/private/meetings")
    if listed.status_code == 200:  # the group is listed to elected officials: only theirs
        assert [m["id"] for m in listed.json()["items"]] == [world.meetings["private"].pk]
    else:
        assert listed.status_code == 404


def test_forged_or_out_of_range_ids_are_refused(world):
    client = api(world.users["owner"])
    assert client.get("/api/v1/meetings/987654321").status_code == 404
    assert client.get("/api/v1/items/987654321").status_code == 404
    assert client.get("/api/v1/decisions/987654321").status_code == 404
    assert client.get(f"/api/v1/meetings/{2**63}").status_code == 422
    assert client.get("/api/v1/meetings/0").status_code == 422


def test_the_organiser_edits_a_meeting_and_calendars_see_a_new_sequence(world):
    found = world.meetings["public"]
    client = api(world.users["owner"])
    response = send(client, "patch", f"/api/v1/meetings/{found.pk}", {"title": "Nouveau titre"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Nouveau titre"
    assert response.json()["sequence"] == found.sequence + 1
    late = (found.starts_at - timedelta(hours=1)).isoformat()
    refused = send(client, "patch", f"/api/v1/meetings/{found.pk}", {"ends_at": late})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "La réunion doit finir après son début."
    assert send(client, "patch", f"/api/v1/meetings/{found.pk}", {"title": None}).status_code == 422
    member = api(world.users["staff_member"])
    assert send(member, "patch", f"/api/v1/meetings/{found.pk}", {"title": "X"}).status_code == 403


def test_the_ics_file_parses_back_as_one_event(world):
    found = world.meetings["public"]
    response = api(world.users["staff_member"]).get(f"/api/v1/meetings/{found.pk}/ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="meeting-{found.pk}.ics"'
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Réunion public"
    assert event.decoded("dtstart") == found.starts_at.replace(microsecond=0)
    assert event.decoded("dtend") == found.ends_at.replace(microsecond=0)
    assert str(event["location"]) == "Salle du conseil"


def test_cancel_hold_and_close_follow_the_status(world):
    u = world.users
    client = api(u["owner"])
    found = world.meetings["public"]
    assert client.post(f"/api/v1/meetings/{found.pk}/hold").json()["status"] == "held"
    closed = client.post(f"/api/v1/meetings/{found.pk}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["minutes_post_id"] is not None
    assert client.post(f"/api/v1/meetings/{found.pk}/close").status_code == 403
    other = world.meetings["private"]
    assert api(u["staff_member"]).post(f"/api/v1/meetings/{other.pk}/cancel").status_code == 403
    cancelled = client.post(f"/api/v1/meetings/{other.pk}/cancel").json()
    assert cancelled["is_cancelled"] is True


# --- Participants ----------------------------------------------------------------------------


def test_invitations_are_added_and_withdrawn_by_the_organiser(world):
    u = world.users
    found = world.meetings["public"]
    client = api(u["owner"])
    url = f"/api/v1/meetings/{found.pk}/invitations"
    added = send(client, "post", url, {"people": [u["manager"].pk, u["elected_other"].pk]})
    assert added.status_code == 200, added.content
    assert u["elected_other"].pk in {p["user"]["id"] for p in added.json()}
    assert client.delete(f"{url}/{u['elected_other'].pk}").status_code == 204
    assert not Invitation.objects.filter(meeting=found, user=u["elected_other"]).exists()
    assert client.delete(f"{url}/{u['elected_other'].pk}").status_code == 404
    assert client.delete(f"{url}/{u['owner'].pk}").status_code == 400
    assert send(client, "post", url, {"people": []}).status_code == 422
    member = api(u["staff_member"])
    assert send(member, "post", url, {"people": [u["manager"].pk]}).status_code == 403


def test_a_participant_marks_ready_and_takes_it_back(world):
    found = world.meetings["public"]
    client = api(world.users["staff_member"])
    ready = client.post(f"/api/v1/meetings/{found.pk}/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert ready.json()["ready_at"]
    assert client.delete(f"/api/v1/meetings/{found.pk}/ready").json()["ready"] is False
    # The group's manager is not invited: not a participant.
    assert api(world.users["manager"]).post(f"/api/v1/meetings/{found.pk}/ready").status_code == 403


def test_the_organiser_reminds_those_not_ready_once_an_hour(
    world, django_capture_on_commit_callbacks
):
    found = world.meetings["public"]
    client = api(world.users["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/meetings/{found.pk}/reminders")
    assert response.status_code == 200
    assert {p["handle"] for p in response.json()["reminded"]} == {"marie", "elise"}
    assert len(mail.outbox) == 2
    again = client.post(f"/api/v1/meetings/{found.pk}/reminders")
    assert again.status_code == 400
    assert "moins d'une heure" in again.json()["detail"]
    member = api(world.users["staff_member"])
    assert member.post(f"/api/v1/meetings/{found.pk}/reminders").status_code == 403


def test_the_organiser_records_attendance(world):
    u = world.users
    found = world.meetings["public"]
    client = api(u["owner"])
    url = f"/api/v1/meetings/{found.pk}/attendance"
    body = {
        "attendance": [
            {"user": u["staff_member"].pk, "attended": True},
            {"user": u["elected_invited"].pk, "attended": False},
        ]
    }
    response = send(client, "post", url, body)
    assert response.status_code == 200, response.content
    attended = {p["user"]["handle"]: p["attended"] for p in response.json()}
    assert attended == {"olivier": None, "marie": True, "elise": False}
    stranger = {"attendance": [{"user": u["manager"].pk, "attended": True}]}
    assert send(client, "post", url, stranger).status_code == 400
    assert send(client, "post", url, {"attendance": [{"user": 1}]}).status_code == 422


# --- Agenda ------------------------------------------------------------------------------------


def test_items_are_added_edited_moved_and_removed(world):
    u = world.users
    found = world.meetings["public"]
    client = api(u["owner"])
    url = f"/api/v1/meetings/{found.pk}/items"
    first = send(client, "post", url, {"title": "Budget", "description": "Voir *annexe*"})
    assert first.status_code == 201, first.content
    assert first.json()["position"] == 0
    assert "<em>annexe</em>" in first.json()["description_html"]
    second = send(client, "post", url, {"title": "Calendrier"}).json()
    item_url = f"/api/v1/items/{first.json()['id']}"
    edited = send(client, "patch", item_url, {"title": "Budget 2027"})
    assert edited.json()["title"] == "Budget 2027"
    assert edited.json()["description"] == "Voir *annexe*"
    moved = send(client, "post", f"/api/v1/items/{second['id']}/move", {"position": 0})
    assert [i["title"] for i in moved.json()] == ["Calendrier", "Budget 2027"]
    assert send(client, "post", f"{item_url}/move", {"position": 5}).status_code == 400
    assert send(client, "post", f"{item_url}/move", {"position": -1}).status_code == 422
    assert send(client, "post", url, {"title": "x" * 201}).status_code == 422
    assert client.delete(item_url).status_code == 204
    assert client.get(item_url).status_code == 404


def test_participants_add_items_only_when_the_organiser_allows_it(world):
    found = world.meetings["public"]
    member = api(world.users["staff_member"])
    url = f"/api/v1/meetings/{found.pk}/items"
    assert send(member, "post", url, {"title": "Mon point"}).status_code == 403
    owner = api(world.users["owner"])
    patch = {"members_may_add_items": True}
    assert send(owner, "patch", f"/api/v1/meetings/{found.pk}", patch).status_code == 200
    mine = send(member, "post", url, {"title": "Mon point"})
    assert mine.status_code == 201
    assert mine.json()["author"]["handle"] == "marie"


def test_the_agenda_costs_the_same_at_two_sizes(world, django_assert_max_num_queries):
    found = world.meetings["public"]
    u = world.users
    client = api(u["staff_member"])
    url = f"/api/v1/meetings/{found.pk}/items"

    def fill(n):
        for item in add_items(world, found, n):
            services.set_opinion(actor=u["staff_member"], item=item, position="pour")
            services.set_opinion(actor=u["elected_invited"], item=item, position="contre")
            Comment.objects.create(item=item, author=u["owner"], body="a", body_html="<p>a</p>")

    fill(2)
    client.get(url)
    with django_assert_max_num_queries(20) as small:
        assert len(client.get(url).json()["items"]) == 2
    fill(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(url).json()
    assert len(body["items"]) == 12
    assert all(i["comment_count"] == 1 and len(i["opinions"]) == 2 for i in body["items"])


def test_reading_the_agenda_counts_as_having_read_it(world):
    found = world.meetings["public"]
    member = world.users["staff_member"]
    api(member).get(f"/api/v1/meetings/{found.pk}/items")
    assert Invitation.objects.get(meeting=found, user=member).agenda_read_at is not None


def test_a_file_is_attached_to_an_item_by_its_owner(world):
    owner = world.users["owner"]
    (item,) = add_items(world, world.meetings["public"], 1)
    file = file_services.create_file(owner=owner, incoming=upload("annexe.png", png_bytes()))
    client = api(owner)
    response = send(client, "post", f"/api/v1/items/{item.pk}/files", {"file": file.pk})
    assert response.status_code == 201, response.content
    assert [f["name"] for f in response.json()["files"]] == ["annexe.png"]
    listed = api(world.users["staff_member"]).get(f"/api/v1/items/{item.pk}").json()
    assert [f["id"] for f in listed["files"]] == [file.pk]
    others = file_services.create_file(
        owner=world.users["manager"], incoming=upload("autre.png", png_bytes())
    )
    refused = send(client, "post", f"/api/v1/items/{item.pk}/files", {"file": others.pk})
    assert refused.status_code == 400


# --- Opinions ------------------------------------------------------------------------------------


def test_a_participant_gives_then_changes_a_position(world):
    (item,) = add_items(world, world.meetings["public"], 1)
    client = api(world.users["staff_member"])
    url = f"/api/v1/items/{item.pk}/opinion"
    given = send(client, "put", url, {"position": "pour", "argument": "Utile au territoire"})
    assert given.status_code == 200, given.content
    assert given.json()["position"] == "pour"
    changed = send(client, "put", url, {"position": "reserve"})
    assert changed.json()["position"] == "reserve"
    assert changed.json()["argument"] == ""
    mine = client.get(f"/api/v1/items/{item.pk}").json()["my_opinion"]
    assert mine["position"] == "reserve"


@pytest.mark.parametrize(
    "body",
    [
        {"position": "peut-être"},
        {"position": "pour", "argument": "x" * (ARGUMENT_MAX_LENGTH + 1)},
        {"argument": "sans position"},
        {"position": "pour", "argument": "nul \x00"},
    ],
)
def test_a_bad_opinion_is_refused(world, body):
    (item,) = add_items(world, world.meetings["public"], 1)
    response = send(
        api(world.users["staff_member"]), "put", f"/api/v1/items/{item.pk}/opinion", body
    )
    assert response.status_code == 422


def test_no_opinion_once_the_meeting_has_started(world):
    u = world.users
    found = world.meetings["public"]
    (item,) = add_items(world, found, 1)
    now = timezone.now()
    services.update_meeting(
        actor=u["owner"],
        meeting=found,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    response = send(
        api(u["staff_member"]), "put", f"/api/v1/items/{item.pk}/opinion", {"position": "pour"}
    )
    assert response.status_code == 400
    assert "commencé" in response.json()["detail"]


def test_only_participants_give_opinions(world):
    (item,) = add_items(world, world.meetings["public"], 1)
    for user, status in (("manager", 403), ("staff_outsider", 403), ("citizen", 404)):
        response = send(
            api(world.users[user]), "put", f"/api/v1/items/{item.pk}/opinion", {"position": "pour"}
        )
        assert response.status_code == status, user


def test_positions_are_shown_only_to_who_may_see_them(world):
    u = world.users
    found = world.meetings["public"]
    (item,) = add_items(world, found, 1)
    services.set_opinion(actor=u["staff_member"], item=item, position="contre", argument="Cher")
    member = api(u["staff_member"]).get(f"/api/v1/items/{item.pk}").json()
    assert [(o["user"]["handle"], o["position"]) for o in member["opinions"]] == [
        ("marie", "contre")
    ]
    # Sacha may read the public group, so the meeting, but is no participant.
    outsider = api(u["staff_outsider"])
    seen = outsider.get(f"/api/v1/items/{item.pk}").json()
    assert seen["opinions"] is None
    assert seen["my_opinion"] is None
    listed = outsider.get(f"/api/v1/meetings/{found.pk}/items").json()["items"]
    assert listed[0]["opinions"] is None
    assert outsider.get(f"/api/v1/meetings/{found.pk}/synthesis").status_code == 403


# --- Threads -------------------------------------------------------------------------------------


def test_an_item_thread_holds_questions_and_answers(world):
    u = world.users
    (item,) = add_items(world, world.meetings["public"], 1)
    member = api(u["staff_member"])
    url = f"/api/v1/items/{item.pk}/comments"
    question = send(member, "post", url, {"body": "Quel budget ?", "is_question": True})
    assert question.status_code == 201, question.content
    asked = question.json()
    assert (asked["item_id"], asked["post_id"], asked["file_id"]) == (item.pk, None, None)
    assert asked["is_question"] is True
    assert asked["is_best_answer"] is False
    answer = send(api(u["owner"]), "post", url, {"body": "50 k€", "reply_to": asked["id"]})
    assert answer.status_code == 201, answer.content
    assert answer.json()["reply_to_id"] == asked["id"]
    thread = member.get(url).json()
    assert thread["count"] == 2
    assert [c["body"] for c in thread["items"]] == ["Quel budget ?", "50 k€"]
    assert send(member, "post", url, {"body": "x", "reply_to": 987654}).status_code == 404
    assert send(member, "post", url, {"body": " "}).status_code == 422
    assert send(member, "post", url, {"body": "x" * 5001}).status_code == 422
    assert api(u["external_outsider"]).get(url).status_code == 404


def test_an_item_comment_is_edited_and_deleted_with_the_social_routes(world):
    (item,) = add_items(world, world.meetings["public"], 1)
    member = api(world.users["staff_member"])
    url = f"/api/v1/items/{item.pk}/comments"
    comment = send(member, "post", url, {"body": "Premier jet"}).json()
    edited = send(member, "patch", f"/api/v1/comments/{comment['id']}", {"body": "Corrigé"})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["body"], edited.json()["post_id"]) == ("Corrigé", None)
    assert member.delete(f"/api/v1/comments/{comment['id']}").status_code == 204
    (gone,) = member.get(url).json()["items"]
    assert gone["is_deleted"] is True
    assert gone["body"] == ""


def test_an_item_thread_costs_the_same_at_two_sizes(world, django_assert_max_num_queries):
    u = world.users
    (item,) = add_items(world, world.meetings["public"], 1)
    client = api(u["staff_member"])
    url = f"/api/v1/items/{item.pk}/comments"

    def fill(n):
        for i in range(n):
            author = (u["owner"], u["elected_invited"], u["external_member"])[i % 2]
            Comment.objects.create(item=item, author=author, body="a", body_html="<p>a</p>")

    fill(2)
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url).json()["count"] == 2
    fill(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["items"]) == 12


def test_a_reply_must_answer_a_comment_of_the_same_thread(world):
    u = world.users
    first, second = add_items(world, world.meetings["public"], 2)
    member = api(u["staff_member"])
    other = send(member, "post", f"/api/v1/items/{first.pk}/comments", {"body": "Ailleurs"}).json()
    response = send(
        member,
        "post",
        f"/api/v1/items/{second.pk}/comments",
        {"body": "x", "reply_to": other["id"]},
    )
    assert response.status_code == 400
    assert "reply_to" in response.json()["errors"]


# --- Synthesis -----------------------------------------------------------------------------------


def test_the_synthesis_counts_positions_and_lists_open_questions(world):
    u = world.users
    found = world.meetings["public"]
    item, _other = add_items(world, found, 2)
    services.set_opinion(actor=u["staff_member"], item=item, position="pour", argument="Oui")
    services.set_opinion(actor=u["elected_invited"], item=item, position="contre")
    services.mark_ready(actor=u["staff_member"], meeting=found)
    Comment.objects.create(
        item=item, author=u["elected_invited"], body="?", body_html="<p>?</p>", is_question=True
    )
    response = api(u["elected_invited"]).get(f"/api/v1/meetings/{found.pk}/synthesis")
    assert response.status_code == 200, response.content
    body = response.json()
    first = body["items"][0]
    assert first["counts"] == {"pour": 1, "contre": 1, "reserve": 0, "sans_avis": 0}
    assert first["total"] == 2
    assert [a["text"] for a in first["arguments"]["pour"]] == ["Oui"]
    assert "contre" not in first["arguments"]
    assert len(first["open_questions"]) == 1
    assert body["ready"] == [u["staff_member"].pk]
    assert u["elected_invited"].pk in body["not_ready"]


def test_the_organiser_rewrites_an_item_synthesis(world):
    (item,) = add_items(world, world.meetings["public"], 1)
    url = f"/api/v1/items/{item.pk}/synthesis"
    response = send(api(world.users["owner"]), "put", url, {"text": "Accord général."})
    assert response.status_code == 200
    assert response.json()["synthesis_text"] == "Accord général."
    member = api(world.users["staff_member"])
    assert send(member, "put", url, {"text": "Non"}).status_code == 403
    too_long = send(api(world.users["owner"]), "put", url, {"text": "x" * 10_001})
    assert too_long.status_code == 422


# --- Decisions -----------------------------------------------------------------------------------


def test_the_organiser_records_a_decision_and_its_owner_follows_it_up(world):
    u = world.users
    found = world.meetings["public"]
    (item,) = add_items(world, found, 1)
    client = api(u["owner"])
    response = send(
        client,
        "post",
        f"/api/v1/meetings/{found.pk}/decisions",
        {
            "text": "Lancer l'étude",
            "owner": u["staff_member"].pk,
            "due_on": "2027-03-31",
            "item": item.pk,
        },
    )
    assert response.status_code == 201, response.content
    decision = response.json()
    assert decision["owner"]["handle"] == "marie"
    assert decision["due_on"] == "2027-03-31"
    assert decision["status"] == "a_faire"
    assert decision["item_id"] == item.pk
    assert decision["meeting"]["id"] == found.pk
    owner = api(u["staff_member"])
    update = send(
        owner,
        "patch",
        f"/api/v1/decisions/{decision['id']}",
        {"status": "en_cours", "comment": "Cahier des charges rédigé"},
    )
    assert update.status_code == 200, update.content
    assert update.json()["status"] == "en_cours"
    assert update.json()["updates"][0]["comment"] == "Cahier des charges rédigé"
    assert DecisionUpdate.objects.filter(decision_id=decision["id"]).count() == 1
    bad = send(owner, "patch", f"/api/v1/decisions/{decision['id']}", {"status": "fini"})
    assert bad.status_code == 422
    nothing = send(owner, "patch", f"/api/v1/decisions/{decision['id']}", {})
    assert nothing.status_code == 400
    other = api(u["elected_invited"])
    refused = send(other, "patch", f"/api/v1/decisions/{decision['id']}", {"status": "fait"})
    assert refused.status_code == 403
    hidden = api(u["external_outsider"])
    assert hidden.get(f"/api/v1/decisions/{decision['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "", "owner": "me"}, 422),
        ({"text": "x" * 2001, "owner": "me"}, 422),
        ({"text": "Étude", "owner": 987654}, 404),
        ({"text": "Étude", "owner": "me", "due_on": "31/03/2027"}, 422),
        ({"text": "Étude", "owner": "me", "item": 987654}, 404),
        ({"text": "Étude", "owner": "outsider"}, 400),  # may not see the private meeting
    ],
)
def test_a_bad_decision_is_refused(world, body, status):
    u = world.users
    body = {**body}
    body["owner"] = {"me": u["owner"].pk, "outsider": u["staff_outsider"].pk}.get(
        body["owner"], body["owner"]
    )
    found = world.meetings["private"]
    response = send(api(u["owner"]), "post", f"/api/v1/meetings/{found.pk}/decisions", body)
    assert response.status_code == status, response.content
    assert not Decision.objects.exists()


def test_a_meeting_lists_its_decisions(world, register, django_assert_max_num_queries):
    found = world.meetings["public"]
    client = api(world.users["elected_invited"])
    url = f"/api/v1/meetings/{found.pk}/decisions"
    client.get(url)
    with django_assert_max_num_queries(12):
        body = client.get(url).json()
    assert body["count"] == 3
    assert {d["text"] for d in body["items"]} == {"En retard", "Fait", "À venir"}


def test_only_managers_record_decisions(world):
    u = world.users
    found = world.meetings["public"]
    body = {"text": "Étude", "owner": u["staff_member"].pk}
    member = api(u["staff_member"])
    assert send(member, "post", f"/api/v1/meetings/{found.pk}/decisions", body).status_code == 403


@pytest.fixture
def register(world):
    """Three decisions: one overdue for Marie, one done for Marie, one for the organiser."""
    u = world.users
    found = world.meetings["public"]
    today = timezone.localdate()

    def decide(text, owner, due_on=None):
        return services.add_decision(
            actor=u["owner"], meeting=found, text=text, owner=u[owner], due_on=due_on
        )

    late = decide("En retard", "staff_member", today - timedelta(days=3))
    done = decide("Fait", "staff_member", today - timedelta(days=3))
    services.update_decision_status(actor=u["staff_member"], decision=done, status="fait")
    mine = decide("À venir", "owner", today + timedelta(days=30))
    return {"late": late, "done": done, "mine": mine}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["mine", "done", "late"]),
        ("?owner=MARIE", ["done", "late"]),
        ("?status=fait", ["done"]),
        ("?status=a_faire", ["mine", "late"]),
        ("?overdue=true", ["late"]),
        ("?overdue=false", ["mine", "done"]),
        ("?owner=MARIE&status=a_faire&overdue=true", ["late"]),
        ("?group=public", ["mine", "done", "late"]),
        ("?group=private", []),
        ("?group=nowhere", []),
        ("?owner=987654", []),
    ],
)
def test_the_decisions_register_filters(world, register, query, expected):
    query = query.replace("MARIE", str(world.users["staff_member"].pk))
    response = api(world.users["staff_member"]).get(f"/api/v1/decisions{query}")
    assert response.status_code == 200, response.content
    names = {d.pk: name for name, d in register.items()}
    assert [names[d["id"]] for d in response.json()["items"]] == expected
    overdue = {names[d["id"]]: d["is_overdue"] for d in response.json()["items"]}
    assert overdue.get("late", True) is True


def test_the_register_refuses_unknown_filters_and_hides_what_you_may_not_see(world, register):
    client = api(world.users["external_member"])  # Le Garage only
    assert client.get("/api/v1/decisions").json()["count"] == 0
    assert client.get("/api/v1/decisions?status=finie").status_code == 422
    assert client.get("/api/v1/decisions?overdue=peut-etre").status_code == 422
    assert api(world.users["citizen"]).get("/api/v1/decisions").status_code == 404


def test_the_register_costs_the_same_at_two_sizes(world, django_assert_max_num_queries):
    u = world.users
    client = api(u["staff_member"])

    def fill(n):
        for i in range(n):
            key = ("public", "private", "unlisted")[i % 3]
            services.add_decision(
                actor=u["owner"], meeting=world.meetings[key], text="D", owner=u["staff_member"]
            )

    fill(2)
    client.get("/api/v1/decisions")
    with django_assert_max_num_queries(12) as small:
        assert client.get("/api/v1/decisions").json()["count"] == 2
    fill(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/decisions").json()["items"]) == 12
