"""API routes of meetings: meetings, agenda items and their threads, opinions, readiness,
synthesis, attendance, decisions (and their register) and the .ics file.

Thin: each route finds what it acts on through meetings.selectors (404 alike for unknown and
forbidden) and calls one service, which checks meetings.policy.
"""

from datetime import UTC, datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from accounts import policy as account_policy
from accounts.models import User
from config.pagination import Pagination
from files import selectors as file_selectors
from files.models import FileShare
from groups.models import Group
from groups.selectors import get_group_for
from meetings import policy, selectors, services
from meetings.calendar import meeting_ics
from meetings.models import AgendaItem, Decision, Invitation, Meeting, Opinion
from meetings.schemas import (
    DecisionStatus,
    MeetingAttendanceIn,
    MeetingCommentIn,
    MeetingCommentOut,
    MeetingDecisionDetailOut,
    MeetingDecisionIn,
    MeetingDecisionOut,
    MeetingDecisionPatch,
    MeetingDetailOut,
    MeetingFileIn,
    MeetingIn,
    MeetingItemIn,
    MeetingItemOut,
    MeetingItemPatch,
    MeetingMoveIn,
    MeetingOpinionIn,
    MeetingOpinionOut,
    MeetingOut,
    MeetingParticipantOut,
    MeetingPatch,
    MeetingPeopleIn,
    MeetingReadyOut,
    MeetingRemindedOut,
    MeetingStatus,
    MeetingSynthesisIn,
    MeetingSynthesisOut,
)
from meetings.synthesis import compute_synthesis
from social import selectors as social_selectors
from social import services as social_services
from social.schemas import MAX_ID, SLUG, SLUG_MAX_LENGTH

router = Router(tags=["meetings"])

MeetingId = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
DecisionId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=SLUG_MAX_LENGTH, pattern=SLUG)]
# Optional parameters are typed without `None` so that the schema offers no `null` to send.
StatusFilter = Annotated[MeetingStatus, Query(description="preparation, held ou closed")]
DecisionStatusFilter = Annotated[
    DecisionStatus, Query(description="a_faire, en_cours, fait ou abandonne")
]
OwnerFilter = Annotated[int, Query(ge=1, le=MAX_ID, description="Le responsable (son id)")]
OverdueFilter = Annotated[
    bool, Query(description="true : en retard seulement ; false : pas en retard")
]
GroupFilter = Annotated[
    str,
    Query(min_length=1, max_length=SLUG_MAX_LENGTH, pattern=SLUG, description="Le groupe"),
]

