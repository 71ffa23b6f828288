"""A meeting moved (new date, times or place): its invited participants are told in-app, once
per meeting while unread, in words saying what changed; nobody else, and nobody for a change of
title or description or a form sent back unchanged."""

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groups.models import Membership
from meetings import services
from notifications import rendering
from notifications import services as notification_services
from notifications.models import Mute, Notification
from tests.meetings.test_api import api, send
from tests.meetings.test_update_page import form_data

pytestmark = pytest.mark.django_db

MOVED = Notification.Kind.MEETING_CHANGED
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
# Who is told when the organiser moves Le Garage's meeting (a private group open to start-ups).
TOLD = {"staff_member", "elected_invited", "external_member"}
NOT_TOLD = {
    "owner",  # the organiser, who made the change
    "manager",  # a manager of the group, not invited
    "staff_outsider",
    "elected_other",
    "external_outsider",
    "citizen",
    "deactivated",  # invited, account deactivated
}


def next_tuesday(weeks: int = 2):
    day = timezone.localdate() + timedelta(weeks=weeks)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def slot(day, start: int, end: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(day, time(start)), zone),
        timezone.make_aware(datetime.combine(day, time(end)), zone),
    )


def french_day(day) -> str:
    year = f" {day.year}" if day.year != timezone.localdate().year else ""
    return f"mardi {day.day} {MONTHS.split()[day.month - 1]}{year}"


def moved(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=MOVED).order_by("id"))


def test_a_new_slot_tells_the_invited_participants_and_nobody_else(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["garage"]
    day = next_tuesday()
    starts_at, ends_at = slot(day, 14, 16)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(
            actor=u["owner"], meeting=meeting, starts_at=starts_at, ends_at=ends_at
        )
    for key in TOLD:
        (found,) = moved(u[key])
        assert rendering.text(found) == (
            f"La réunion « Réunion garage » est déplacée au {french_day(day)}, "
            "14 h 00 – 16 h 00, Salle du conseil"
        )
        assert rendering.url(found) == reverse("meetings:detail", args=[meeting.pk])
        assert found.actor == u["owner"]
    for key in NOT_TOLD:
        assert moved(u[key]) == [], key


def test_a_new_place_says_so_and_a_video_only_meeting_reads_as_such(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["public"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(actor=u["owner"], meeting=meeting, place="Pépinière, salle 2")
    (found,) = moved(u["elected_invited"])
    text = rendering.text(found)
    assert text.startswith("La réunion « Réunion public » change de lieu : Pépinière, salle 2 (")
    notification_services.mark_read(actor=u["elected_invited"])
    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(
            actor=u["owner"], meeting=meeting, place="", video_url="https://visio.example.org/c"
        )
    assert "change de lieu : en visioconférence (" in rendering.text(
        moved(u["elected_invited"])[-1]
    )


def test_a_change_of_title_or_description_or_no_change_tells_nobody(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["garage"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(actor=u["owner"], meeting=meeting, title="Comité de sélection")
        services.update_meeting(actor=u["owner"], meeting=meeting, description="Ordre du jour")
        services.update_meeting(
            actor=u["owner"],
            meeting=meeting,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            place=meeting.place,
        )
    assert not Notification.objects.filter(kind=MOVED).exists()


def test_the_page_tells_on_a_new_day_and_not_when_the_form_is_sent_back_unchanged(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["garage"]
    client = Client()
    client.force_login(u["manager"])  # a manager who is not the organiser
    day = next_tuesday(3)
    url = reverse("meetings:update", args=[meeting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, form_data(meeting, day=day.isoformat(), starts="09:30", ends="11:00")
        )
    assert response.status_code == 302
    (found,) = moved(u["staff_member"])
    assert f"déplacée au {french_day(day)}, 9 h 30 – 11 h 00" in rendering.text(found)
    assert moved(u["manager"]) == []
    # The organiser, invited to their meeting, hears of a manager's change.
    assert len(moved(u["owner"])) == 1
    notification_services.mark_read(actor=u["staff_member"])
    meeting.refresh_from_db()
    before = list(Notification.objects.values_list("id", "created_at", "actor_count", "read_at"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form_data(meeting))  # saved without changes
        client.post(url, form_data(meeting, title="Comité de sélection"))  # title only
    after = list(Notification.objects.values_list("id", "created_at", "actor_count", "read_at"))
    assert after == before


def test_the_api_tells_and_moves_are_grouped_per_meeting_while_unread(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["public"]
    client = api(u["owner"])
    first, second = slot(next_tuesday(), 14, 16), slot(next_tuesday(3), 10, 12)
    for starts_at, ends_at in (first, second):
        with django_capture_on_commit_callbacks(execute=True):
            response = send(
                client,
                "patch",
                f"/api/v1/meetings/{meeting.pk}",
                {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
            )
        assert response.status_code == 200
    (found,) = moved(u["staff_member"])
    assert f"déplacée au {french_day(second[0].date())}, 10 h 00 – 12 h 00" in rendering.text(found)
    notification_services.mark_read(actor=u["staff_member"])
    with django_capture_on_commit_callbacks(execute=True):
        services.update_meeting(actor=u["owner"], meeting=meeting, place="Salle B")
    assert len(moved(u["staff_member"])) == 2


def test_the_muted_and_those_who_no_longer_see_the_meeting_are_not_told(
    world, django_capture_on_commit_callbacks
):
    u = world.users
    meeting = world.meetings["garage"]
    notification_services.mute(actor=u["staff_member"], kind=Mute.Kind.MEETING, target=meeting)
    notification_services.mute(
        actor=u["external_member"], kind=Mute.Kind.GROUP, target=meeting.group
    )
    private = world.meetings["private"]
    Membership.objects.filter(group=private.group, user=u["staff_member"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        for found in (meeting, private):
            services.update_meeting(actor=u["owner"], meeting=found, place="Salle B")
    assert moved(u["staff_member"]) == []  # muted the one, may no longer see the other
    assert moved(u["external_member"]) == []  # muted the group
    assert [n.meeting_id for n in moved(u["elected_invited"])] == [meeting.pk, private.pk]
