"""iCalendar files parse back with the icalendar library, and the private feed is revocable."""

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from icalendar import Calendar

from meetings import selectors, services
from meetings.calendar import calendar_feed, meeting_ics, meeting_uid
from meetings.models import CalendarToken


def events_of(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def test_a_meeting_ics_carries_its_fields_in_utc(world, settings):
    settings.SITE_DOMAIN = "maillage.example.test"
    meeting = world.meetings["private"]
    services.update_meeting(
        actor=world.users["owner"],
        meeting=meeting,
        description="Ordre du jour joint.",
        video_url="https://visio.example.test/royeux",
    )
    meeting.refresh_from_db()
    (event,) = events_of(meeting_ics(meeting))
    assert str(event["UID"]) == f"meeting-{meeting.pk}@maillage.example.test"
    assert event.decoded("DTSTART") == meeting.starts_at.astimezone(UTC).replace(microsecond=0)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == meeting.ends_at.astimezone(UTC).replace(microsecond=0)
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["LOCATION"]) == "Salle du conseil"
    assert f"/meetings/{meeting.pk}" in str(event["URL"])
    assert "Ordre du jour joint." in str(event["DESCRIPTION"])
    assert "https://visio.example.test/royeux" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 1


def test_a_cancelled_meeting_is_cancelled_with_a_higher_sequence_and_the_same_uid(world):
    meeting = world.meetings["public"]
    before = events_of(meeting_ics(meeting))[0]
    services.cancel_meeting(actor=world.users["owner"], meeting=meeting)
    meeting.refresh_from_db()
    after = events_of(meeting_ics(meeting))[0]
    assert str(after["UID"]) == str(before["UID"]) == meeting_uid(meeting)
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert str(after["STATUS"]) == "CANCELLED"


def test_the_feed_lists_only_the_meetings_one_is_invited_to_and_may_see(world):
    elected = world.users["elected_invited"]
    uids = {str(e["UID"]) for e in events_of(calendar_feed(elected))}
    assert uids == {meeting_uid(m) for m in world.meetings.values()}
    external = world.users["external_member"]
    uids = {str(e["UID"]) for e in events_of(calendar_feed(external))}
    assert uids == {meeting_uid(world.meetings["garage"])}
    assert events_of(calendar_feed(world.users["staff_outsider"])) == []


def test_calendar_tokens_are_stored_as_digests_and_revocable(world):
    member = world.users["staff_member"]
    token, raw = services.create_calendar_token(user=member)
    assert raw not in token.digest
    assert CalendarToken.objects.filter(digest=raw).count() == 0
    assert selectors.user_for_calendar_token(raw) == member
    assert selectors.user_for_calendar_token(raw + "x") is None
    assert selectors.user_for_calendar_token("") is None
    with pytest.raises(PermissionDenied):
        services.revoke_calendar_token(user=world.users["owner"], token_id=token.pk)
    services.revoke_calendar_token(user=member, token_id=token.pk)
    assert selectors.user_for_calendar_token(raw) is None
    with pytest.raises(PermissionDenied):
        services.create_calendar_token(user=world.users["citizen"])