ICS_RESPONSES = {
    "responses": {
        200: {
            "description": "La réunion au format iCalendar (RFC 5545), en pièce jointe",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
}

# The latest an aware datetime may be, in any offset, for the database and iCalendar.
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


# --- Helpers ------------------------------------------------------------------------------


def _meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    return selectors.get_meeting_for(request.auth, meeting_id)


def _item(request: HttpRequest, item_id: int) -> AgendaItem:
    return selectors.get_item_for(request.auth, item_id)


def _decision(request: HttpRequest, decision_id: int) -> Decision:
    return selectors.get_decision_for(request.auth, decision_id)


def _people(actor: User, ids: list[int]) -> list[User]:
    """The people behind these ids, if the actor may see every one of them; an unknown id and
    one of a person the actor may not see give the same 404."""
    wanted = set(ids)
    found = list(account_policy.visible_people(actor).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise Http404
    return found


def _times(**values: datetime | None) -> None:
    """Dates every offset can carry to UTC (Python, PostgreSQL and iCalendar agree on them)."""
    for field, value in values.items():
        if value is None:
            continue
        try:
            inside = value.astimezone(UTC) < _LATEST
        except OverflowError:
            inside = False
        if not inside:
            raise ValidationError({field: _("Cette date est hors des limites acceptées.")})


def _detail(request: HttpRequest, meeting: Meeting) -> Meeting:
    """The meeting with its participants and the viewer's rights (MeetingDetailOut)."""
    viewer = request.auth
    invitations = list(selectors.invitations_of(meeting))
    meeting.participants = _participants(meeting, invitations)
    meeting.me = {
        "is_participant": any(i.user_id == viewer.pk for i in invitations),
        "can_manage": policy.can_manage_meeting(viewer, meeting),
        "can_add_item": policy.can_add_item(viewer, meeting),
        "can_give_opinion": policy.can_give_opinion(viewer, meeting),
        "can_mark_ready": policy.can_mark_ready(viewer, meeting),
        "can_view_opinions": policy.can_view_opinions(viewer, meeting),
        "can_record": policy.can_record(viewer, meeting),
    }
    return meeting


def _participants(meeting: Meeting, invitations: list[Invitation] | None = None) -> list[dict]:
    if invitations is None:
        invitations = list(selectors.invitations_of(meeting))
    return [
        {
            "user": i.user,
            "is_organiser": i.user_id == meeting.organiser_id,
            "ready": i.ready_at is not None,
            "ready_at": i.ready_at,
            "agenda_read": i.agenda_read_at is not None,
            "attended": i.attended,
        }
        for i in invitations
    ]


def _agenda(request: HttpRequest, meeting: Meeting) -> QuerySet[AgendaItem]:
    """The agenda with what MeetingItemOut shows, in a constant number of queries: positions
    of all participants only for who may see them, the viewer's own always."""
    viewer = request.auth
    items = selectors.agenda_of(meeting).annotate(
        comment_count=Count("comments", filter=Q(comments__deleted_at__isnull=True))
    )
    shares = FileShare.objects.filter(file__deleted_at__isnull=True).select_related(
        "file__current_version"
    )
    prefetches = [
        Prefetch(
            "file_shares", queryset=shares.order_by("created_at", "id"), to_attr="live_shares"
        ),
        Prefetch("opinions", queryset=Opinion.objects.filter(user=viewer), to_attr="mine"),
    ]
    if policy.can_view_opinions(viewer, meeting):
        participants = User.objects.filter(policy.participants_filter(meeting))
        visible = (
            Opinion.objects.filter(user__in=participants)
            .select_related("user")
            .order_by("updated_at", "id")
        )
        prefetches.append(Prefetch("opinions", queryset=visible, to_attr="visible_opinions"))
    return items.prefetch_related(*prefetches)


def _ready(meeting: Meeting, invitation: Invitation) -> dict:
    return {
        "meeting_id": meeting.pk,
        "ready": invitation.ready_at is not None,
        "ready_at": invitation.ready_at,
    }


# --- Meetings -----------------------------------------------------------------------------


@router.get("/groups/{slug}/meetings", response=list[MeetingOut])
@paginate(Pagination)
def group_meetings(request: HttpRequest, slug: Slug, status: StatusFilter = None) -> object:
    """A group's meetings you may see, latest first."""
    meetings = selectors.meetings_of_group(request.auth, get_group_for(request.auth, slug))
    if status is not None:
        meetings = meetings.filter(status=status)
    return meetings


@router.post("/groups/{slug}/meetings", response={201: MeetingDetailOut})
def create_meeting(request: HttpRequest, slug: Slug, payload: MeetingIn) -> Status:
    """Create a meeting (group managers and staff members of the group); you organise it."""
    group = get_group_for(request.auth, slug)
    _times(starts_at=payload.starts_at, ends_at=payload.ends_at)
    meeting = services.create_meeting(
        actor=request.auth,
        group=group,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        description=payload.description,
        place=payload.place,
        video_url=payload.video_url,
        members_may_add_items=payload.members_may_add_items,
        participants=_people(request.auth, payload.participants),
    )
    return Status(201, _detail(request, _meeting(request, meeting.pk)))


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut)
def meeting(request: HttpRequest, meeting_id: MeetingId) -> Meeting:
    return _detail(request, _meeting(request, meeting_id))


@router.patch("/meetings/{meeting_id}", response=MeetingDetailOut)
def update_meeting(request: HttpRequest, meeting_id: MeetingId, payload: MeetingPatch) -> Meeting:
    """Change the given fields (the organiser and the group's managers, until it is closed or
    cancelled)."""
    found = _meeting(request, meeting_id)
    _times(starts_at=payload.starts_at, ends_at=payload.ends_at)
    services.update_meeting(actor=request.auth, meeting=found, **payload.dict(exclude_unset=True))
    return _detail(request, _meeting(request, meeting_id))


@router.post("/meetings/{meeting_id}/cancel", response=MeetingDetailOut)
def cancel_meeting(request: HttpRequest, meeting_id: MeetingId) -> Meeting:
    services.cancel_meeting(actor=request.auth, meeting=_meeting(request, meeting_id))
    return _detail(request, _meeting(request, meeting_id))


@router.post("/meetings/{meeting_id}/hold", response=MeetingDetailOut)
def hold_meeting(request: HttpRequest, meeting_id: MeetingId) -> Meeting:
    """The meeting has taken place: opinions and the agenda are frozen."""
    services.hold_meeting(actor=request.auth, meeting=_meeting(request, meeting_id))
    return _detail(request, _meeting(request, meeting_id))


@router.post("/meetings/{meeting_id}/close", response=MeetingDetailOut)
def close_meeting(request: HttpRequest, meeting_id: MeetingId) -> Meeting:
    """Close the meeting and publish its minutes (synthesis and decisions) in the group."""
    services.close_meeting(actor=request.auth, meeting=_meeting(request, meeting_id))
    return _detail(request, _meeting(request, meeting_id))


@router.get("/meetings/{meeting_id}/ics", url_name="meeting_ics", openapi_extra=ICS_RESPONSES)
def meeting_calendar(request: HttpRequest, meeting_id: MeetingId) -> HttpResponse:
    """The meeting as an iCalendar file, for one's calendar application."""
    found = _meeting(request, meeting_id)
    response = HttpResponse(meeting_ics(found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{found.pk}.ics"'
    return response


# --- Participants -------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/invitations", response=list[MeetingParticipantOut])
def invite(request: HttpRequest, meeting_id: MeetingId, payload: MeetingPeopleIn) -> list:
    """Invite group members or elected officials (managers); answers the participants."""
    found = _meeting(request, meeting_id)
    services.invite(actor=request.auth, meeting=found, people=_people(request.auth, payload.people))
    return _participants(found)


@router.delete("/meetings/{meeting_id}/invitations/{user_id}", response={204: None})
def uninvite(request: HttpRequest, meeting_id: MeetingId, user_id: UserId) -> Status:
    """Withdraw an invitation (managers; never the organiser's)."""
    found = _meeting(request, meeting_id)
    invitation = found.invitations.select_related("user").filter(user_id=user_id).first()
    if invitation is None:
        raise Http404
    services.uninvite(actor=request.auth, meeting=found, person=invitation.user)
    return Status(204, None)


@router.post("/meetings/{meeting_id}/ready", response=MeetingReadyOut)
def mark_ready(request: HttpRequest, meeting_id: MeetingId) -> dict:
    """Say you are ready (« prêt ») for the meeting (participants, in preparation)."""
    found = _meeting(request, meeting_id)
    return _ready(found, services.mark_ready(actor=request.auth, meeting=found))


@router.delete("/meetings/{meeting_id}/ready", response=MeetingReadyOut)
def unmark_ready(request: HttpRequest, meeting_id: MeetingId) -> dict:
    found = _meeting(request, meeting_id)
    return _ready(found, services.unmark_ready(actor=request.auth, meeting=found))


@router.post("/meetings/{meeting_id}/reminders", response=MeetingRemindedOut)
def remind(request: HttpRequest, meeting_id: MeetingId) -> dict:
    """Remind the participants not ready or who have not read the agenda (in-app and e-mail),
    at most once an hour (the organiser and the group's managers)."""
    found = _meeting(request, meeting_id)
    return {"reminded": services.send_reminder(actor=request.auth, meeting=found)}


@router.post("/meetings/{meeting_id}/attendance", response=list[MeetingParticipantOut])
def attendance(request: HttpRequest, meeting_id: MeetingId, payload: MeetingAttendanceIn) -> list:
    """Record who attended (managers): `attended` true, false or null (unknown)."""
    found = _meeting(request, meeting_id)
    services.record_attendance(
        actor=request.auth,
        meeting=found,
        attendance={line.user: line.attended for line in payload.attendance},
    )
    return _participants(found)


# --- Agenda -------------------------------------------------------------------------------


@router.get("/meetings/{meeting_id}/items", response=list[MeetingItemOut])
@paginate(Pagination)
def items(request: HttpRequest, meeting_id: MeetingId) -> object:
    """The agenda in order. Reading it counts as having read the agenda (participants)."""
    found = _meeting(request, meeting_id)
    services.mark_agenda_read(actor=request.auth, meeting=found)
    return _agenda(request, found)


@router.post("/meetings/{meeting_id}/items", response={201: MeetingItemOut})
def add_item(request: HttpRequest, meeting_id: MeetingId, payload: MeetingItemIn) -> Status:
    """Add an item at the end (managers; participants too if the organiser allows it)."""
    found = _meeting(request, meeting_id)
    item = services.add_item(
        actor=request.auth, meeting=found, title=payload.title, description=payload.description
    )
    return Status(201, _agenda(request, found).get(pk=item.pk))


@router.get("/items/{item_id}", response=MeetingItemOut)
def item(request: HttpRequest, item_id: ItemId) -> AgendaItem:
    found = _item(request, item_id)
    return _agenda(request, found.meeting).get(pk=found.pk)


@router.patch("/items/{item_id}", response=MeetingItemOut)
def edit_item(request: HttpRequest, item_id: ItemId, payload: MeetingItemPatch) -> AgendaItem:
    """Change the title or description (its author or the managers, in preparation)."""
    found = _item(request, item_id)
    services.edit_item(actor=request.auth, item=found, **payload.dict(exclude_unset=True))
    return _agenda(request, found.meeting).get(pk=found.pk)


@router.delete("/items/{item_id}", response={204: None})
def remove_item(request: HttpRequest, item_id: ItemId) -> Status:
    """Remove the item with its thread, opinions and attachments (in preparation)."""
    services.remove_item(actor=request.auth, item=_item(request, item_id))
    return Status(204, None)


@router.post("/items/{item_id}/move", response=list[MeetingItemOut])
def move_item(request: HttpRequest, item_id: ItemId, payload: MeetingMoveIn) -> list:
    """Move the item to `position` (0 first; managers, in preparation); answers the agenda."""
    found = _item(request, item_id)
    services.move_item(actor=request.auth, item=found, position=payload.position)
    return list(_agenda(request, found.meeting))


@router.put("/items/{item_id}/synthesis", response=MeetingItemOut)
def edit_synthesis(request: HttpRequest, item_id: ItemId, payload: MeetingSynthesisIn) -> object:
    """The organiser's own wording of the item's synthesis; empty goes back to the generated
    one (managers, until the meeting is closed)."""
    found = _item(request, item_id)
    services.edit_synthesis(actor=request.auth, item=found, text=payload.text)
    return _agenda(request, found.meeting).get(pk=found.pk)


@router.post("/items/{item_id}/files", response={201: MeetingItemOut})
def attach_file(request: HttpRequest, item_id: ItemId, payload: MeetingFileIn) -> Status:
    """Attach one of your files to the item (its author or the managers): whoever may see the
    meeting may then read it."""
    found = _item(request, item_id)
    (file,) = file_selectors.attachable_files(request.auth, [payload.file])
    services.attach_file_to_item(actor=request.auth, item=found, file=file)
    return Status(201, _agenda(request, found.meeting).get(pk=found.pk))


@router.put("/items/{item_id}/opinion", response=MeetingOpinionOut)
def set_opinion(request: HttpRequest, item_id: ItemId, payload: MeetingOpinionIn) -> Opinion:
    """Give or change your position (pour, contre, reserve, sans_avis) and an optional short
    argument, until the meeting starts (participants)."""
    found = _item(request, item_id)
    return services.set_opinion(
        actor=request.auth, item=found, position=payload.position, argument=payload.argument
    )


# --- Item threads -------------------------------------------------------------------------


@router.get("/items/{item_id}/comments", response=list[MeetingCommentOut])
@paginate(Pagination)
def comments(request: HttpRequest, item_id: ItemId) -> list:
    """The item's discussion thread, oldest first (the social app's comments: edit, delete
    and react to them with the /comments routes)."""
    found = _item(request, item_id)
    return social_selectors.thread(request.auth, selectors.thread_of(request.auth, found))


@router.post("/items/{item_id}/comments", response={201: MeetingCommentOut})
def add_comment(request: HttpRequest, item_id: ItemId, payload: MeetingCommentIn) -> Status:
    """Comment on the item, ask a question (`is_question`) or answer a comment (`reply_to`)."""
    found = _item(request, item_id)
    reply_to = None
    if payload.reply_to is not None:
        reply_to = social_selectors.get_comment_for(request.auth, payload.reply_to)
    comment = social_services.add_comment(
        author=request.auth,
        item=found,
        body=payload.body,
        is_question=payload.is_question,
        reply_to=reply_to,
    )
    comment.like_count, comment.liked = 0, False
    return Status(201, comment)


# --- Synthesis ----------------------------------------------------------------------------


@router.get("/meetings/{meeting_id}/synthesis", response=MeetingSynthesisOut)
def synthesis(request: HttpRequest, meeting_id: MeetingId) -> object:
    """Per item: positions counted, arguments by position, open questions, files, decisions;
    per participant: ready, agenda read, items prepared. Participants and managers (everyone
    who sees the meeting once it is closed); others get 403."""
    found = _meeting(request, meeting_id)
    if not policy.can_view_opinions(request.auth, found):
        raise PermissionDenied
    return compute_synthesis(found)


# --- Decisions ----------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/decisions", response={201: MeetingDecisionDetailOut})
def add_decision(request: HttpRequest, meeting_id: MeetingId, payload: MeetingDecisionIn) -> Status:
    """Record a decision or action item, with its owner and due date (managers)."""
    found = _meeting(request, meeting_id)
    (owner,) = _people(request.auth, [payload.owner])
    item_ = _item(request, payload.item) if payload.item is not None else None
    decision = services.add_decision(
        actor=request.auth,
        meeting=found,
        text=payload.text,
        owner=owner,
        due_on=payload.due_on,
        item=item_,
    )
    return Status(201, _decision(request, decision.pk))


@router.get("/meetings/{meeting_id}/decisions", response=list[MeetingDecisionOut])
@paginate(Pagination)
def meeting_decisions(request: HttpRequest, meeting_id: MeetingId) -> object:
    """The meeting's decisions, newest first."""
    found = _meeting(request, meeting_id)
    return selectors.decisions_register(request.auth).filter(meeting=found)


@router.get("/decisions", response=list[MeetingDecisionOut])
@paginate(Pagination)
def decisions(
    request: HttpRequest,
    owner: OwnerFilter = None,
    status: DecisionStatusFilter = None,
    overdue: OverdueFilter = None,
    group: GroupFilter = None,
) -> object:
    """The decisions register: decisions of the meetings you may see, newest first. An
    unknown owner or group gives an empty list."""
    filters: dict = {"status": status, "overdue": overdue}
    if owner is not None:
        filters["owner"] = User.objects.filter(pk=owner).first()
        if filters["owner"] is None:
            return Decision.objects.none()
    if group is not None:
        filters["group"] = Group.objects.filter(slug=group).first()
        if filters["group"] is None:
            return Decision.objects.none()
    return selectors.decisions_register(request.auth, **filters)


@router.get("/decisions/{decision_id}", response=MeetingDecisionDetailOut)
def decision(request: HttpRequest, decision_id: DecisionId) -> Decision:
    """A decision with its follow-up log."""
    return _decision(request, decision_id)


@router.patch("/decisions/{decision_id}", response=MeetingDecisionDetailOut)
def update_decision(
    request: HttpRequest, decision_id: DecisionId, payload: MeetingDecisionPatch
) -> Decision:
    """Change the status with a comment, kept in the follow-up log (its owner, the organiser
    and the group's managers), even years later."""
    found = _decision(request, decision_id)
    services.update_decision_status(
        actor=request.auth,
        decision=found,
        status=payload.status if payload.status is not None else found.status,
        comment=payload.comment,
    )
    return _decision(request, decision_id)
