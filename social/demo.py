"""The demo agency's groups and three weeks of conversation: idempotent, like accounts.demo.

Groups are keyed on their slug, posts on (group, author, body), comments on (post, author,
body); reactions, votes, follows and bookmarks go through services that never duplicate them.
A second load finds everything and only moves the dates back to "the last three weeks", so a
demo loaded long ago looks fresh again. Writes go through groups.services and social.services,
so mentions are checked (only people who can read the post) and Markdown is rendered as usual.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from groups import policy as group_policy
from groups import services as group_services
from groups.models import Group, Membership
from social import services
from social.models import Comment, Follow, PollOption, Post, PostRevision, Reaction, Topic

OWNER, MANAGER, MEMBER = Membership.Role.OWNER, Membership.Role.MANAGER, Membership.Role.MEMBER
FOIRE, ROYEUX, GARAGE, DIRECTION = (
    "foire-de-hanovre-2026",
    "zone-dactivite-du-royeux",
    "le-garage-incubateur",
    "direction",
)
# The partner's access to the incubator ends by itself (a yearly agreement).
PARTNER_ACCESS = timedelta(days=180)
GROUP_AGE = timedelta(days=35)


@dataclass(frozen=True)
class GroupSpec:
    slug: str
    name: str
    description: str
    visibility: str
    members: tuple[tuple[str, str], ...]  # (handle, role); the first one creates the group
    open_to_external: bool = False
    charter: str = ""


@dataclass(frozen=True)
class CommentSpec:
    author: str
    body: str
    minutes_after: int
    likes: tuple[str, ...] = ()
    best_answer: bool = False


@dataclass(frozen=True)
class PostSpec:
    group: str | None  # None: a post on the author's profile
    author: str
    days_ago: int
    time: str  # "HH:MM", Paris time
    body: str
    kind: str = Post.Kind.PLAIN
    key: str = ""  # to share it later
    share_of: str = ""
    first_version: str = ""  # the post was edited: its history keeps this version
    pinned_days: int = 0  # announcements: pinned for this many days from now
    poll_options: tuple[str, ...] = ()
    votes: tuple[tuple[str, int], ...] = ()
    likes: tuple[str, ...] = ()
    reactions: tuple[tuple[str, str], ...] = ()
    bookmarked_by: tuple[str, ...] = ()
    comments: tuple[CommentSpec, ...] = ()


@dataclass
class GroupResult:
    group: Group
    created: bool
    members: int = 0
    posts: int = 0


@dataclass
class DemoResult:
    groups: list[GroupResult] = field(default_factory=list)
    posts_created: int = 0
    posts: int = 0


GROUPS = [
    GroupSpec(
        slug=FOIRE,
        name="Foire de Hanovre 2026",
        description=(
            "La délégation de l'agence et des entreprises du territoire à la Foire de Hanovre : "
            "stand régional, rendez-vous d'affaires, puis suivi des prospects rencontrés."
        ),
        visibility=Group.Visibility.PUBLIC,
        members=(
            ("agent4", OWNER),
            ("agent5", MANAGER),
            ("agent1", MEMBER),
            ("agent2", MEMBER),
        ),
    ),
    GroupSpec(
        slug=ROYEUX,
        name="Zone d'activité du Royeux",
        description=(
            "Extension de la zone d'activité du Royeux : commercialisation des lots, accueil des "
            "porteurs de projet, concertation avec les riverains et suivi des travaux."
        ),
        visibility=Group.Visibility.PRIVATE,
        members=(
            ("agent2", OWNER),
            ("agent1", MANAGER),
            ("agent6", MEMBER),
            ("elu1", MEMBER),
        ),
    ),
    GroupSpec(
        slug=GARAGE,
        name="Le Garage — incubateur",
        description=(
            "L'incubateur de l'agence : les start-up accompagnées, l'équipe de l'incubateur et "
            "nos partenaires. Entraide, financements, recrutements et demo days."
        ),
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        charter=(
            "Ce groupe réunit l'équipe de l'incubateur, les start-up accompagnées et nos "
            "partenaires.\n\n"
            "- Ce qui se dit ici reste ici : pas de capture ni de transfert sans l'accord de "
            "l'auteur.\n"
            "- On s'entraide et on reste bienveillant, y compris dans les désaccords.\n"
            "- Pas de démarchage commercial entre membres sans y avoir été invité.\n"
            "- Un souci ? Écrivez à l'équipe de l'incubateur."
        ),
        members=(
            ("agent3", OWNER),
            ("startup1", MEMBER),
            ("startup2", MEMBER),
            ("startup3", MEMBER),
            ("startup4", MEMBER),
            ("startup5", MEMBER),
            ("startup6", MEMBER),
            ("partenaire1", MEMBER),
        ),
    ),
    GroupSpec(
        slug=DIRECTION,
        name="Direction",
        description="L'équipe de direction : budget, arbitrages et recrutements.",
        visibility=Group.Visibility.UNLISTED,
        members=(("agent1", OWNER), ("agent2", MEMBER)),
    ),
]

# Someone waiting for a manager of a private group to decide (the « Demandes » tab).
JOIN_REQUESTS = [
    (
        ROYEUX,
        "agent4",
        "Je suis le contact de l'équipementier allemand rencontré à Hanovre : je voudrais "
        "suivre le dossier du Royeux avec vous.",
    )
]

POSTS = [
    # --- Foire de Hanovre 2026 (public) ---------------------------------------------------
    PostSpec(
        group=FOIRE,
        author="agent4",
        days_ago=20,
        time="09:12",
        body=(
            "**Bilan de la Foire de Hanovre** : quatre jours sur le stand régional, 63 contacts "
            "qualifiés, dont 11 projets d'implantation à suivre.\n\n"
            "Merci à @agent2 et @agent5 pour la tenue du stand ! Le tableau de suivi des "
            "prospects est dans l'onglet Fichiers. #implantation"
        ),
        likes=("agent1", "agent2", "agent5", "elu1"),
        reactions=(("agent1", "party"),),
        bookmarked_by=("agent1",),
        comments=(
            CommentSpec(
                "agent1",
                "Très beau résultat, bravo à toute l'équipe. On en parle au prochain comité de "
                "direction.",
                45,
                likes=("agent4",),
            ),
            CommentSpec(
                "agent2",
                "Trois prospects veulent visiter le territoire avant la fin de l'année, je m'en "
                "occupe.",
                130,
                likes=("agent4", "agent1"),
            ),
            CommentSpec(
                "elu1",
                "Merci à l'équipe pour ce travail de suivi. Je présenterai le bilan de la "
                "délégation en commission développement économique. @agent4, pouvez-vous me "
                "préparer une synthèse d'une page ?",
                14 * 24 * 60 + 560,
                likes=("agent4", "agent1"),
            ),
            CommentSpec("agent4", "Bien sûr, je vous l'envoie d'ici vendredi.", 14 * 24 * 60 + 600),
        ),
    ),
    PostSpec(
        group=FOIRE,
        author="agent2",
        days_ago=17,
        time="14:30",
        key="equipementier",
        body=(
            "Compte rendu de l'appel avec l'équipementier automobile allemand rencontré sur le "
            "salon : ils cherchent **8 000 m²** de bâtiment industriel avec une réserve foncière, "
            "et 40 emplois à terme. Le Royeux coche toutes les cases. Visite à caler avec "
            "@agent1. #implantation #emploi"
        ),
        likes=("agent1", "agent4"),
        comments=(
            CommentSpec("agent1", "Je bloque une demi-journée, propose-moi deux dates.", 25),
        ),
    ),
    PostSpec(
        group=FOIRE,
        author="agent5",
        days_ago=14,
        time="11:05",
        kind=Post.Kind.QUESTION,
        body=(
            "Pour la prochaine lettre d'information, quelqu'un a des photos du stand en bonne "
            "définition ? Celles de mon téléphone sont floues."
        ),
        comments=(
            CommentSpec(
                "agent4",
                "Le photographe de la Région doit nous envoyer sa sélection, je relance.",
                20,
            ),
        ),
    ),
    PostSpec(
        group=FOIRE,
        author="agent4",
        days_ago=10,
        time="16:40",
        body=(
            "Les inscriptions pour la prochaine édition sont ouvertes : la Région prend en "
            "charge jusqu'à 50 % du coût du stand pour les PME. Je prépare la liste des "
            "entreprises à relancer, vos suggestions sont bienvenues en commentaire."
        ),
        likes=("agent5",),
        comments=(
            CommentSpec(
                "agent2",
                "Ajoute les deux sous-traitants automobiles du Royeux, ils étaient intéressés.",
                60,
                likes=("agent4",),
            ),
        ),
    ),
    PostSpec(
        group=FOIRE,
        author="agent2",
        days_ago=2,
        time="10:15",
        body=(
            "L'équipementier allemand confirme sa visite du site, avec leur directeur "
            "industriel. #implantation"
        ),
        likes=("agent4", "agent5", "agent1", "elu1"),
        reactions=(("agent4", "party"), ("agent5", "thumbs_up")),
    ),
    # --- Zone d'activité du Royeux (private) ----------------------------------------------
    PostSpec(
        group=ROYEUX,
        author="agent2",
        days_ago=19,
        time="08:50",
        body=(
            "Point d'étape de la commercialisation :\n\n"
            "- 7 lots sur 15 réservés ;\n"
            "- 2 compromis signés ;\n"
            "- le lot 9 intéresse un transporteur, mais il faudrait revoir l'accès des poids "
            "lourds.\n\n#implantation"
        ),
        likes=("agent1", "elu1"),
    ),
    PostSpec(
        group=ROYEUX,
        author="agent2",
        days_ago=16,
        time="17:45",
        share_of="equipementier",
        body=(
            "Ce prospect serait parfait pour les lots 11 et 12. @elu1, pouvez-vous en parler au "
            "maire ?"
        ),
        likes=("agent1",),
        comments=(
            CommentSpec("elu1", "C'est fait, il est très favorable.", 180, likes=("agent2",)),
        ),
    ),
    PostSpec(
        group=ROYEUX,
        author="agent6",
        days_ago=12,
        time="21:10",
        body=(
            "Réunion publique avec les riverains du Royeux : une cinquantaine de personnes. Les "
            "inquiétudes portent surtout sur le passage des camions route de la Vallée.\n\n"
            "Proposition : un comité de suivi trimestriel avec les habitants."
        ),
        likes=("elu1", "agent2"),
        comments=(
            CommentSpec("elu1", "D'accord pour le comité de suivi, je le présiderai.", 50),
            CommentSpec(
                "agent2",
                "Le bureau d'études rend son étude de trafic d'ici trois semaines.",
                720,
                likes=("agent6",),
            ),
        ),
    ),
    PostSpec(
        group=ROYEUX,
        author="elu1",
        days_ago=8,
        time="19:30",
        body=(
            "Le conseil communautaire a voté l'enveloppe pour la viabilisation de la deuxième "
            "tranche : les travaux commencent au printemps. 150 emplois attendus à terme sur la "
            "zone. #emploi"
        ),
        likes=("agent1", "agent2", "agent6"),
        reactions=(("agent2", "party"),),
    ),
    PostSpec(
        group=ROYEUX,
        author="agent2",
        days_ago=4,
        time="09:40",
        kind=Post.Kind.QUESTION,
        body=(
            "Quelqu'un sait si la fibre sera tirée jusqu'aux lots de la deuxième tranche dès la "
            "viabilisation ? Le transporteur en fait une condition."
        ),
        bookmarked_by=("agent1",),
        comments=(
            CommentSpec(
                "agent6",
                "Le syndicat mixte du numérique prévoit le raccordement avec les réseaux, à "
                "confirmer par écrit.",
                40,
            ),
            CommentSpec(
                "agent1",
                "Confirmé hier avec leur directeur : c'est inscrit au marché de travaux, "
                "raccordement en même temps que l'eau et l'électricité.",
                1500,
                likes=("agent2", "agent6"),
                best_answer=True,
            ),
        ),
    ),
    PostSpec(
        group=ROYEUX,
        author="agent1",
        days_ago=1,
        time="12:20",
        body=(
            "Visite du site avec l'équipementier allemand confirmée. @agent2 prépare le dossier "
            "foncier, @agent6 le volet concertation. #implantation"
        ),
        likes=("agent2", "agent6", "elu1"),
    ),
    # --- Le Garage — incubateur (open to external members) --------------------------------
    PostSpec(
        group=GARAGE,
        author="agent3",
        days_ago=21,
        time="09:00",
        kind=Post.Kind.ANNOUNCEMENT,
        pinned_days=12,
        body=(
            "**Permanences de l'incubateur** : tous les mardis de 9 h à 12 h, rendez-vous "
            "individuels avec moi ou avec @partenaire1 (CCI) pour vos questions de financement, "
            "d'export et de recrutement. Réservez votre créneau en commentaire."
        ),
        likes=("startup1", "startup3", "startup5"),
        comments=(
            CommentSpec("startup5", "Je prends mardi prochain à 10 h, merci !", 90),
            CommentSpec("startup4", "Pour nous ce sera 11 h, si le créneau est libre.", 240),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="startup1",
        days_ago=20,
        time="15:25",
        body=(
            "Bonne nouvelle chez Ferment & Co : notre dossier d'aide à l'innovation est "
            "accepté ! Merci @agent3 pour la relecture du budget prévisionnel 🙏"
        ),
        likes=("agent3", "startup2", "startup3", "startup5", "partenaire1"),
        reactions=(("startup3", "party"), ("startup6", "party"), ("agent3", "heart")),
        comments=(
            CommentSpec("startup3", "Bravo à vous deux !", 12, likes=("startup1",)),
            CommentSpec("agent3", "Mérité, le dossier était solide.", 50, likes=("startup1",)),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="startup3",
        days_ago=16,
        time="10:05",
        kind=Post.Kind.QUESTION,
        body=(
            "Question aux autres start-up : quel hébergeur #cloud avez-vous choisi ? On cherche "
            "un hébergement souverain pour les données de recharge de nos bornes, avec une "
            "facturation raisonnable au démarrage."
        ),
        likes=("startup4",),
        reactions=(("startup6", "eyes"),),
        comments=(
            CommentSpec(
                "startup6",
                "Pour démarrer, un hébergeur français avec des serveurs en France suffit souvent ; "
                "la qualification SecNumCloud ne devient utile qu'avec des clients publics. Je "
                "peux te montrer notre configuration, @startup3.",
                35,
                likes=("startup3", "startup4", "agent3"),
                best_answer=True,
            ),
            CommentSpec(
                "startup1",
                "Nous sommes sur une offre mutualisée, ça suffit largement pour la boutique en "
                "ligne.",
                80,
            ),
            CommentSpec(
                "partenaire1",
                "La CCI organise un atelier cloud et cybersécurité le mois prochain, je vous mets "
                "le lien dès qu'il est en ligne.",
                300,
                likes=("startup3",),
            ),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="agent3",
        days_ago=13,
        time="11:30",
        kind=Post.Kind.POLL,
        body=(
            "Date du prochain **demo day** : les investisseurs du réseau régional sont "
            "disponibles à ces trois dates. Votez avant vendredi !"
        ),
        # Labels computed from today: see _demo_day_options.
        votes=(
            ("startup1", 0),
            ("startup3", 1),
            ("startup5", 0),
            ("partenaire1", 0),
            ("startup2", 2),
        ),
        likes=("startup5",),
    ),
    PostSpec(
        group=GARAGE,
        author="startup5",
        days_ago=11,
        time="14:50",
        body=(
            "Atelier Numérik recrute un·e alternant·e développeur·se web. Si vous connaissez "
            "quelqu'un, faites passer ! #emploi"
        ),
        likes=("startup6", "agent3"),
        comments=(
            CommentSpec(
                "partenaire1",
                "Je transmets au service apprentissage de la CCI.",
                70,
                likes=("startup5",),
            ),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="startup4",
        days_ago=9,
        time="08:35",
        first_version=(
            "Nos premières bornes de recharge sont installées sur le parking de la gare 🎉 "
            "Merci à @agent3 pour la mise en relation avec la mairie."
        ),
        body=(
            "Nos premières bornes de recharge sont installées sur le parking de la gare 🎉 "
            "Merci à @agent3 pour la mise en relation avec la mairie.\n\n"
            "Les données d'utilisation sont hébergées en France, merci pour vos conseils #cloud."
        ),
        likes=("startup3", "agent3", "startup6", "partenaire1"),
        reactions=(("agent3", "party"),),
    ),
    PostSpec(
        group=GARAGE,
        author="partenaire1",
        days_ago=7,
        time="13:15",
        body=(
            "La CCI lance un prêt d'honneur pour les jeunes entreprises innovantes : jusqu'à "
            "30 000 €, sans garantie personnelle. @startup1 @startup3 @startup5, ça peut vous "
            "intéresser."
        ),
        likes=("startup1", "startup3"),
        bookmarked_by=("startup3",),
        comments=(
            CommentSpec(
                "startup3", "Merci Anne, on prend rendez-vous à la prochaine permanence.", 45
            ),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="startup2",
        days_ago=5,
        time="17:05",
        body=(
            "Retour d'expérience : en passant en deux équipes, on a doublé notre capacité de "
            "production. Du coup, on recrute deux opérateurs de production. #emploi"
        ),
        likes=("startup1", "agent3"),
    ),
    PostSpec(
        group=GARAGE,
        author="agent3",
        days_ago=3,
        time="09:25",
        body=(
            "Rappel : les pitchs du demo day durent 5 minutes, questions comprises. @startup6, "
            "tu peux partager ton modèle de présentation ? Il a beaucoup plu la dernière fois."
        ),
        comments=(
            CommentSpec(
                "startup6",
                "Il est dans l'onglet Fichiers du groupe, servez-vous !",
                30,
                likes=("agent3", "startup5"),
            ),
        ),
    ),
    PostSpec(
        group=GARAGE,
        author="startup1",
        days_ago=0,
        time="08:10",
        body=(
            "Qui passe à nos portes ouvertes samedi ? Dégustation et visite de l'atelier de "
            "fermentation, à partir de 10 h."
        ),
        likes=("startup2",),
    ),
    # --- Direction (unlisted) -------------------------------------------------------------
    PostSpec(
        group=DIRECTION,
        author="agent1",
        days_ago=18,
        time="07:55",
        body=(
            "Préparation du budget : je propose de maintenir l'enveloppe salons et de renforcer "
            "l'incubateur d'un poste de chargé d'accompagnement. @agent2, peux-tu chiffrer le "
            "besoin pour le foncier ?"
        ),
        comments=(
            CommentSpec(
                "agent2",
                "Estimation d'ici lundi : environ 120 k€ d'études pour la deuxième tranche.",
                95,
            ),
        ),
    ),
    PostSpec(
        group=DIRECTION,
        author="agent2",
        days_ago=6,
        time="16:00",
        body=(
            "Recrutement du chargé d'accompagnement de l'incubateur : 23 candidatures, cinq "
            "entretiens la semaine prochaine. #emploi"
        ),
        likes=("agent1",),
    ),
    # --- Profile posts (staff and elected read them) --------------------------------------
    PostSpec(
        group=None,
        author="agent5",
        days_ago=9,
        time="17:30",
        body=(
            "Le forum de l'emploi de l'agglomération a réuni 800 visiteurs et 60 entreprises. "
            "Merci à toutes les équipes ! #emploi"
        ),
        likes=("agent1", "elu2", "agent6"),
    ),
]

# (follower, kind of target, target): besides the groups members follow automatically.
FOLLOWS = [
    ("agent1", "topic", "emploi"),
    ("agent2", "topic", "implantation"),
    ("elu1", "group", FOIRE),
    ("elu1", "topic", "implantation"),
    ("elu2", "topic", "emploi"),
    ("elu2", "topic", "implantation"),
    ("agent6", "user", "agent2"),
    ("agent3", "user", "agent5"),
]

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@transaction.atomic
def load_demo() -> DemoResult:
    """Create or refresh the demo groups and conversations (the demo people must exist)."""
    now = timezone.now()
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    result = DemoResult()
    groups = {}
    for spec in GROUPS:
        group, created = _group(spec, people, now)
        groups[spec.slug] = group
        result.groups.append(GroupResult(group, created, members=len(spec.members)))
    for slug, handle, message in JOIN_REQUESTS:
        user, group = people[handle], groups[slug]
        if group_policy.membership_of(user, group) is None:
            group_services.join_group(actor=user, group=group, message=message)
    posts: dict[str, Post] = {}
    for spec in POSTS:
        post, created = _post(spec, people, groups, posts, now)
        result.posts += 1
        result.posts_created += created
        if spec.key:
            posts[spec.key] = post
    for group_result in result.groups:
        group_result.posts = sum(1 for p in POSTS if p.group == group_result.group.slug)
    for handle, kind, target in FOLLOWS:
        _follow(people[handle], kind, target, people, groups)
    return result


def _group(spec: GroupSpec, people: dict[str, User], now: datetime) -> tuple[Group, bool]:
    fields = {
        "name": spec.name,
        "description": spec.description,
        "visibility": spec.visibility,
        "open_to_external": spec.open_to_external,
        "charter": spec.charter,
    }
    group = Group.objects.filter(slug=spec.slug).first()
    created = group is None
    if created:
        creator = people[spec.members[0][0]]
        group = group_services.create_group(actor=creator, data=fields)
        if group.slug != spec.slug:
            group.slug = spec.slug
            group.save(update_fields=["slug"])
    else:
        for name, value in fields.items():
            setattr(group, name, value)
        group.save()
    Group.objects.filter(pk=group.pk).update(created_at=now - GROUP_AGE)
    for handle, role in spec.members:
        user = people[handle]
        ends = now + PARTNER_ACCESS if handle.startswith("partenaire") else None
        _member(group, user, role, ends, joined_at=now - GROUP_AGE)
    return group, created


def _member(group: Group, user: User, role: str, ends: datetime | None, joined_at: datetime):
    """The effect of an accepted invitation (the demo has no mailbox to click the link in)."""
    if not group_policy.may_belong_to(user, group):
        raise ValueError(f"{user.handle} cannot belong to {group.slug}")
    membership, _created = Membership.objects.update_or_create(
        group=group, user=user, defaults={"role": role, "expires_at": ends, "joined_at": joined_at}
    )
    if user.is_external and group.charter and membership.charter_accepted_at is None:
        membership.charter_accepted_at = joined_at
        membership.save(update_fields=["charter_accepted_at"])
    Follow.objects.get_or_create(follower=user, group=group)  # members follow their groups


def _moment(now: datetime, days_ago: int, time: str) -> datetime:
    hour, minute = (int(part) for part in time.split(":"))
    local = timezone.localtime(now) - timedelta(days=days_ago)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return min(moment, now - timedelta(minutes=30))  # today's posts are never in the future


def _post(
    spec: PostSpec,
    people: dict[str, User],
    groups: dict[str, Group],
    shared: dict[str, Post],
    now: datetime,
) -> tuple[Post, bool]:
    author, group = people[spec.author], groups.get(spec.group) if spec.group else None
    original = shared[spec.share_of] if spec.share_of else None
    post = (
        Post.objects.filter(
            group=group, author=author, body=spec.body, shared_from=original, deleted_at=None
        )
        .order_by("pk")
        .first()
    )
    created = post is None
    options = _demo_day_options(now) if spec.kind == Post.Kind.POLL else None
    if created:
        if original is not None:
            post = services.share_post(actor=author, post=original, group=group, body=spec.body)
        else:
            post = services.create_post(
                author=author,
                group=group,
                body=spec.first_version or spec.body,
                kind=spec.kind,
                poll_options=options,
                pinned_until=now + timedelta(days=spec.pinned_days) if spec.pinned_days else None,
            )
            if spec.first_version:
                post = services.edit_post(actor=author, post=post, body=spec.body)
    when = _moment(now, spec.days_ago, spec.time)
    edited = when + timedelta(hours=2) if spec.first_version else None
    updates = {"created_at": when, "edited_at": min(edited, now) if edited else None}
    if spec.pinned_days:
        updates["pinned_until"] = now + timedelta(days=spec.pinned_days)
    Post.objects.filter(pk=post.pk).update(**updates)
    if edited:
        PostRevision.objects.filter(post=post).update(created_at=updates["edited_at"])
    if options:
        for position, label in enumerate(options):
            PollOption.objects.filter(post=post, position=position).update(label=label)
    post.refresh_from_db()

    for handle in spec.likes:
        services.react(actor=people[handle], post=post, kind=Reaction.Kind.LIKE)
    for handle, kind in spec.reactions:
        services.react(actor=people[handle], post=post, kind=kind)
    for handle in spec.bookmarked_by:
        services.bookmark(actor=people[handle], post=post)
    option_ids = list(post.poll_options.order_by("position").values_list("pk", flat=True))
    for handle, index in spec.votes:
        services.vote(actor=people[handle], post=post, option_id=option_ids[index])
    for comment_spec in spec.comments:
        comment = _comment(comment_spec, post, people, min(when, now), now)
        if comment_spec.best_answer:
            services.choose_best_answer(actor=author, comment=comment)
    return post, created


def _comment(
    spec: CommentSpec, post: Post, people: dict[str, User], posted: datetime, now: datetime
) -> Comment:
    author = people[spec.author]
    comment = (
        Comment.objects.filter(post=post, author=author, body=spec.body, deleted_at=None)
        .order_by("pk")
        .first()
    )
    if comment is None:
        comment = services.add_comment(author=author, post=post, body=spec.body)
    when = min(posted + timedelta(minutes=spec.minutes_after), now - timedelta(minutes=1))
    Comment.objects.filter(pk=comment.pk).update(created_at=when)
    for handle in spec.likes:
        services.react(actor=people[handle], comment=comment, kind=Reaction.Kind.LIKE)
    return comment


def _follow(
    follower: User, kind: str, target: str, people: dict[str, User], groups: dict[str, Group]
) -> None:
    if kind == "topic":
        topic, _created = Topic.objects.get_or_create(name=target)
        services.follow(actor=follower, topic=topic)
    elif kind == "group":
        services.follow(actor=follower, group=groups[target])
    else:
        services.follow(actor=follower, user=people[target])


def _demo_day_options(now: datetime) -> list[str]:
    """Three Thursday afternoons, two to four weeks from now."""
    today = timezone.localtime(now).date()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 + 14)
    dates = [thursday + timedelta(weeks=n) for n in range(3)]
    return [f"Jeudi {d.day} {MONTHS[d.month - 1]}, 14 h" for d in dates]
