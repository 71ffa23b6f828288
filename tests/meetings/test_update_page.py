"""« Modifier la réunion »: who sees the link and may open or send the page, what a change does
(the meeting page, the .ics sequence, the participants told), and what it refuses (a closed or
cancelled meeting, bad input: a French error, nothing changed)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from meetings import services
from meetings.models import Meeting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = "Modifier la réunion"
# On Le Garage's meeting (a private group open to start-ups), what each kind of person gets:
# managers change it; those who only see it are refused (403, as the meeting's other actions
# do); those who may not see it get the 404 of a missing meeting.
EXPECTED = {
    "owner": 200,  # staff, organiser
    "manager": 200,  # staff, manager of the group, not invited
    "staff_member": 403,  # staff, member of the group, invited
    "elected_invited": 403,  # elected, invited, not a member
    "external_member": 403,  # start-up member of the group, invited
    "staff_outsider": 404,
    "elected_other": 404,
    "external_outsider": 404,
    "citizen": 404,
}
# GET of the page: session, user, meeting, policy (the group's managers read their membership
# for the policy and the group header), unread messages. Constant: the participants are not
# on this form, so neither their number nor the agenda's size changes the count.
UPDATE_PAGE_QUERIES = {"owner": 5, "manager": 7}


def client_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(meeting: Meeting) -> str:
    return reverse("meetings:update", args=[meeting.pk])


def detail_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def form_data(meeting: Meeting, **changes) -> dict:
    """The form as the page prefills it, with `changes`."""
    starts, ends = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    data = {
        "title": meeting.title,
        "day": starts.date().isoformat(),
        "starts": starts.strftime("%H:%M"),
        "ends": ends.strftime("%H:%M"),
        "place": meeting.place,
        "video_url": meeting.video_url,
        "description": meeting.description,
    }
    if meeting.members_may_add_items:
        data["members_may_add_items"] = "on"
    data.update(changes)
    return data


def snapshot(meeting: Meeting) -> dict:
    fields = ("title", "starts_at", "ends_at", "place", "video_url", "description")
    fields += ("members_may_add_items", "sequence", "updated_at", "status", "cancelled_at")
    return dict(Meeting.objects.filter(pk=meeting.pk).values(*fields).get())


def ics_sequence(client: Client, meeting: Meeting) -> int:
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    return event.decoded("SEQUENCE")


# --- Who ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_only_the_meetings_managers_see_the_link_and_open_the_page(world, viewer):
    meeting = world.meetings["garage"]
    client = client_as(world.users[viewer])
    detail = client.get(detail_url(meeting))
    page = client.get(edit_url(meeting))
    assert page.status_code == EXPECTED[viewer]
    if EXPECTED[viewer] == 404:
        assert detail.status_code == 404
        return
    assert detail.status_code == 200
    link = f'href="{edit_url(meeting)}"'
    assert (link in detail.content.decode()) is (EXPECTED[viewer] == 200)
    if EXPECTED[viewer] == 200:
        assert LINK in page.content.decode()


@pytest.mark.parametrize("viewer", [v for v, status in EXPECTED.items() if status != 200])
def test_who_may_not_change_the_meeting_changes_nothing_by_posting(world, viewer):
    meeting = world.meetings["garage"]
    before = snapshot(meeting)
    response = client_as(world.users[viewer]).post(
        edit_url(meeting), form_data(meeting, title="Piraté", place="Ailleurs")
    )
    assert response.status_code == EXPECTED[viewer]
    assert "Piraté" not in response.content.decode()
    assert snapshot(meeting) == before


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(world):
    meeting = world.meetings["garage"]
    before = snapshot(meeting)
    for response in (
        Client().get(edit_url(meeting)),
        Client().post(edit_url(meeting), form_data(meeting, title="Piraté")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/compte/login/")
    assert snapshot(meeting) == before


def test_an_unknown_meeting_is_404(world):
    response = client_as(world.users["owner"]).get(reverse("meetings:update", args=[999_999]))
    assert response.status_code == 404


def test_the_form_refuses_a_post_without_csrf_token(world):
    meeting = world.meetings["public"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    before = snapshot(meeting)
    page = client.get(edit_url(meeting)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = client.post(edit_url(meeting), form_data(meeting, title="Sans jeton"))
    assert response.status_code == 403
    assert snapshot(meeting) == before


# --- The form ----------------------------------------------------------------------------------


def test_the_page_is_the_creation_form_prefilled_without_participants(world):
    meeting = world.meetings["public"]
    services.update_meeting(
        actor=world.users["owner"],
        meeting=meeting,
        description="Ordre du jour **joint**.",
        video_url="https://visio.example.test/salle",
        members_may_add_items=True,
    )
    meeting.refresh_from_db()
    html = client_as(world.users["owner"]).get(edit_url(meeting)).content.decode()
    starts = timezone.localtime(meeting.starts_at)
    assert 'value="Réunion public"' in html
    assert f'value="{starts.date().isoformat()}"' in html
    assert f'value="{starts.strftime("%H:%M")}"' in html
    assert 'value="Salle du conseil"' in html
    assert 'value="https://visio.example.test/salle"' in html
    assert "Ordre du jour **joint**." in html
    assert re.search(r'<input[^>]*name="members_may_add_items"[^>]*checked', html)
    assert 'name="participants"' not in html
    assert "Enregistrer les modifications" in html
    assert '<label for="id_title"' in html


def test_a_change_shows_on_the_meeting_page_bumps_the_ics_and_tells_the_participants(
    world, published, django_capture_on_commit_callbacks
):
    meeting = world.meetings["garage"]
    owner = world.users["owner"]
    client = client_as(owner)
    sequence = ics_sequence(client, meeting)
    day = (timezone.localdate() + timedelta(days=20)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(meeting),
            form_data(
                meeting,
                title="Comité de sélection",
                day=day,
                starts="09:30",
                ends="11:00",
                place="Pépinière, salle 2",
            ),
            follow=True,
        )
    assert response.redirect_chain == [(detail_url(meeting), 302)]
    html = response.content.decode()
    assert "Les modifications de la réunion sont enregistrées." in html
    assert "Comité de sélection" in html
    assert "Pépinière, salle 2" in html
    assert "de 09:30 à 11:00" in html
    assert ics_sequence(client, meeting) == sequence + 1
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).date().isoformat() == day
    recipients, _type, data = next(e for e in published if e[1] == "meeting.updated")
    assert data == {"meeting": meeting.pk, "what": "details", "status": "preparation"}
    invited = [world.users[k] for k in ("staff_member", "elected_invited", "external_member")]
    assert {u.pk for u in invited} <= set(recipients)
    assert world.users["citizen"].pk not in recipients
    # The same form sent again changes nothing: no new calendar version, no new event.
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(meeting), form_data(meeting))
    assert ics_sequence(client, meeting) == sequence + 1
    assert published == []


def test_a_group_manager_who_is_not_the_organiser_may_change_it(world):
    meeting = world.meetings["private"]
    response = client_as(world.users["manager"]).post(
        edit_url(meeting), form_data(meeting, title="Réunion reportée")
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Réunion reportée"
    assert meeting.organiser == world.users["owner"]


def test_a_meeting_over_midnight_keeps_its_end_when_only_its_title_changes(world):
    owner = world.users["owner"]
    start = timezone.localtime(timezone.now() + timedelta(days=5)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    meeting = services.create_meeting(
        actor=owner,
        group=world.groups["public"],
        title="Veille",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place="Salle",
    )
    response = client_as(owner).post(edit_url(meeting), form_data(meeting, title="Nuit"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Nuit"
    assert (meeting.starts_at, meeting.ends_at) == (start, start + timedelta(hours=3))


def test_a_held_meeting_may_still_be_corrected(world):
    meeting = world.meetings["public"]
    services.hold_meeting(actor=world.users["owner"], meeting=meeting)
    response = client_as(world.users["owner"]).post(
        edit_url(meeting), form_data(meeting, place="Salle B")
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.place == "Salle B"


# --- Refusals ----------------------------------------------------------------------------------


def _close(world, meeting: Meeting) -> None:
    services.close_meeting(actor=world.users["owner"], meeting=meeting)


def _cancel(world, meeting: Meeting) -> None:
    services.cancel_meeting(actor=world.users["owner"], meeting=meeting)


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (_close, "Cette réunion est close : elle ne peut plus être modifiée."),
        (_cancel, "Cette réunion est annulée : elle ne peut plus être modifiée."),
    ],
)
def test_a_closed_or_cancelled_meeting_cannot_be_changed(world, end, message):
    meeting = world.meetings["public"]
    end(world, meeting)
    owner = world.users["owner"]
    client = client_as(owner)
    before = snapshot(meeting)
    detail = client.get(detail_url(meeting)).content.decode()
    assert f'href="{edit_url(meeting)}"' not in detail
    for response in (
        client.get(edit_url(meeting), follow=True),
        client.post(edit_url(meeting), form_data(meeting, title="Trop tard"), follow=True),
    ):
        assert response.redirect_chain == [(detail_url(meeting), 302)]
        assert message in response.content.decode()
    assert snapshot(meeting) == before
    # The API and any other caller of the service are refused alike.
    with pytest.raises(PermissionDenied):
        services.update_meeting(actor=owner, meeting=meeting, title="Trop tard")
    assert snapshot(meeting) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "Ce champ est obligatoire."),
        ({"title": "T" * 1000}, "title", "Assurez-vous que cette valeur comporte au plus"),
        ({"starts": "11:00", "ends": "10:00"}, "ends", "La réunion doit finir après son début."),
        ({"day": "2026-02-30"}, "day", "Saisissez une date valide."),
        ({"day": "0001-01-01"}, "day", "Indiquez une date entre 2000 et 2100."),
        ({"starts": "25:00"}, "starts", "Saisissez une heure valide."),
        ({"video_url": "http://visio.example.test"}, "video_url", "adresse https://"),
        (
            {"place": "", "video_url": ""},
            "place",
            "Indiquez un lieu ou un lien de visioconférence.",
        ),
        ({"description": "x" * 20_001}, "description", "au plus"),
    ],
)
def test_bad_input_shows_the_form_with_a_french_error_and_changes_nothing(
    world, changes, field, message
):
    meeting = world.meetings["public"]
    before = snapshot(meeting)
    data = form_data(meeting, **changes)
    if field != "title":
        data["title"] = "Nouveau titre"  # a valid change sent with the bad one is not kept
    response = client_as(world.users["owner"]).post(edit_url(meeting), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert snapshot(meeting) == before
    # The summary takes the focus; the field says it is invalid and points to its error.
    assert re.search(r'id="reunion-erreurs" tabindex="-1" autofocus', html)
    assert 'aria-describedby="reunion-erreurs"' in html
    tag = re.search(rf"<(?:input|textarea)[^>]*id=\"id_{field}\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in tag
    assert f"id_{field}_error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    assert f'id="id_{field}_error"' in html


# --- Cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", list(UPDATE_PAGE_QUERIES))
def test_the_page_costs_the_same_queries_whatever_the_meeting_size(
    world, viewer, django_assert_max_num_queries
):
    owner = world.users["owner"]
    small, large = world.meetings["private"], world.meetings["public"]
    elected = [UserFactory(kind=User.Kind.ELECTED) for _ in range(10)]
    services.invite(actor=owner, meeting=large, people=elected)
    for number in range(12):
        services.add_item(actor=owner, meeting=large, title=f"Point {number}")
    client = client_as(world.users[viewer])
    counts = []
    for meeting in (small, large):
        with django_assert_max_num_queries(UPDATE_PAGE_QUERIES[viewer]) as queries:
            response = client.get(edit_url(meeting))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
