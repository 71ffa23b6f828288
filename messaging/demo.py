"""The demo's instant messages: two direct conversations and a small group one, idempotent.

Conversations are keyed as the app keys them (a direct one on its two people, a group one on
its creator and title), messages on a client key derived from their place in the demo, which
is the service's own idempotency key: a second load sends nothing new and changes no counter.
Writes go through messaging.services (policy, Markdown, mentions, attachments and unread
counters as for a real send); only the dates are moved back afterwards, as the other demo
modules do, so a demo loaded long ago looks fresh again. Load after files.demo: a message
attaches one of the demo files.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files import selectors as file_selectors
from files.models import File
from messaging import services
from messaging.models import Conversation, Message, Participant

KEYS = uuid.UUID("5d1c9a52-5b7e-4c8e-9d1e-6f0b8f2c7a10")  # namespace of the demo's client keys


@dataclass(frozen=True)
class MessageSpec:
    author: str
    days_ago: int
    time: str  # "HH:MM", Paris time
    body: str
    attachment: str = ""  # name of one of the author's demo files


@dataclass(frozen=True)
class ConversationSpec:
    key: str
    people: tuple[str, ...]  # the first one starts the conversation
    messages: tuple[MessageSpec, ...]
    read: dict  # handle → how many of the messages they have read (all, by default)
    title: str = ""  # a group conversation when set


CONVERSATIONS = [
    ConversationSpec(
        key="royeux-claire-julien",
        people=("agent2", "agent1"),
        messages=(
            MessageSpec(
                "agent2",
                3,
                "09:12",
                "Claire, l'équipementier allemand confirme sa visite du Royeux jeudi à 14 h. "
                "Je lui propose les lots 6 et 8, ou le 9 si l'accès poids lourds est réglé "
                "d'ici là.",
            ),
            MessageSpec(
                "agent1",
                3,
                "09:40",
                "Parfait. Le 9 reste réservé au transporteur tant que l'étude d'accès n'est pas "
                "rendue : montre-lui plutôt le 6 et le 8. Tu as un plan à jour ?",
            ),
            MessageSpec(
                "agent2",
                3,
                "10:05",
                "Voici le plan à jour des réservations. Les lots 6 et 8 sont libres, le 12 "
                "aussi s'il lui faut plus de 4 000 m².",
                attachment="Plan de la zone d'activité du Royeux.png",
            ),
            MessageSpec(
                "agent1",
                2,
                "17:30",
                "Merci. Pense à inviter Nadia Benali à la visite : elle veut rencontrer les "
                "investisseurs étrangers.",
            ),
            MessageSpec(
                "agent2", 0, "08:50", "C'est fait, elle sera là. Je te fais un compte rendu jeudi."
            ),
            MessageSpec(
                "agent2",
                0,
                "08:52",
                "Autre chose : le comité de pilotage est avancé au 12. Tu peux le caler dans "
                "ton agenda ?",
            ),
        ),
        read={"agent1": 4},  # the demo's administrator has two unread messages
    ),
    ConversationSpec(
        key="garage-sophie-lea",
        people=("startup1", "agent3"),
        messages=(
            MessageSpec(
                "startup1",
                5,
                "14:20",
                "Bonjour Sophie, voici la nouvelle version de notre budget prévisionnel pour le "
                "dossier d'aide à l'innovation. Auriez-vous un moment pour y jeter un œil avant "
                "vendredi ?",
                attachment="Budget prévisionnel — Ferment & Co.pdf",
            ),
            MessageSpec(
                "agent3",
                5,
                "16:02",
                "Bonjour Léa, je regarde ça demain matin. À première vue, détaillez davantage "
                "les achats de l'année 2 : le comité y sera attentif.",
            ),
            MessageSpec(
                "startup1",
                4,
                "09:15",
                "C'est noté, Hugo reprend le tableau des investissements aujourd'hui.",
            ),
            MessageSpec(
                "agent3",
                1,
                "11:30",
                "J'ai relu la version corrigée : tout est bon pour le dépôt. Pensez aussi à vous "
                "inscrire au demo day, il reste deux créneaux de pitch.",
            ),
        ),
        read={"startup1": 3},  # one unread for the start-up's login
    ),
    ConversationSpec(
        key="garage-demo-day",
        title="Demo day du Garage — organisation",
        people=("agent3", "agent1", "agent5"),
        messages=(
            MessageSpec(
                "agent3",
                2,
                "10:00",
                "Bonjour à toutes les deux ! Je lance ce fil pour préparer le demo day du "
                "Garage : six start-up pitcheront devant une trentaine d'invités.",
            ),
            MessageSpec(
                "agent5",
                2,
                "10:25",
                "Super. Je m'occupe de l'invitation et des visuels. @agent3, peux-tu me "
                "transmettre les logos des start-up d'ici lundi ?",
            ),
            MessageSpec(
                "agent3",
                2,
                "10:40",
                "Oui : celui de Ferment & Co est déjà dans le groupe du Garage, je rassemble "
                "les autres.",
            ),
            MessageSpec(
                "agent1",
                1,
                "18:05",
                "Je ferai le mot d'accueil. Prévoyez dix minutes de questions après chaque "
                "pitch, les élus en auront.",
            ),
            MessageSpec(
                "agent5",
                0,
                "09:10",
                "Salle du conseil réservée de 14 h à 18 h. Claire, je t'envoie le déroulé dès "
                "qu'il est prêt.",
            ),
        ),
        read={"agent1": 4, "agent3": 4},
    ),
]


@dataclass
class MessagingResult:
    conversations: int = 0
    messages: int = 0
    created: int = 0  # messages sent by this load


@transaction.atomic
def load_demo() -> MessagingResult:
    """Create or refresh the demo conversations (the demo people and files must exist)."""
    now = timezone.now()
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    result = MessagingResult()
    for spec in CONVERSATIONS:
        result.created += _conversation(spec, people, now)
        result.conversations += 1
        result.messages += len(spec.messages)
    return result


def _moment(now: datetime, days_ago: int, time: str) -> datetime:
    hour, minute = (int(part) for part in time.split(":"))
    local = timezone.localtime(now) - timedelta(days=days_ago)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return min(moment, now - timedelta(minutes=30))  # today's messages are never in the future


def _start(spec: ConversationSpec, people: dict[str, User]) -> Conversation:
    starter, *others = (people[handle] for handle in spec.people)
    if not spec.title:
        return services.start_direct(actor=starter, person=others[0])
    existing = (
        Conversation.objects.filter(
            kind=Conversation.Kind.GROUP, created_by=starter, title=spec.title
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        services.add_participants(actor=starter, conversation=existing, people=others)
        return existing
    return services.create_group_conversation(actor=starter, title=spec.title, people=others)


def _attachments(author: User, name: str) -> list[File]:
    if not name:
        return []
    file = File.objects.filter(owner=author, name=name, deleted_at=None).order_by("pk").first()
    return file_selectors.attachable_files(author, [file.pk]) if file is not None else []


def _conversation(spec: ConversationSpec, people: dict[str, User], now: datetime) -> int:
    conversation = _start(spec, people)
    sent: list[Message] = []
    created = 0
    for index, message_spec in enumerate(spec.messages):
        author = people[message_spec.author]
        message, new = services.send_message(
            author=author,
            conversation=conversation,
            body=message_spec.body,
            client_key=uuid.uuid5(KEYS, f"{spec.key}:{index}"),
            attachments=_attachments(author, message_spec.attachment),
        )
        sent.append(message)
        created += new
    conversation.refresh_from_db()
    # Read points never move back (mark_read): a reload leaves what the demo user read.
    for handle in spec.people:
        count = spec.read.get(handle, len(sent))
        if count:
            services.mark_read(
                actor=people[handle], conversation=conversation, up_to=sent[count - 1].pk
            )
    _date(conversation, spec, sent, now)
    return created


def _date(
    conversation: Conversation, spec: ConversationSpec, sent: list[Message], now: datetime
) -> None:
    """Spread the messages over the last days, as if sent then (dates only: no counter)."""
    moments = [_moment(now, m.days_ago, m.time) for m in spec.messages]
    for message, moment in zip(sent, moments, strict=True):
        Message.objects.filter(pk=message.pk).update(created_at=moment)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=moments[0] - timedelta(minutes=5), last_message_at=moments[-1]
    )
    Participant.objects.filter(conversation=conversation).update(
        joined_at=moments[0] - timedelta(minutes=5)
    )
