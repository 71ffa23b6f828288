"""iCalendar (.ics) files: one meeting, and a person's private feed of their meetings."""

from datetime import UTC

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from accounts.models import User
from meetings.models import Meeting

PRODID = "-//Maillage//Réunions//FR"


def meeting_uid(meeting: Meeting) -> str:
    """The meeting's stable iCalendar UID."""
    return f"meeting-{meeting.pk}@{settings.SITE_DOMAIN}"


def _calendar(name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _event(meeting: Meeting) -> Event:
    from meetings.services import meeting_url

    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", meeting.updated_at.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", meeting.title)
    event.add("sequence", meeting.sequence)
    url = meeting_url(meeting)
    event.add("url", url)
    if meeting.place:
        event.add("location", meeting.place)
    elif meeting.video_url:
        event.add("location", meeting.video_url)
    lines = [meeting.description] if meeting.description else []
    if meeting.video_url:
        lines.append(_("Visioconférence : %(url)s") % {"url": meeting.video_url})
    lines.append(_("Ordre du jour et préparation : %(url)s") % {"url": url})
    event.add("description", "\n\n".join(lines))
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    return event


def meeting_ics(meeting: Meeting) -> bytes:
    """One meeting as an .ics file (the caller may see the meeting)."""
    calendar = _calendar()
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(meeting))
    return calendar.to_ical()


def calendar_feed(user: User) -> bytes:
    """Every meeting `user` is invited to and may see, as one calendar (their private feed)."""
    from meetings.selectors import calendar_meetings_for

    calendar = _calendar(_("Mes réunions — Maillage"))
    for meeting in calendar_meetings_for(user):
        calendar.add_component(_event(meeting))
    return calendar.to_ical()
