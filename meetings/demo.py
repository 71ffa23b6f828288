"""The demo's meetings, in the group « Zone d'activité du Royeux »: idempotent, like the other
demo modules.

- A meeting in preparation a few days ahead, with an elected official invited who is not a
  member of the group (elu2), three agenda items, positions from four participants (one
  participant, agent6, has not prepared: no position, not ready, agenda not opened), a thread
  with a question left open and one answered, and the park's plan attached to an item.
- An earlier meeting, held and closed, with its decisions (one overdue, one done, one in
  progress) and its minutes published in the group's feed.

Meetings are keyed on (group, title), items on (meeting, title), comments on (item, author,
body), decisions on (meeting, text); positions, « prêt » and attachments go through services
that never duplicate them. Every write goes through meetings.services and social.services (so
policy, validation and Markdown apply as usual); a second load adds nothing and only moves the
dates, as the other demo modules do, so a demo loaded long ago still has its meeting ahead.
Load after social.demo and files.demo.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files.models import File
from groups.models import Group
from meetings import services
from meetings.models import AgendaItem, Decision, Meeting, Position
from social import services as social_services
from social.demo import ROYEUX
from social.models import Comment, Post

PLACE = "Hôtel de communauté, salle du conseil"
NEXT_TITLE = "Comité de suivi de l'extension du Royeux"
PAST_TITLE = "Comité de pilotage de l'extension du Royeux"
ORGANISER = "agent2"
PARTICIPANTS = ("agent1", "agent6", "elu1", "elu2")  # elu2 is not a member of the group
UNPREPARED = "agent6"
NEXT_IN_DAYS = 4  # the coming meeting, at 14:00 Paris time
PAST_DAYS_AGO = 24  # the closed one, at 09:30 Paris time
PLAN = "Plan de la zone d'activité du Royeux.png"  # from files.demo, owned by the organiser

FOR, AGAINST, RESERVED, NO_OPINION = (
    Position.FOR,
    Position.AGAINST,
    Position.RESERVED,
    Position.NO_OPINION,
)


@dataclass(frozen=True)
class CommentSpec:
    author: str
    body: str
    hours_ago: float
    is_question: bool = False
    answers: int | None = None  # index of the comment of the same item it replies to


@dataclass(frozen=True)
class ItemSpec:
    title: str
    description: str
    # handle → (position, argument)
    opinions: dict = field(default_factory=dict)
    comments: tuple[CommentSpec, ...] = ()
    attach: str = ""  # a demo file of the organiser


@dataclass(frozen=True)
class DecisionSpec:
    text: str
    owner: str
    due_in_days: int  # from today; negative: in the past
    item: int | None  # index of the agenda item
    status: str = Decision.Status.TODO
    comment: str = ""


NEXT_DESCRIPTION = (
    "Comité de suivi de l'extension de la zone d'activité : voirie, commercialisation des "
    "derniers lots et calendrier.\n\n"
    "Merci de **donner votre avis sur chaque point** avant la réunion et d'indiquer que vous "
    "êtes prêt : la séance partira de la synthèse des échanges."
)

NEXT_ITEMS = [
    ItemSpec(
        title="Extension de la voirie du lot 4",
        description=(
            "Prolonger la voie de desserte de 120 m pour ouvrir le lot 4 aux poids lourds. "
            "Estimation du maître d'œuvre : 310 000 € HT, travaux possibles au printemps avec "
            "la viabilisation de la deuxième tranche."
        ),
        opinions={
            "agent2": (FOR, "Sans cette voie, le lot 4 reste invendable pour un industriel."),
            "agent1": (FOR, "Le coût est couvert par l'enveloppe de la deuxième tranche."),
            "elu1": (RESERVED, "D'accord sur le principe, mais le chiffrage doit être consolidé."),
            "elu2": (AGAINST, "Priorité à l'accès poids lourds du lot 9, déjà demandé."),
        },
        comments=(
            CommentSpec(
                "elu2",
                "Qui porte le coût de la prolongation : la communauté ou l'aménageur ? Et "
                "a-t-on une estimation de l'entretien annuel ?",
                30,
                is_question=True,
            ),
            CommentSpec(
                "agent1",
                "Le chiffrage du maître d'œuvre est attendu pour la fin de la semaine.",
                26,
            ),
        ),
    ),
    ItemSpec(
        title="Candidatures des entreprises pour le lot 7",
        description=(
            "Trois entreprises candidatent pour le lot 7 (4 800 m²) : une menuiserie "
            "industrielle (18 emplois), un négoce de matériaux (9 emplois) et une start-up de "
            "recyclage de batteries (12 emplois à trois ans). Le plan à jour est joint."
        ),
        opinions={
            "agent2": (FOR, "La menuiserie : le plus d'emplois et un projet prêt à démarrer."),
            "agent1": (RESERVED, "Attendre l'avis de la Région sur le dossier de recyclage."),
            "elu1": (
                FOR,
                "Favorable à la menuiserie, entreprise déjà implantée sur le territoire.",
            ),
            "elu2": (NO_OPINION, ""),
        },
        comments=(
            CommentSpec(
                "elu1",
                "Combien de dossiers complets avons-nous reçus pour le lot 7 ?",
                50,
                is_question=True,
            ),
            CommentSpec(
                "agent2",
                "Trois dossiers complets ; la synthèse des candidatures est dans le plan joint.",
                48,
                answers=0,
            ),
        ),
        attach=PLAN,
    ),
    ItemSpec(
        title="Calendrier de la commercialisation",
        description=(
            "Proposition : ouverture des candidatures pour les lots 11 à 15 en mars, comité "
            "d'attribution en juin, signature des compromis avant l'été."
        ),
        opinions={
            "agent2": (FOR, ""),
            "agent1": (FOR, "Cohérent avec la fin des travaux de viabilisation."),
            "elu2": (FOR, "À présenter aux riverains lors de la réunion publique."),
        },
    ),
]
READY = ("agent2", "agent1", "elu2")  # elu1 has given positions but is not ready yet

PAST_DESCRIPTION = (
    "Comité de pilotage de l'extension : commercialisation, travaux de la deuxième tranche et "
    "concertation avec les riverains."
)
PAST_ITEMS = [
    ItemSpec(
        title="Point sur la commercialisation des lots",
        description="Sept lots sur quinze réservés, dont deux avec compromis signé.",
        opinions={"agent2": (FOR, ""), "agent1": (FOR, ""), "elu1": (FOR, "")},
    ),
    ItemSpec(
        title="Accès des poids lourds au lot 9",
        description="Le transporteur intéressé demande un accès direct depuis la RD 17.",
        opinions={
            "agent2": (FOR, "Le transporteur ne s'installera pas sans cet accès."),
            "agent1": (RESERVED, "Faire d'abord chiffrer l'étude par le département."),
            "elu1": (FOR, ""),
            "elu2": (RESERVED, "Vérifier l'impact sur le giratoire."),
        },
    ),
    ItemSpec(
        title="Concertation avec les riverains",
        description="Une réunion publique avant le démarrage des travaux de viabilisation.",
        opinions={"agent6": (FOR, "Indispensable avant l'arrivée des premiers camions.")},
    ),
]
PAST_DECISIONS = [
    DecisionSpec(
        text="Lancer l'étude d'accès des poids lourds au lot 9 depuis la RD 17.",
        owner="agent2",
        due_in_days=-10,
        item=1,  # still « à faire »: overdue
    ),
    DecisionSpec(
        text="Organiser la réunion publique avec les riverains avant le démarrage des travaux.",
        owner="agent6",
        due_in_days=-5,
        item=2,
        status=Decision.Status.DONE,
        comment="Réunion tenue à la salle des fêtes : 40 riverains, compte rendu dans Fichiers.",
    ),
    DecisionSpec(
        text="Mettre à jour le plan de commercialisation des lots après chaque réservation.",
        owner="agent2",
        due_in_days=20,
        item=0,
        status=Decision.Status.IN_PROGRESS,
        comment="Plan mis à jour avec les réservations des lots 3 et 7.",
    ),
]


@dataclass
class MeetingsResult:
    meetings: int = 0
    created: int = 0
    items: int = 0
    opinions: int = 0
    decisions: int = 0
    titles: list[str] = field(default_factory=list)


def _slot(day: date, at: time, hours: int = 2) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, at))
    return start, start + timedelta(hours=hours)


@transaction.atomic
def load_demo() -> MeetingsResult:
    """Create or refresh the demo meetings (the demo people, groups and files must exist)."""
    now = timezone.now()
    today = timezone.localdate(now)
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    group = Group.objects.get(slug=ROYEUX)
    result = MeetingsResult()
    past, created = _past_meeting(group, people, today, now)
    result.created += created
    upcoming, created = _next_meeting(group, people, today, now)
    result.created += created
    for meeting in (past, upcoming):
        result.meetings += 1
        result.titles.append(meeting.title)
        result.items += meeting.items.count()
        result.opinions += sum(item.opinions.count() for item in meeting.items.all())
        result.decisions += meeting.decisions.count()
    return result


# --- The coming meeting ----------------------------------------------------------------------


def _next_meeting(
    group: Group, people: dict[str, User], today: date, now: datetime
) -> tuple[Meeting, bool]:
    organiser = people[ORGANISER]
    starts_at, ends_at = _slot(today + timedelta(days=NEXT_IN_DAYS), time(14, 0))
    meeting = Meeting.objects.filter(group=group, title=NEXT_TITLE).order_by("pk").first()
    created = meeting is None
    if created:
        meeting = services.create_meeting(
            actor=organiser,
            group=group,
            title=NEXT_TITLE,
            description=NEXT_DESCRIPTION,
            starts_at=starts_at,
            ends_at=ends_at,
            place=PLACE,
            participants=[people[h] for h in PARTICIPANTS],
        )
    elif meeting.status == Meeting.Status.PREPARATION and not meeting.is_cancelled:
        # Still ahead (the sequence only moves when the day does).
        meeting = services.update_meeting(
            actor=organiser, meeting=meeting, starts_at=starts_at, ends_at=ends_at
        )
        services.invite(actor=organiser, meeting=meeting, people=[people[h] for h in PARTICIPANTS])
    else:
        return meeting, created  # closed or cancelled by someone trying the demo: left as is
    items = _items(meeting, organiser, NEXT_ITEMS)
    for handle in (ORGANISER, *PARTICIPANTS):
        if handle != UNPREPARED:
            services.mark_agenda_read(actor=people[handle], meeting=meeting)
    _opinions(items, NEXT_ITEMS, people)
    for handle in READY:
        services.mark_ready(actor=people[handle], meeting=meeting)
    for item, spec in zip(items, NEXT_ITEMS, strict=True):
        _thread(item, spec, people, now)
        if spec.attach:
            plan = File.objects.filter(owner=organiser, name=spec.attach, deleted_at=None).first()
            if plan is not None:  # files.demo loaded
                services.attach_file_to_item(actor=organiser, item=item, file=plan)
    return meeting, created


def _items(meeting: Meeting, actor: User, specs: list[ItemSpec]) -> list[AgendaItem]:
    existing = {item.title: item for item in meeting.items.all()}
    items = []
    for spec in specs:
        item = existing.get(spec.title)
        if item is None:
            item = services.add_item(
                actor=actor, meeting=meeting, title=spec.title, description=spec.description
            )
        items.append(item)
    return items


def _opinions(items: list[AgendaItem], specs: list[ItemSpec], people: dict[str, User]) -> None:
    for item, spec in zip(items, specs, strict=True):
        for handle, (position, argument) in spec.opinions.items():
            # Unchanged positions are not written again (nor their history).
            services.set_opinion(
                actor=people[handle], item=item, position=position, argument=argument
            )


def _thread(item: AgendaItem, spec: ItemSpec, people: dict[str, User], now: datetime) -> None:
    comments: list[Comment] = []
    for comment_spec in spec.comments:
        author = people[comment_spec.author]
        comment = (
            Comment.objects.filter(
                item=item, author=author, body=comment_spec.body, deleted_at=None
            )
            .order_by("pk")
            .first()
        )
        if comment is None:
            comment = social_services.add_comment(
                author=author,
                body=comment_spec.body,
                item=item,
                is_question=comment_spec.is_question,
                reply_to=comments[comment_spec.answers]
                if comment_spec.answers is not None
                else None,
            )
        Comment.objects.filter(pk=comment.pk).update(
            created_at=now - timedelta(hours=comment_spec.hours_ago)
        )
        comments.append(comment)


# --- The earlier, closed meeting -------------------------------------------------------------


def _past_meeting(
    group: Group, people: dict[str, User], today: date, now: datetime
) -> tuple[Meeting, bool]:
    organiser = people[ORGANISER]
    day = today - timedelta(days=PAST_DAYS_AGO)
    starts_at, ends_at = _slot(day, time(9, 30))
    meeting = Meeting.objects.filter(group=group, title=PAST_TITLE).order_by("pk").first()
    created = meeting is None
    if created:
        # Prepared before it took place (positions are given before the start), then moved
        # to its real date, held, recorded and closed, all through the services.
        soon, soon_end = _slot(today + timedelta(days=1), time(9, 30))
        meeting = services.create_meeting(
            actor=organiser,
            group=group,
            title=PAST_TITLE,
            description=PAST_DESCRIPTION,
            starts_at=soon,
            ends_at=soon_end,
            place=PLACE,
            participants=[people[h] for h in PARTICIPANTS],
        )
        items = _items(meeting, organiser, PAST_ITEMS)
        for handle in (ORGANISER, *PARTICIPANTS):
            services.mark_agenda_read(actor=people[handle], meeting=meeting)
            services.mark_ready(actor=people[handle], meeting=meeting)
        _opinions(items, PAST_ITEMS, people)
        meeting = services.update_meeting(
            actor=organiser, meeting=meeting, starts_at=starts_at, ends_at=ends_at
        )
        services.record_attendance(
            actor=organiser,
            meeting=meeting,
            attendance={people[h].pk: h != "elu2" for h in (ORGANISER, *PARTICIPANTS)},
        )
        meeting = services.hold_meeting(actor=organiser, meeting=meeting)
        for spec in PAST_DECISIONS:
            decision = services.add_decision(
                actor=organiser,
                meeting=meeting,
                text=spec.text,
                owner=people[spec.owner],
                due_on=today + timedelta(days=spec.due_in_days),
                item=items[spec.item] if spec.item is not None else None,
            )
            if spec.status != Decision.Status.TODO:
                services.update_decision_status(
                    actor=people[spec.owner],
                    decision=decision,
                    status=spec.status,
                    comment=spec.comment,
                )
        meeting = services.close_meeting(actor=organiser, meeting=meeting)
    _date_past(meeting, starts_at, ends_at, today)
    return meeting, created


def _date_past(meeting: Meeting, starts_at: datetime, ends_at: datetime, today: date) -> None:
    """Keep the closed meeting where the demo wants it, however long ago it was loaded: its
    date, its minutes two days later, and its decisions' due dates (the overdue one stays
    overdue)."""
    closed_at = ends_at + timedelta(days=2)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at,
        ends_at=ends_at,
        held_at=ends_at,
        closed_at=closed_at,
        updated_at=closed_at,
        created_at=starts_at - timedelta(days=14),
    )
    if meeting.minutes_post_id:
        Post.objects.filter(pk=meeting.minutes_post_id).update(created_at=closed_at)
    for spec in PAST_DECISIONS:
        decision = meeting.decisions.filter(text=spec.text).first()
        if decision is None:
            continue
        Decision.objects.filter(pk=decision.pk).update(
            due_on=today + timedelta(days=spec.due_in_days), created_at=ends_at
        )
        decision.updates.update(created_at=min(closed_at + timedelta(days=3), timezone.now()))
    meeting.refresh_from_db()
