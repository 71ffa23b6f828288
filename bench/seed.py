"""Realistic directory data, bulk-created: people of every kind, organisations, e-mail addresses.

The few accounts the benchmark signs in with go through `accounts.services.create_user`; the
crowd goes through `bulk_create` with the same fields the services and factories fill in
(handle, verified allauth address, organisation for external members, hashed password).
"""

import random
import re
import unicodedata
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from faker import Faker

from accounts import services
from accounts.models import HANDLE_MAX_LENGTH, Organisation, User
from tests.factories import PASSWORD, OrganisationFactory

# Of the people who appear in the directory (citizens and closed accounts come on top).
KIND_SHARES = {User.Kind.STAFF: 0.55, User.Kind.ELECTED: 0.05, User.Kind.EXTERNAL: 0.40}
CITIZENS_PER_DIRECTORY_PERSON = 0.2
INACTIVE_PER_DIRECTORY_PERSON = 0.02
PEOPLE_PER_ORGANISATION = 25

EXPERTISE = [
    "numérique",
    "innovation",
    "financement",
    "export",
    "industrie",
    "énergie",
    "mobilité",
    "agroalimentaire",
    "tourisme",
    "santé",
    "commerce",
    "immobilier d'entreprise",
    "recrutement",
    "économie sociale et solidaire",
    "intelligence artificielle",
    "design",
    "marketing",
    "juridique",
    "foncier",
    "international",
]
JOB_TITLES = {
    User.Kind.STAFF: [
        "Chargée de mission innovation",
        "Chargé d'affaires",
        "Responsable export",
        "Développeuse économique",
        "Assistante de direction",
        "Directeur général adjoint",
        "Chargé de communication",
        "Gestionnaire foncier",
        "Chargée d'accompagnement des start-up",
        "Analyste financier",
    ],
    User.Kind.ELECTED: [
        "Adjointe au maire",
        "Conseiller municipal",
        "Vice-président chargé de l'économie",
        "Conseillère communautaire",
    ],
    User.Kind.EXTERNAL: [
        "Fondatrice",
        "Cofondateur",
        "CTO",
        "Directeur commercial",
        "Cheffe de projet",
        "Responsable partenariats",
        "Ingénieure R&D",
        "Chargé de développement",
    ],
    User.Kind.CITIZEN: [""],
}
DEPARTMENTS = ["Innovation", "Implantation", "International", "Financement", "Communication"]


@dataclass
class Seeder:
    """Grows one database to a target size, keeping the same mix at every size."""

    seed: int = 20251123
    directory_people: int = 0
    citizens: int = 0
    inactive: int = 0
    organisations: dict[str, list[Organisation]] = field(default_factory=dict)
    _serial: int = 0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(self.seed)
        # One hash for the crowd (the test settings use a fast hasher anyway).
        self.password_hash = make_password(PASSWORD)
        self.agency = OrganisationFactory(
            name="Agence de développement économique", type=Organisation.Type.AGENCY
        )
        self.organisations = {Organisation.Type.STARTUP: [], Organisation.Type.PARTNER: []}

    # --- the people the benchmark acts as --------------------------------------------------

    def create_viewer(self, kind: str = User.Kind.STAFF, **fields) -> User:
        self._serial += 1
        return services.create_user(
            email=f"bench-{kind}-{self._serial}@agence.test",
            kind=kind,
            password=PASSWORD,
            display_name=fields.pop("display_name", self.fake.name()),
            organisation=fields.pop(
                "organisation", self.agency if kind == User.Kind.STAFF else None
            ),
            job_title=fields.pop("job_title", "Chargée de mission innovation"),
            **fields,
        )

    # --- the crowd -------------------------------------------------------------------------

    @transaction.atomic
    def grow_to(self, directory_people: int) -> None:
        """Add people (and organisations) until the directory holds `directory_people`."""
        missing = directory_people - self.directory_people
        if missing <= 0:
            return
        self._add_organisations(max(2, directory_people // PEOPLE_PER_ORGANISATION))
        users: list[User] = []
        for kind, share in KIND_SHARES.items():
            users += [self._person(kind) for _ in range(round(missing * share))]
        # Rounding may leave a person or two out: staff make up the difference.
        users += [self._person(User.Kind.STAFF) for _ in range(missing - len(users))]
        citizens = round(missing * CITIZENS_PER_DIRECTORY_PERSON)
        users += [self._person(User.Kind.CITIZEN) for _ in range(citizens)]
        inactive = round(missing * INACTIVE_PER_DIRECTORY_PERSON)
        users += [self._person(User.Kind.STAFF, is_active=False) for _ in range(inactive)]
        self.random.shuffle(users)
        created = User.objects.bulk_create(users, batch_size=2000)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in created],
            batch_size=2000,
        )
        self.directory_people += missing
        self.citizens += citizens
        self.inactive += inactive

    def analyse(self) -> None:
        """Vacuum and refresh the planner's statistics, as autovacuum would after a bulk load.

        Done at once, so autovacuum does not wake up in the middle of the measurements.
        """
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    def _add_organisations(self, wanted: int) -> None:
        startups = self.organisations[Organisation.Type.STARTUP]
        partners = self.organisations[Organisation.Type.PARTNER]
        while len(startups) + len(partners) < wanted:
            kind = (
                Organisation.Type.STARTUP
                if self.random.random() < 0.75
                else (Organisation.Type.PARTNER)
            )
            name = f"{self.fake.company()} {len(startups) + len(partners) + 1}"
            self.organisations[kind].append(OrganisationFactory(name=name, type=kind))

    def _person(self, kind: str, is_active: bool = True) -> User:
        self._serial += 1
        first, last = self.fake.first_name(), self.fake.last_name()
        handle = self._handle(f"{first}.{last}", self._serial)
        organisation = None
        domain = "agence.test"
        if kind == User.Kind.EXTERNAL:
            pool = (
                self.organisations[Organisation.Type.STARTUP]
                + self.organisations[Organisation.Type.PARTNER]
            )
            organisation = self.random.choice(pool)
            domain = f"org{organisation.pk}.example"
        elif kind == User.Kind.STAFF:
            organisation = self.agency
        elif kind == User.Kind.CITIZEN:
            domain = "courriel.example"
        expertise = (
            ", ".join(self.random.sample(EXPERTISE, self.random.randint(0, 4)))
            if kind != User.Kind.CITIZEN
            else ""
        )
        return User(
            email=f"{handle}@{domain}",
            handle=handle,
            kind=kind,
            display_name=f"{first} {last}",
            organisation=organisation,
            job_title=self.random.choice(JOB_TITLES[kind]),
            department=self.random.choice(DEPARTMENTS) if kind == User.Kind.STAFF else "",
            phone=self.fake.phone_number() if kind != User.Kind.CITIZEN else "",
            bio=self.fake.sentence(nb_words=14) if self.random.random() < 0.6 else "",
            expertise=expertise,
            is_active=is_active,
            password=self.password_hash,
        )

    @staticmethod
    def _handle(name: str, serial: int) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9.]+", "-", ascii_name.lower()).strip(".-")
        suffix = f"-{serial}"
        return base[: HANDLE_MAX_LENGTH - len(suffix)].rstrip(".-") + suffix
