"""The demo agency's people: idempotent, so loading it twice gives the same data."""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Organisation, User

DEMO_DOMAIN = "demo.maillage.test"
DEMO_PASSWORD = "maillage-demo"  # noqa: S105 - published demo password, demo data only

AGENCY = ("Agence de développement économique", Organisation.Type.AGENCY)
ORGANISATIONS = [
    AGENCY,
    ("Ferment & Co", Organisation.Type.STARTUP),
    ("Solaris Mobilité", Organisation.Type.STARTUP),
    ("Atelier Numérik", Organisation.Type.STARTUP),
    ("CCI territoriale", Organisation.Type.PARTNER),
]

# (local part, kind, display name, organisation, job title, department, expertise)
PEOPLE = [
    (
        "agent1",
        "staff",
        "Claire Martin",
        AGENCY[0],
        "Directrice",
        "Direction",
        "stratégie, financement public",
    ),
    (
        "agent2",
        "staff",
        "Julien Bernard",
        AGENCY[0],
        "Chargé d'affaires",
        "Implantation",
        "foncier, zones d'activité",
    ),
    (
        "agent3",
        "staff",
        "Sophie Petit",
        AGENCY[0],
        "Responsable incubateur",
        "Incubateur",
        "création d'entreprise, levée de fonds",
    ),
    (
        "agent4",
        "staff",
        "Karim Haddad",
        AGENCY[0],
        "Chargé de mission salons",
        "Promotion",
        "salons professionnels, export",
    ),
    (
        "agent5",
        "staff",
        "Élodie Moreau",
        AGENCY[0],
        "Chargée de communication",
        "Communication",
        "réseaux sociaux, événementiel",
    ),
    (
        "agent6",
        "staff",
        "Thomas Lefèvre",
        AGENCY[0],
        "Chargé de mission quartiers",
        "Politique de la ville",
        "commerce de proximité, concertation",
    ),
    (
        "elu1",
        "elected",
        "Nadia Benali",
        None,
        "Vice-présidente au développement économique",
        "",
        "développement économique",
    ),
    (
        "elu2",
        "elected",
        "Pierre Garnier",
        None,
        "Conseiller délégué au commerce",
        "",
        "commerce, centre-ville",
    ),
    (
        "startup1",
        "external",
        "Léa Fontaine",
        "Ferment & Co",
        "Cofondatrice",
        "",
        "agroalimentaire, circuits courts",
    ),
    ("startup2", "external", "Hugo Roux", "Ferment & Co", "Cofondateur", "", "production"),
    (
        "startup3",
        "external",
        "Inès Dubois",
        "Solaris Mobilité",
        "Présidente",
        "",
        "mobilité électrique",
    ),
    (
        "startup4",
        "external",
        "Maxime Girard",
        "Solaris Mobilité",
        "Directeur technique",
        "",
        "batteries, recharge",
    ),
    (
        "startup5",
        "external",
        "Camille Lambert",
        "Atelier Numérik",
        "Fondatrice",
        "",
        "formation numérique",
    ),
    (
        "startup6",
        "external",
        "Yanis Mercier",
        "Atelier Numérik",
        "Développeur",
        "",
        "logiciel libre",
    ),
    (
        "partenaire1",
        "external",
        "Anne Rousseau",
        "CCI territoriale",
        "Conseillère entreprises",
        "",
        "accompagnement des entreprises",
    ),
    ("citoyen1", "citizen", "Marie L.", None, "", "", ""),
    ("citoyen2", "citizen", "Ahmed B.", None, "", "", ""),
    ("citoyen3", "citizen", "Jeanne T.", None, "", "", ""),
    ("citoyen4", "citizen", "Lucas P.", None, "", "", ""),
    ("citoyen5", "citizen", "Fatou D.", None, "", "", ""),
]


@transaction.atomic
def load_demo() -> dict[str, list[str]]:
    """Create or reset the demo people; returns their e-mails by kind."""
    organisations = {
        name: Organisation.objects.update_or_create(name=name, defaults={"type": kind})[0]
        for name, kind in ORGANISATIONS
    }
    password = make_password(DEMO_PASSWORD)
    by_kind: dict[str, list[str]] = {}
    for local, kind, name, organisation, title, department, expertise in PEOPLE:
        email = f"{local}@{DEMO_DOMAIN}"
        user, _created = User.objects.update_or_create(
            email=email,
            defaults={
                "handle": local,
                "kind": kind,
                "display_name": name,
                "organisation": organisations.get(organisation) if organisation else None,
                "job_title": title,
                "department": department,
                "expertise": expertise,
                "password": password,
                "is_active": True,
                "is_staff": local == "agent1",
                "is_superuser": local == "agent1",
            },
        )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        by_kind.setdefault(kind, []).append(email)
    return by_kind
