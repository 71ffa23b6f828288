"""The synthesis of a meeting, computed from its agenda, opinions, threads and files.

`compute_synthesis(meeting)` reads a constant number of queries whatever the size of the
agenda. Only today's participants count (meetings.policy.participants_filter): someone who
left the group, or whose invitation was withdrawn, no longer weighs in the positions.
Callers check `policy.can_view_opinions` before showing it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from files.models import FileShare
from meetings import policy
from meetings.models import Decision, Invitation, Meeting, Opinion, Position
from social.models import Comment


@dataclass(frozen=True)
class Argument:
    user_id: int
    author_name: str
    text: str
    updated_at: datetime


@dataclass(frozen=True)
class OpenQuestion:
    comment_id: int
    author_id: int
    author_name: str
    body_html: str
    created_at: datetime


@dataclass(frozen=True)
class AttachedFile:
    file_id: int
    name: str
    size: int


@dataclass(frozen=True)
class DecisionLine:
    decision_id: int
    text: str
    owner_id: int
    owner_name: str
    due_on: date | None
    status: str


@dataclass
class ItemSynthesis:
    item_id: int
    position: int
    title: str
    description_html: str
    # Every position, in the order of Position, with 0 when nobody holds it.
    counts: dict[str, int]
    # Only positions with at least one argument, in the order of Position.
    arguments: dict[str, list[Argument]]
    open_questions: list[OpenQuestion]
    files: list[AttachedFile]
    decisions: list[DecisionLine]
    override_text: str
    prepared_by: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def uses_override(self) -> bool:
        return bool(self.override_text)


@dataclass
class ParticipantStatus:
    user_id: int
    display_name: str
    kind: str
    is_organiser: bool
    ready: bool
    agenda_read: bool
    attended: bool | None
    prepared_item_ids: list[int] = field(default_factory=list)


@dataclass
class MeetingSynthesis:
    meeting_id: int
    items: list[ItemSynthesis]
    participants: list[ParticipantStatus]

    @property
    def ready(self) -> list[ParticipantStatus]:
        return [p for p in self.participants if p.ready]

    @property
    def not_ready(self) -> list[ParticipantStatus]:
        return [p for p in self.participants if not p.ready]

    @property
    def not_read(self) -> list[ParticipantStatus]:
        """Participants who have not opened the agenda yet."""
        return [p for p in self.participants if not p.agenda_read]


def open_questions_filter(meeting: Meeting) -> QuerySet[Comment]:
    """Live comments marked as question in the meeting's threads, with no live answer by
    someone else (a reply to them)."""
    answered = Comment.objects.filter(reply_to=OuterRef("pk"), deleted_at__isnull=True).exclude(
        author=OuterRef("author")
    )
    return (
        Comment.objects.filter(item__meeting=meeting, is_question=True, deleted_at__isnull=True)
        .annotate(answered=Exists(answered))
        .filter(answered=False)
    )


def compute_synthesis(meeting: Meeting) -> MeetingSynthesis:
    """Per item: positions counted, arguments by position, open questions, files, decisions
    and the organiser's text; per participant: ready, agenda read, items prepared."""
    participants = User.objects.filter(policy.participants_filter(meeting))
    invitations = list(
        Invitation.objects.filter(meeting=meeting, user__in=participants)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    items = list(meeting.items.order_by("position", "id"))
    opinions = list(
        Opinion.objects.filter(item__meeting=meeting, user__in=participants)
        .select_related("user")
        .order_by("updated_at", "id")
    )
    questions = list(
        open_questions_filter(meeting).select_related("author").order_by("created_at", "id")
    )
    shares = list(
        FileShare.objects.filter(item__meeting=meeting, file__deleted_at__isnull=True)
        .select_related("file__current_version")
        .order_by("created_at", "id")
    )
    decisions = list(
        Decision.objects.filter(meeting=meeting, item__isnull=False)
        .select_related("owner")
        .order_by("created_at", "id")
    )

    opinions_by_item = defaultdict(list)
    prepared = defaultdict(list)
    for opinion in opinions:
        opinions_by_item[opinion.item_id].append(opinion)
        prepared[opinion.user_id].append(opinion.item_id)
    questions_by_item = defaultdict(list)
    for question in questions:
        questions_by_item[question.item_id].append(
            OpenQuestion(
                comment_id=question.pk,
                author_id=question.author_id,
                author_name=question.author.display_name,
                body_html=question.body_html,
                created_at=question.created_at,
            )
        )
    files_by_item = defaultdict(list)
    for share in shares:
        files_by_item[share.item_id].append(
            AttachedFile(
                file_id=share.file_id,
                name=share.file.name,
                size=share.file.current_version.size if share.file.current_version else 0,
            )
        )
    decisions_by_item = defaultdict(list)
    for decision in decisions:
        decisions_by_item[decision.item_id].append(
            DecisionLine(
                decision_id=decision.pk,
                text=decision.text,
                owner_id=decision.owner_id,
                owner_name=decision.owner.display_name,
                due_on=decision.due_on,
                status=decision.status,
            )
        )

    result_items = []
    for item in items:
        counts = dict.fromkeys(Position.values, 0)
        arguments: dict[str, list[Argument]] = {p: [] for p in Position.values}
        for opinion in opinions_by_item[item.pk]:
            counts[opinion.position] += 1
            if opinion.argument:
                arguments[opinion.position].append(
                    Argument(
                        user_id=opinion.user_id,
                        author_name=opinion.user.display_name,
                        text=opinion.argument,
                        updated_at=opinion.updated_at,
                    )
                )
        result_items.append(
            ItemSynthesis(
                item_id=item.pk,
                position=item.position,
                title=item.title,
                description_html=item.description_html,
                counts=counts,
                arguments={p: a for p, a in arguments.items() if a},
                open_questions=questions_by_item[item.pk],
                files=files_by_item[item.pk],
                decisions=decisions_by_item[item.pk],
                override_text=item.synthesis_text,
                prepared_by=[o.user_id for o in opinions_by_item[item.pk]],
            )
        )
    result_participants = [
        ParticipantStatus(
            user_id=invitation.user_id,
            display_name=invitation.user.display_name,
            kind=invitation.user.kind,
            is_organiser=invitation.user_id == meeting.organiser_id,
            ready=invitation.ready_at is not None,
            agenda_read=invitation.agenda_read_at is not None,
            attended=invitation.attended,
            prepared_item_ids=prepared[invitation.user_id],
        )
        for invitation in invitations
    ]
    return MeetingSynthesis(
        meeting_id=meeting.pk, items=result_items, participants=result_participants
    )
