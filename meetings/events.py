"""The realtime events of meetings: recipients and payloads (ids only), built in one place.

Every event goes after commit to the people who may see what it is about, chosen here from
meetings.policy; the page then fetches the details, where the policy applies again.
"""

from meetings import policy
from meetings.models import AgendaItem, Meeting
from realtime import events as realtime
from social.models import Comment


def _to_viewers(meeting: Meeting, type: str, data: dict) -> None:
    realtime.publish(policy.viewer_ids(meeting), type, {"meeting": meeting.pk, **data})


def opinion_changed(item: AgendaItem, user_id: int) -> None:
    """`meeting.opinion`: only to those who may see positions."""
    meeting = item.meeting
    realtime.publish(
        policy.opinion_viewer_ids(meeting),
        "meeting.opinion",
        {"meeting": meeting.pk, "item": item.pk, "user": user_id},
    )


def ready_changed(meeting: Meeting, user_id: int, *, ready: bool) -> None:
    """`meeting.ready`: someone marked themselves ready (or not) for the meeting."""
    _to_viewers(meeting, "meeting.ready", {"user": user_id, "ready": ready})


def item_changed(meeting: Meeting, item_id: int, action: str) -> None:
    """`meeting.item`: an agenda item was created, updated, moved or removed."""
    _to_viewers(meeting, "meeting.item", {"item": item_id, "action": action})


def comment_created(comment: Comment) -> None:
    """`meeting.comment`: a new comment in an agenda item's thread (called by social.events)."""
    item = comment.item
    _to_viewers(item.meeting, "meeting.comment", {"item": item.pk, "comment": comment.pk})


def meeting_changed(meeting: Meeting, what: str) -> None:
    """`meeting.updated`: details, participants, attendance, decisions or status changed."""
    _to_viewers(meeting, "meeting.updated", {"what": what, "status": meeting.status})


def meeting_closed(meeting: Meeting) -> None:
    """`meeting.closed`: the minutes are published in the group's feed."""
    _to_viewers(meeting, "meeting.closed", {"minutes_post": meeting.minutes_post_id})


def reminded(meeting: Meeting, user_ids: list[int]) -> None:
    """`meeting.reminder`: to each person reminded, in-app."""
    realtime.publish(user_ids, "meeting.reminder", {"meeting": meeting.pk, "title": meeting.title})
