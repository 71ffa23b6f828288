"""The demo's consultation before the visit of the Europe neighbourhood: idempotent, like the
other demo modules.

- « Visite du quartier Europe — 12 décembre », open now, moderated a posteriori by agent6,
  with the two demo elected officials (elu1, elu2) visiting and four city services.
- 15 contributions from the 5 demo citizens (three each) across the categories, supported by
  their neighbours, with a few comments.
- Two contributions reported and waiting in the moderation queue; one hidden (« hors sujet »,
  a classified ad) after a report.
- Two requests already answered (one done before the visit, one in progress), a quick win
  past its target date, and one contribution turned into a discussion of the internal group
  « Zone d'activité du Royeux » (when social.demo is loaded).

The consultation is keyed on its title, contributions on (consultation, title), comments on
(contribution, author, body), reports on (contribution, reporter), answers on their
contribution. Every write goes through consultations.services (policy, validation, Markdown,
moderation log); a second load adds nothing and only moves the dates so the consultation stays
open and the visit ahead. Load after accounts.demo (and social.demo for the discussion).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from consultations import services
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    HiddenReason,
    ModerationState,
    OfficialAnswer,
    Report,
    Service,
    Support,
)
from groups.models import Group
from social.demo import ROYEUX

TITLE = "Visite du quartier Europe — 12 décembre"
VISIT_MONTH, VISIT_DAY = 12, 12
OPENED_DAYS_AGO = 12
CREATOR = "agent6"
MODERATORS = ("agent6", "agent1")
OFFICIALS = ("elu1", "elu2")
CITIZENS = ("citoyen1", "citoyen2", "citoyen3", "citoyen4", "citoyen5")
DISCUSSION_GROUP = ROYEUX

DESCRIPTION = (
    "Le **12 décembre**, Nadia Benali et Pierre Garnier viendront à la rencontre des habitants "
    "du quartier Europe (départ à 10 h devant la médiathèque, place de l'Europe).\n\n"
    "Avant la visite, dites-nous ce qui compte pour vous : une question, une demande, une idée "
    "ou un problème à signaler. Les demandes simples peuvent être traitées avant la visite ; "
    "les élus partiront de vos contributions les plus soutenues."
)

# name → e-mail of the service that requests are routed to
SERVICES = {
    "Éclairage public": "eclairage@ville.test",
    "Direction de la voirie": "voirie@ville.test",
    "Propreté urbaine": "proprete@ville.test",
    "Tranquillité publique": "tranquillite@ville.test",
}


@dataclass(frozen=True)
class Spec:
    author: str
    kind: str
    category: str
    title: str
    body: str
    place: str = ""
    days_ago: float = 1
    supporters: tuple[str, ...] = ()
    comments: tuple[tuple[str, str], ...] = ()  # (author, body)
    reported_by: tuple[tuple[str, str], ...] = ()  # (reporter, reason)
    hidden: str = ""  # a HiddenReason: hidden after its report
    service: str = ""
    status: str = ""  # where the request stands (through the allowed transitions)
    answer: str = ""  # the official answer, signed by the service
    quick_win_days: int | None = None  # quick win, target date this many days from today
    discuss: bool = False  # turned into a post of the internal group


QUESTION, REQUEST, IDEA, REPORT = (
    Contribution.Kind.QUESTION,
    Contribution.Kind.REQUEST,
    Contribution.Kind.IDEA,
    Contribution.Kind.REPORT,
)
Status = Contribution.Status

CONTRIBUTIONS = [
    Spec(
        author="citoyen1",
        kind=REPORT,
        category="éclairage",
        title="Lampadaire éteint devant l'école Jean-Moulin",
        body=(
            "Le lampadaire à l'angle de la rue de Strasbourg et de l'école est éteint depuis "
            "trois semaines. Le matin, les enfants traversent dans le noir."
        ),
        place="Rue de Strasbourg",
        days_ago=11,
        supporters=("citoyen2", "citoyen3", "citoyen4", "citoyen5"),
        service="Éclairage public",
        status=Status.DONE,
        answer=(
            "Le lampadaire a été réparé : l'ampoule et le câble d'alimentation ont été "
            "remplacés. Merci pour votre signalement."
        ),
        quick_win_days=-6,
    ),
    Spec(
        author="citoyen1",
        kind=IDEA,
        category="espaces verts",
        title="Des bancs et de l'ombre dans le square Robert-Schuman",
        body=(
            "Le square est très fréquenté par les familles et les personnes âgées, mais il n'y "
            "a que deux bancs et aucun arbre côté jeux. Quelques bancs et des arbres feraient "
            "du bien l'été."
        ),
        place="Square Robert-Schuman",
        days_ago=9,
        supporters=("citoyen3", "citoyen5"),
        comments=(("citoyen3", "Oui, et une fontaine à eau serait bienvenue aussi."),),
    ),
    Spec(
        author="citoyen1",
        kind=QUESTION,
        category="transports",
        title="La ligne 4 passera-t-elle plus souvent le samedi ?",
        body=(
            "Le samedi, le bus 4 ne passe que toutes les 30 minutes. Est-il prévu d'augmenter "
            "la fréquence, au moins l'après-midi ?"
        ),
        days_ago=4,
        supporters=("citoyen4",),
    ),
    Spec(
        author="citoyen2",
        kind=REQUEST,
        category="voirie",
        title="Passage piéton dangereux avenue de l'Europe",
        body=(
            "Au niveau de la boulangerie, les voitures roulent vite et ne s'arrêtent pas au "
            "passage piéton. Un plateau ralentisseur ou un feu serait nécessaire."
        ),
        place="Avenue de l'Europe",
        days_ago=10,
        supporters=("citoyen1", "citoyen3", "citoyen4"),
        comments=(
            ("citoyen4", "Ma fille a failli se faire renverser la semaine dernière."),
            ("citoyen1", "Même constat le soir, l'éclairage du passage est faible."),
        ),
        service="Direction de la voirie",
        status=Status.IN_PROGRESS,
        answer=(
            "Des comptages de vitesse sont en cours. Un aménagement (plateau ou coussins "
            "berlinois) sera présenté aux élus lors de la visite du 12 décembre."
        ),
    ),
    Spec(
        author="citoyen2",
        kind=IDEA,
        category="commerces",
        title="Ouvrir le local vide de la place de l'Europe à une boulangerie",
        body=(
            "Depuis la fermeture de la boulangerie l'an dernier, il faut aller jusqu'au centre "
            "commercial. Le local est toujours vide : pourquoi ne pas aider un artisan à s'y "
            "installer ?"
        ),
        place="Place de l'Europe",
        days_ago=8,
        supporters=("citoyen1", "citoyen3", "citoyen5"),
        discuss=True,
    ),
    Spec(
        author="citoyen2",
        kind=REPORT,
        category="propreté",
        title="Dépôts sauvages derrière le bâtiment C",
        body=(
            "Des encombrants (matelas, meubles) s'accumulent derrière le bâtiment C depuis "
            "deux semaines, près des conteneurs."
        ),
        place="Allée de Bruxelles",
        days_ago=6,
        supporters=("citoyen5",),
        service="Propreté urbaine",
        quick_win_days=-2,
    ),
    Spec(
        author="citoyen3",
        kind=REQUEST,
        category="sécurité",
        title="Rodéos de scooters le soir sur le parking du gymnase",
        body=(
            "Presque tous les soirs après 21 h, des scooters font des rodéos sur le parking du "
            "gymnase. C'est bruyant et dangereux pour les piétons."
        ),
        place="Parking du gymnase Léo-Lagrange",
        days_ago=7,
        supporters=("citoyen2", "citoyen4"),
        reported_by=(("citoyen5", "Le message vise des jeunes du quartier, à vérifier."),),
    ),
    Spec(
        author="citoyen3",
        kind=QUESTION,
        category="commerces",
        title="Que va devenir le marché du jeudi ?",
        body=(
            "Le marché du jeudi matin perd des commerçants chaque mois. La ville a-t-elle un "
            "projet pour le relancer ?"
        ),
        place="Place de l'Europe",
        days_ago=5,
        supporters=("citoyen1",),
    ),
    Spec(
        author="citoyen3",
        kind=IDEA,
        category="autre",
        title="Une boîte à livres devant la médiathèque",
        body="Une boîte à livres permettrait d'échanger des livres même quand la médiathèque "
        "est fermée.",
        place="Médiathèque",
        days_ago=3,
        supporters=("citoyen2",),
    ),
    Spec(
        author="citoyen4",
        kind=REPORT,
        category="voirie",
        title="Nids-de-poule rue de Luxembourg",
        body=(
            "La chaussée de la rue de Luxembourg est très abîmée entre le n° 2 et le carrefour, "
            "plusieurs trous profonds après les pluies."
        ),
        place="Rue de Luxembourg",
        days_ago=6,
        supporters=("citoyen1", "citoyen2"),
    ),
    Spec(
        author="citoyen4",
        kind=REQUEST,
        category="transports",
        title="Un abri à l'arrêt de bus Europe-Gare",
        body=(
            "L'arrêt Europe-Gare n'a pas d'abri : on attend sous la pluie, et il n'y a pas de "
            "banc pour les personnes âgées."
        ),
        place="Arrêt Europe-Gare",
        days_ago=4,
        supporters=("citoyen3", "citoyen5"),
        reported_by=(("citoyen2", "Doublon possible avec une demande de l'an dernier."),),
    ),
    Spec(
        author="citoyen4",
        kind=IDEA,
        category="espaces verts",
        title="Vends trottinette électrique, très bon état",
        body="Vends trottinette électrique, 150 €, contactez-moi par message.",
        days_ago=2,
        reported_by=(("citoyen1", "Petite annonce, hors sujet."),),
        hidden=HiddenReason.OFF_TOPIC,
    ),
    Spec(
        author="citoyen5",
        kind=REPORT,
        category="éclairage",
        title="Éclairage du passage souterrain de la gare",
        body=(
            "La moitié des néons du passage souterrain ne fonctionnent plus. On ne s'y sent pas "
            "en sécurité le soir."
        ),
        place="Passage souterrain de la gare",
        days_ago=5,
        supporters=("citoyen1", "citoyen2", "citoyen3"),
    ),
    Spec(
        author="citoyen5",
        kind=QUESTION,
        category="propreté",
        title="Pourquoi les poubelles ne sont-elles plus vidées le lundi ?",
        body=(
            "Depuis octobre, la collecte du lundi semble supprimée dans le quartier et les "
            "poubelles débordent le week-end."
        ),
        days_ago=2,
        supporters=("citoyen2",),
    ),
    Spec(
        author="citoyen5",
        kind=IDEA,
        category="sécurité",
        title="Des ateliers de prévention routière avec les écoles",
        body=(
            "Organiser avec les écoles du quartier des ateliers de prévention routière, à pied "
            "et à vélo, au printemps."
        ),
        days_ago=1,
        supporters=("citoyen1",),
    ),
]

ROUTE = {
    Status.RECEIVED: (),
    Status.IN_PROGRESS: (Status.IN_PROGRESS,),
    Status.DONE: (Status.IN_PROGRESS, Status.DONE),
}


@dataclass
class ConsultationsResult:
    title: str = TITLE
    created: bool = False
    contributions: int = 0
    contributions_created: int = 0
    reported: int = 0  # contributions whose reports wait in the moderation queue
    hidden: int = 0
    answered: int = 0
    discussed: int = 0
    officials: list[str] = field(default_factory=list)


def visit_date(today: date) -> date:
    """The coming 12 December (next year's once this year's is too close or past)."""
    this_year = date(today.year, VISIT_MONTH, VISIT_DAY)
    return (
        this_year
        if today <= this_year - timedelta(days=2)
        else this_year.replace(year=today.year + 1)
    )


def _dates(now: datetime) -> tuple[datetime, datetime, date]:
    visit = visit_date(timezone.localdate(now))
    closes_at = timezone.make_aware(datetime.combine(visit - timedelta(days=1), time(20, 0)))
    return now - timedelta(days=OPENED_DAYS_AGO), closes_at, visit


@transaction.atomic
def load_demo() -> ConsultationsResult:
    """Create or refresh the demo consultation (the demo people must exist)."""
    now = timezone.now()
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    creator = people[CREATOR]
    service_by_name = _services(creator)
    consultation, created = _consultation(creator, people, service_by_name, now)
    result = ConsultationsResult(created=created)
    categories = {c.name: c for c in consultation.categories.all()}
    contributions = []
    for spec in CONTRIBUTIONS:
        contribution, new = _contribution(consultation, categories, people, spec, now)
        contributions.append(contribution)
        result.contributions_created += new
    for contribution, spec in zip(contributions, CONTRIBUTIONS, strict=True):
        _supports_and_comments(contribution, spec, people)
        _reports_and_moderation(contribution, spec, people, creator)
        _follow_up(contribution, spec, creator, service_by_name, now)
    consultation.refresh_from_db()
    everything = consultation.contributions.all()
    result.contributions = everything.count()
    result.reported = (
        Report.objects.filter(contribution__consultation=consultation, resolved=False)
        .values("contribution")
        .distinct()
        .count()
    )
    result.hidden = everything.filter(moderation_state=ModerationState.HIDDEN).count()
    result.answered = everything.filter(answers__isnull=False).distinct().count()
    result.discussed = everything.filter(internal_post__isnull=False).count()
    result.officials = [u.display_name for u in consultation.officials.order_by("display_name")]
    return result


def _services(actor: User) -> dict[str, Service]:
    found = {s.name: s for s in Service.objects.filter(name__in=SERVICES)}
    for name, email in SERVICES.items():
        if name not in found:
            found[name] = services.create_service(actor=actor, name=name, email=email)
    return found


def _consultation(
    creator: User, people: dict[str, User], service_by_name: dict[str, Service], now: datetime
) -> tuple[Consultation, bool]:
    opens_at, closes_at, visit = _dates(now)
    fields = {
        "title": TITLE,
        "neighbourhoods": "Europe",
        "theme": "Cadre de vie, déplacements et commerces de proximité",
        "description": DESCRIPTION,
        "visit_date": visit,
        "moderation": Consultation.Moderation.A_POSTERIORI,
        "officials": [people[h] for h in OFFICIALS],
        "moderators": [people[h] for h in MODERATORS],
        "services": list(service_by_name.values()),
    }
    consultation = Consultation.objects.filter(title=TITLE).order_by("pk").first()
    if consultation is None:
        consultation = services.create_consultation(
            actor=creator, opens_at=opens_at, closes_at=closes_at, **fields
        )
        return consultation, True
    # Keep it open with its visit ahead, however long ago the demo was loaded.
    consultation = services.update_consultation(
        actor=creator,
        consultation=consultation,
        opens_at=opens_at,
        closes_at=closes_at,
        **fields,
    )
    return consultation, False


def _contribution(
    consultation: Consultation,
    categories: dict,
    people: dict[str, User],
    spec: Spec,
    now: datetime,
) -> tuple[Contribution, bool]:
    contribution = (
        Contribution.objects.filter(consultation=consultation, title=spec.title)
        .order_by("pk")
        .first()
    )
    created = contribution is None
    if created:
        contribution = services.create_contribution(
            author=people[spec.author],
            consultation=consultation,
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            category=categories[spec.category],
            place=spec.place,
        )
    # Spread over the days the consultation has been open (also keeps rate limits quiet).
    when = now - timedelta(days=spec.days_ago)
    Contribution.objects.filter(pk=contribution.pk).update(created_at=when, updated_at=when)
    contribution.refresh_from_db()
    return contribution, created


def _supports_and_comments(contribution: Contribution, spec: Spec, people: dict[str, User]):
    if not contribution.is_published:
        return
    supported = set(
        Support.objects.filter(contribution=contribution).values_list("user_id", flat=True)
    )
    for handle in spec.supporters:
        if people[handle].pk not in supported:
            services.support(actor=people[handle], contribution=contribution)
    for handle, body in spec.comments:
        author = people[handle]
        if not ConsultationComment.objects.filter(
            contribution=contribution, author=author, body=body
        ).exists():
            services.add_comment(author=author, contribution=contribution, body=body)


def _reports_and_moderation(
    contribution: Contribution, spec: Spec, people: dict[str, User], moderator: User
) -> None:
    for handle, reason in spec.reported_by:
        reporter = people[handle]
        if not Report.objects.filter(contribution=contribution, reporter=reporter).exists():
            services.report_contribution(
                reporter=reporter, contribution=contribution, reason=reason
            )
    # Hidden once; a moderator who restores it while trying the demo is not overruled.
    if spec.hidden and not contribution.decisions.exists():
        services.moderate_contribution(
            moderator=moderator, contribution=contribution, action="hide", reason=spec.hidden
        )


def _follow_up(
    contribution: Contribution,
    spec: Spec,
    actor: User,
    service_by_name: dict[str, Service],
    now: datetime,
) -> None:
    if spec.service and contribution.service_id is None:
        services.route_contribution(
            actor=actor, contribution=contribution, service=service_by_name[spec.service]
        )
    if spec.status:
        steps = ROUTE[spec.status]
        # Only forward from where it stands (someone trying the demo may have moved it on).
        if contribution.status == Status.RECEIVED or contribution.status in steps:
            done = steps.index(contribution.status) + 1 if contribution.status in steps else 0
            for status in steps[done:]:
                services.change_status(actor=actor, contribution=contribution, status=status)
    if spec.quick_win_days is not None:
        services.flag_quick_win(
            actor=actor,
            contribution=contribution,
            target_date=timezone.localdate(now) + timedelta(days=spec.quick_win_days),
        )
    if spec.answer and not contribution.answers.exists():
        answer = services.answer_contribution(
            author=actor, contribution=contribution, text=spec.answer
        )
        OfficialAnswer.objects.filter(pk=answer.pk).update(
            created_at=now - timedelta(days=max(spec.days_ago - 3, 0.5))
        )
    if spec.discuss and contribution.internal_post_id is None:
        group = Group.objects.filter(slug=DISCUSSION_GROUP).first()
        if group is not None:  # social.demo loaded
            services.discuss_internally(actor=actor, contribution=contribution, group=group)
