"""The demo groups' shared files: plans, a logo and documents drawn here, idempotent.

Nothing is copied from anywhere: images are drawn with Pillow, and PDFs are pages drawn the
same way (raster pages, as a scanner would make them). Files are keyed on (owner, name),
versions on their number, comments on (file, author, body), so a second load adds nothing;
it only moves the dates back to "the last three weeks", as social.demo does. Writes go
through files.services and social.services, so policy and content checks apply as usual;
previews are computed at once (files.previews), without waiting for a worker.
"""

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files import previews, services
from files.models import File, FileVersion
from groups.models import Group
from social import services as social_services
from social.demo import FOIRE, GARAGE, ROYEUX
from social.models import Comment, Post

# --- Drawing helpers ---------------------------------------------------------------------------

FONT_FILES = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
}
INK, PAPER, MUTED = (33, 37, 41), (255, 255, 255), (108, 117, 125)
BRAND = (0, 95, 115)  # the agency's teal
A4 = (827, 1169)  # pixels at 100 dpi


@cache
def _font(size: int, bold: bool = False) -> tuple[ImageFont.ImageFont, bool]:
    """A font with French accents (Debian's DejaVu or Liberation), else Pillow's own."""
    for path in FONT_FILES[bold]:
        if Path(path).is_file():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    *,
    bold: bool = False,
    fill=INK,
    anchor: str = "la",
) -> None:
    font, accents = _font(size, bold)
    if not accents:  # Pillow's built-in font has no accents: better plain than boxes
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)


def _wrap(text: str, size: int, width: int, *, bold: bool = False) -> list[str]:
    font, _accents = _font(size, bold)
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _pdf(pages: list[Image.Image], title: str) -> bytes:
    out = io.BytesIO()
    first, *rest = pages
    first.save(
        out,
        "PDF",
        save_all=True,
        append_images=rest,
        resolution=100,
        title=title,
        author="Agence de développement économique (démo)",
    )
    return out.getvalue()


# --- Images ------------------------------------------------------------------------------------

# The lots of the Royeux extension: number → (status, surface in m²).
ROYEUX_LOTS = {
    1: ("réservé", 4200),
    2: ("compromis", 3800),
    3: ("réservé", 5100),
    4: ("réservé", 2600),
    5: ("compromis", 6900),
    6: ("libre", 3300),
    7: ("réservé", 4800),
    8: ("libre", 2500),
    9: ("libre", 6100),
    10: ("libre", 3900),
    11: ("réservé", 8000),
    12: ("libre", 4400),
    13: ("libre", 3600),
    14: ("libre", 5200),
    15: ("libre", 2900),
}
LOT_COLOURS = {
    "libre": (168, 218, 181),
    "réservé": (255, 200, 87),
    "compromis": (120, 170, 230),
}


def royeux_plan() -> bytes:
    """Plan of the Royeux business park: 15 lots along its roads, with their status."""
    image = Image.new("RGB", (1720, 980), (236, 243, 226))
    draw = ImageDraw.Draw(image)
    _text(draw, (40, 30), "Zone d'activité du Royeux — extension", 34, bold=True, fill=BRAND)
    _text(draw, (40, 78), "Plan de commercialisation des lots (document de travail)", 20)
    # The departmental road along the top; the park's loop, its branch and a roundabout.
    road, paved = (150, 150, 150), (170, 170, 170)
    draw.rectangle((0, 130, 1720, 170), fill=road)
    _text(draw, (1690, 150), "RD 17", 18, bold=True, fill=PAPER, anchor="rm")
    draw.rectangle((80, 170, 120, 900), fill=paved)
    draw.rectangle((80, 500, 1320, 540), fill=paved)
    draw.rectangle((1280, 170, 1320, 900), fill=paved)
    draw.ellipse((650, 470, 750, 570), fill=paved)
    _text(draw, (700, 520), "giratoire", 14, fill=PAPER, anchor="mm")
    # First phase: lots 1 to 10 on both sides of the branch road.
    for top, bottom, numbers in [(190, 480, range(1, 6)), (560, 880, range(6, 11))]:
        for index, number in enumerate(numbers):
            left = 140 + index * 228
            _lot(draw, (left + 4, top, left + 222, bottom), number)
    # Second phase: lots 11 to 15 east of the loop, serviced next spring.
    for index, number in enumerate(range(11, 16)):
        top = 190 + index * 140
        _lot(draw, (1340, top, 1640, top + 130), number, compact=True)
    _text(draw, (1490, 905), "Deuxième tranche", 18, bold=True, fill=MUTED, anchor="ma")
    labels = {"libre": "Disponible", "réservé": "Réservé", "compromis": "Compromis signé"}
    for offset, (status, colour) in enumerate(LOT_COLOURS.items()):
        y = 30 + offset * 30
        draw.rectangle((1340, y, 1364, y + 22), fill=colour, outline=INK)
        _text(draw, (1374, y + 11), labels[status], 18, anchor="lm")
    draw.line((60, 940, 260, 940), fill=INK, width=4)
    _text(draw, (160, 930), "100 m", 16, anchor="mb")
    draw.polygon([(1680, 890), (1666, 930), (1694, 930)], fill=INK)
    _text(draw, (1680, 882), "N", 20, bold=True, anchor="mb")
    return _png(image)


def _lot(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], number: int, compact=False
) -> None:
    status, surface = ROYEUX_LOTS[number]
    draw.rectangle(box, fill=LOT_COLOURS[status], outline=INK, width=2)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    gap = 14 if compact else 18
    _text(draw, (cx, cy - gap), f"Lot {number}", 24, bold=True, anchor="mm")
    _text(draw, (cx, cy + gap), f"{surface:,} m²".replace(",", "\u202f"), 18, anchor="mm")
    if number == 9:  # the carrier's lot: the heavy-goods access is to be reviewed
        _text(draw, (cx, cy + 48), "accès PL à revoir", 15, fill=(160, 40, 40), anchor="mm")


def stand_plan(*, second_version: bool = False) -> bytes:
    """The regional stand at the Hanover fair; the second version moves the meeting area."""
    image = Image.new("RGB", (1400, 900), PAPER)
    draw = ImageDraw.Draw(image)
    title = "Foire de Hanovre 2026 — stand régional C42, hall 27"
    _text(draw, (40, 30), title, 32, bold=True, fill=BRAND)
    subtitle = (
        "Version 2 : espace rendez-vous agrandi, réserve déplacée"
        if second_version
        else ("Version 1 : implantation proposée par l'organisateur")
    )
    _text(draw, (40, 76), subtitle, 20, fill=MUTED)
    stand = (100, 140, 1300, 800)
    draw.rectangle(stand, outline=INK, width=4)
    _text(draw, (700, 840), "Allée principale", 22, anchor="mm")
    _text(draw, (60, 470), "Allée B", 22, anchor="mm")
    booths = ["Ferment & Co", "Solaris Mobilité", "Atelier Numérik", "Agence (accueil)"]
    for index, name in enumerate(booths):
        left = 120 + index * 200
        draw.rectangle((left, 580, left + 180, 780), fill=(220, 236, 240), outline=BRAND, width=3)
        for line_number, line in enumerate(_wrap(name, 18, 160)):
            _text(draw, (left + 90, 660 + line_number * 24), line, 18, anchor="mm")
    meeting = (920, 160, 1280, 560) if second_version else (920, 360, 1280, 560)
    draw.rectangle(meeting, fill=(255, 236, 200), outline=INK, width=3)
    _text(draw, ((meeting[0] + meeting[2]) / 2, meeting[1] + 30), "Rendez-vous", 22, anchor="mm")
    tables = 4 if second_version else 2
    for table in range(tables):
        cx = meeting[0] + 90 + (table % 2) * 180
        cy = meeting[3] - 80 - (table // 2) * 150
        draw.ellipse((cx - 45, cy - 45, cx + 45, cy + 45), outline=INK, width=3)
    storage = (920, 580, 1280, 780) if second_version else (920, 160, 1280, 340)
    draw.rectangle(storage, fill=(230, 230, 230), outline=INK, width=2)
    _text(
        draw,
        ((storage[0] + storage[2]) / 2, (storage[1] + storage[3]) / 2),
        "Réserve",
        20,
        anchor="mm",
    )
    draw.rectangle((140, 180, 860, 540), fill=(240, 246, 248), outline=MUTED, width=2)
    _text(draw, (500, 340), "Écran et démonstrations", 24, anchor="mm")
    _text(draw, (500, 380), "(bornes Solaris Mobilité, dégustation Ferment & Co)", 18, anchor="mm")
    _text(draw, (1300, 870), "Surface : 12 m × 7 m = 84 m²", 18, fill=MUTED, anchor="rm")
    return _png(image)


def startup_logo() -> bytes:
    """Ferment & Co's logo: a jar with bubbles, and the name."""
    image = Image.new("RGB", (600, 600), PAPER)
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 560, 560), fill=(246, 233, 210), outline=(120, 72, 40), width=10)
    draw.rounded_rectangle(
        (215, 150, 385, 380), radius=30, fill=(214, 140, 69), outline=INK, width=6
    )
    draw.rectangle((200, 130, 400, 165), fill=(120, 72, 40))
    for cx, cy, radius in [(260, 300, 16), (320, 250, 12), (290, 200, 9), (340, 330, 10)]:
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=PAPER, width=4)
    _text(draw, (300, 440), "Ferment & Co", 52, bold=True, fill=(120, 72, 40), anchor="mm")
    _text(draw, (300, 495), "fermentation artisanale", 24, fill=MUTED, anchor="mm")
    return _png(image)


# --- Documents (PDF) ---------------------------------------------------------------------------

Block = tuple[str, object]  # ("title" | "h" | "p" | "field" | "table" | "small", content)


def _page(blocks: list[Block], *, number: int, of: int, footer: str) -> Image.Image:
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, A4[0], 14), fill=70)
    x, y, width = 70, 60, A4[0] - 140
    for kind, content in blocks:
        if kind == "title":
            for line in _wrap(str(content), 30, width, bold=True):
                _text(draw, (x, y), line, 30, bold=True, fill=20)
                y += 40
            y += 14
        elif kind == "h":
            y += 12
            _text(draw, (x, y), str(content), 20, bold=True, fill=20)
            y += 32
        elif kind == "p":
            for line in _wrap(str(content), 16, width):
                _text(draw, (x, y), line, 16, fill=30)
                y += 23
            y += 8
        elif kind == "small":
            _text(draw, (x, y), str(content), 14, fill=100)
            y += 26
        elif kind == "field":
            _text(draw, (x, y), str(content), 16, fill=30)
            draw.line((x + 290, y + 18, x + width, y + 18), fill=150, width=1)
            y += 36
        elif kind == "table":
            rows = list(content)
            columns = len(rows[0])
            column = width / columns
            for row_number, row in enumerate(rows):
                if row_number == 0:
                    draw.rectangle((x, y - 4, x + width, y + 26), fill=225)
                for index, cell in enumerate(row):
                    anchor_x = x + index * column + (column - 10 if index else 8)
                    anchor = "ra" if index else "la"
                    _text(
                        draw,
                        (anchor_x, y),
                        str(cell),
                        15,
                        bold=row_number == 0,
                        fill=30,
                        anchor=anchor,
                    )
                y += 32
                draw.line((x, y - 5, x + width, y - 5), fill=200, width=1)
            y += 10
    _text(draw, (x, A4[1] - 50), footer, 12, fill=120)
    _text(draw, (A4[0] - x, A4[1] - 50), f"{number} / {of}", 12, fill=120, anchor="ra")
    return page


def _document(title: str, pages: list[list[Block]], footer: str) -> bytes:
    drawn = [
        _page(blocks, number=number, of=len(pages), footer=footer)
        for number, blocks in enumerate(pages, start=1)
    ]
    return _pdf(drawn, title)


def application_form() -> bytes:
    footer = "Le Garage — incubateur de l'agence · dossier de candidature (démo)"
    return _document(
        "Dossier de candidature",
        [
            [
                ("title", "Le Garage — dossier de candidature à l'incubateur"),
                ("small", "Promotion de printemps · à renvoyer avant le comité de sélection"),
                ("h", "1. Porteuse ou porteur de projet"),
                ("field", "Nom et prénom"),
                ("field", "Adresse électronique"),
                ("field", "Téléphone"),
                ("field", "Structure (si déjà créée)"),
                ("h", "2. Le projet"),
                ("field", "Nom du projet"),
                ("field", "Secteur d'activité"),
                (
                    "p",
                    "Décrivez en quelques lignes le besoin auquel répond votre projet, vos "
                    "premiers clients ou utilisateurs, et ce qui vous distingue des solutions "
                    "existantes.",
                ),
                ("field", "Stade d'avancement"),
                ("field", "Emplois prévus à deux ans"),
                ("h", "3. Ce que vous attendez de l'incubateur"),
                (
                    "p",
                    "Hébergement, mentorat, mise en relation avec les financeurs (prêt "
                    "d'honneur, aide à l'innovation), accès aux salons de la délégation "
                    "régionale : précisez vos priorités.",
                ),
            ],
            [
                ("title", "Budget prévisionnel et pièces à joindre"),
                ("h", "4. Budget de la première année"),
                (
                    "table",
                    [
                        ("Poste", "Montant (€)"),
                        ("Prototype et matériel", "18 000"),
                        ("Études et propriété intellectuelle", "6 500"),
                        ("Communication et salons", "4 000"),
                        ("Frais de structure", "7 500"),
                        ("Total", "36 000"),
                    ],
                ),
                ("h", "5. Pièces à joindre"),
                ("p", "— une présentation du projet (dix diapositives au plus) ;"),
                ("p", "— le curriculum vitæ des fondatrices et fondateurs ;"),
                ("p", "— le cas échéant, l'extrait Kbis et les derniers comptes."),
                ("h", "6. Engagement"),
                (
                    "p",
                    "Je certifie l'exactitude des informations fournies et accepte la charte "
                    "du groupe « Le Garage ».",
                ),
                ("field", "Date et signature"),
            ],
        ],
        footer,
    )


def call_report() -> bytes:
    footer = "Agence de développement économique · compte rendu (démo)"
    return _document(
        "Compte rendu",
        [
            [
                ("title", "Compte rendu — appel avec l'équipementier automobile"),
                ("small", "Suite de la Foire de Hanovre · rédigé par le service Implantation"),
                ("h", "Participants"),
                (
                    "p",
                    "Pour l'agence : le chargé d'affaires Implantation. Pour l'entreprise : "
                    "la directrice du développement Europe et le responsable immobilier.",
                ),
                ("h", "Besoin exprimé"),
                (
                    "table",
                    [
                        ("Critère", "Demande"),
                        ("Bâtiment industriel", "8 000 m²"),
                        ("Réserve foncière", "2 ha"),
                        ("Emplois à trois ans", "40"),
                        ("Mise en service", "2028"),
                    ],
                ),
                ("h", "Suites à donner"),
                ("p", "1. Proposer une visite de la zone d'activité du Royeux (lots 9 et 11)."),
                (
                    "p",
                    "2. Envoyer les conditions de la deuxième tranche et le calendrier des "
                    "travaux de viabilisation.",
                ),
                ("p", "3. Préparer avec la Région le dossier d'aide à l'implantation."),
            ]
        ],
        footer,
    )


def steering_minutes() -> bytes:
    footer = "Zone d'activité du Royeux · comité de pilotage (démo)"
    return _document(
        "Compte rendu du comité de pilotage",
        [
            [
                ("title", "Compte rendu du comité de pilotage — zone d'activité du Royeux"),
                ("small", "Réunion à l'hôtel de communauté · document interne"),
                ("h", "Commercialisation"),
                (
                    "p",
                    "Sept lots sur quinze sont réservés, dont deux avec compromis signé. "
                    "Le lot 9 intéresse un transporteur, sous réserve de revoir l'accès des "
                    "poids lourds depuis la RD 17.",
                ),
                ("h", "Travaux"),
                (
                    "p",
                    "L'enveloppe de viabilisation de la deuxième tranche est votée ; les "
                    "travaux commencent au printemps. La fibre est raccordée en même temps que "
                    "l'eau et l'électricité.",
                ),
                ("h", "Concertation"),
                (
                    "p",
                    "Une réunion publique avec les riverains aura lieu avant le démarrage "
                    "des travaux : circulation des camions, horaires du chantier, haies "
                    "plantées en limite de zone.",
                ),
                ("h", "Décisions"),
                (
                    "table",
                    [
                        ("Décision", "Responsable"),
                        ("Étude d'accès poids lourds (lot 9)", "Implantation"),
                        ("Réunion publique riverains", "Quartiers"),
                        ("Plan de commercialisation à jour", "Implantation"),
                    ],
                ),
            ]
        ],
        footer,
    )


def business_plan() -> bytes:
    footer = "Ferment & Co · document confidentiel (démo)"
    return _document(
        "Budget prévisionnel",
        [
            [
                ("title", "Ferment & Co — budget prévisionnel sur trois ans"),
                ("small", "Version relue avec l'incubateur, avant le dépôt du dossier d'aide"),
                (
                    "table",
                    [
                        ("", "Année 1", "Année 2", "Année 3"),
                        ("Chiffre d'affaires (k€)", "120", "260", "410"),
                        ("Achats et matières (k€)", "45", "90", "140"),
                        ("Salaires et charges (k€)", "60", "115", "170"),
                        ("Résultat (k€)", "-12", "18", "52"),
                        ("Emplois", "3", "5", "8"),
                    ],
                ),
                ("h", "Financement"),
                (
                    "p",
                    "Apport des fondateurs : 20 k€. Prêt d'honneur : 30 k€. Aide à "
                    "l'innovation : 45 k€ (accordée). Prêt bancaire : 60 k€ pour le second "
                    "atelier de fermentation.",
                ),
            ]
        ],
        footer,
    )


def prospects_table() -> bytes:
    rows = [
        "entreprise;pays;secteur;projet;suite",
        "Équipementier automobile;Allemagne;automobile;usine 8 000 m²;visite du Royeux",
        "Fabricant de capteurs;Autriche;électronique;bureau commercial;envoi d'une offre",
        "Intégrateur robotique;Pays-Bas;robotique;atelier 1 500 m²;rappel en janvier",
        "Éditeur logiciel industriel;Allemagne;numérique;agence de 10 personnes;rendez-vous",
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


# --- The files of the demo ---------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSpec:
    uploader: str
    name: str
    content: Callable[[], bytes]
    days_ago: float


@dataclass(frozen=True)
class CommentSpec:
    author: str
    body: str
    days_ago: float


@dataclass(frozen=True)
class FileSpec:
    owner: str
    name: str
    description: str
    versions: tuple[VersionSpec, ...]
    group: str | None = None
    post_body_start: str = ""  # attached to the demo post of `owner` starting with this
    people: tuple[str, ...] = ()  # shared with them by name
    comments: tuple[CommentSpec, ...] = ()


FILES = [
    FileSpec(
        owner="agent2",
        name="Plan de la zone d'activité du Royeux.png",
        description="Plan de commercialisation des quinze lots de l'extension, à jour des "
        "réservations.",
        group=ROYEUX,
        versions=(VersionSpec("agent2", "plan-royeux.png", royeux_plan, 18),),
        comments=(
            CommentSpec(
                "elu1",
                "Merci Julien. Le lot 9 reste disponible tant que l'accès des poids lourds "
                "n'est pas tranché ?",
                17,
            ),
            CommentSpec(
                "agent2",
                "Oui, on le garde pour le transporteur jusqu'à l'étude d'accès.",
                16.9,
            ),
        ),
    ),
    FileSpec(
        owner="agent1",
        name="Compte rendu du comité de pilotage.pdf",
        description="Comité de pilotage de l'extension : commercialisation, travaux, concertation.",
        group=ROYEUX,
        versions=(VersionSpec("agent1", "copil-royeux.pdf", steering_minutes, 7),),
    ),
    FileSpec(
        owner="agent4",
        name="Plan du stand — Foire de Hanovre 2026.png",
        description="Stand régional C42, hall 27 : emplacements des entreprises et espace "
        "rendez-vous.",
        group=FOIRE,
        versions=(
            VersionSpec("agent4", "plan-stand-v1.png", stand_plan, 24),
            VersionSpec("agent5", "plan-stand-v2.png", lambda: stand_plan(second_version=True), 22),
        ),
        comments=(
            CommentSpec(
                "agent4",
                "Merci Élodie, la version 2 avec quatre tables de rendez-vous est bien meilleure.",
                21.8,
            ),
        ),
    ),
    FileSpec(
        owner="agent4",
        name="Suivi des prospects — Hanovre 2026.csv",
        description="Les contacts qualifiés rencontrés sur le stand et la suite à leur donner.",
        group=FOIRE,
        versions=(VersionSpec("agent4", "prospects.csv", prospects_table, 20),),
    ),
    FileSpec(
        owner="agent2",
        name="Compte rendu — appel avec l'équipementier.pdf",
        description="Besoins de l'équipementier automobile rencontré à Hanovre.",
        post_body_start="Compte rendu de l'appel avec l'équipementier",
        versions=(VersionSpec("agent2", "cr-equipementier.pdf", call_report, 17),),
    ),
    FileSpec(
        owner="agent3",
        name="Dossier de candidature — Le Garage.pdf",
        description="Le dossier à remplir pour candidater à la prochaine promotion.",
        group=GARAGE,
        versions=(VersionSpec("agent3", "dossier-candidature.pdf", application_form, 19),),
        comments=(
            CommentSpec(
                "startup5",
                "Je le transmets à une porteuse de projet en formation numérique.",
                12,
            ),
        ),
    ),
    FileSpec(
        owner="startup1",
        name="Logo Ferment & Co.png",
        description="Notre logo, pour les supports du demo day.",
        group=GARAGE,
        versions=(VersionSpec("startup1", "logo-ferment.png", startup_logo, 15),),
    ),
    FileSpec(
        owner="startup1",
        name="Budget prévisionnel — Ferment & Co.pdf",
        description="Pour relecture avant le dépôt du dossier d'aide à l'innovation.",
        people=("agent3",),
        versions=(VersionSpec("startup1", "budget-previsionnel.pdf", business_plan, 23),),
        comments=(
            CommentSpec(
                "agent3",
                "Relu : pensez à détailler les achats de l'année 2, le reste est solide.",
                22,
            ),
        ),
    ),
]


@dataclass
class FilesResult:
    files: int = 0
    created: int = 0
    versions: int = 0
    comments: int = 0
    names: list[str] = field(default_factory=list)


@transaction.atomic
def load_demo() -> FilesResult:
    """Create or refresh the demo files (the demo people, groups and posts must exist)."""
    now = timezone.now()
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    groups = {group.slug: group for group in Group.objects.filter(slug__in=[FOIRE, ROYEUX, GARAGE])}
    result = FilesResult()
    for spec in FILES:
        file, created = _file(spec, people, groups, now)
        result.files += 1
        result.created += created
        result.versions += len(spec.versions)
        result.comments += len(spec.comments)
        result.names.append(file.name)
    return result


def _at(now: datetime, days_ago: float) -> datetime:
    return now - timedelta(days=days_ago)


def _incoming(spec: VersionSpec) -> services.Incoming:
    return services.Incoming(name=spec.name, fileobj=io.BytesIO(spec.content()))


def _file(
    spec: FileSpec, people: dict[str, User], groups: dict[str, Group], now: datetime
) -> tuple[File, bool]:
    owner = people[spec.owner]
    post = None
    if spec.post_body_start:
        post = (
            Post.objects.filter(
                author=owner, body__startswith=spec.post_body_start, deleted_at=None
            )
            .order_by("pk")
            .first()
        )
    file = File.objects.filter(owner=owner, name=spec.name, deleted_at=None).order_by("pk").first()
    created = file is None
    if created:
        first = spec.versions[0]
        file = services.create_file(
            owner=owner,
            incoming=_incoming(first),
            name=spec.name,
            description=spec.description,
            group=groups[spec.group] if spec.group else None,
            post=post,
        )
    else:
        services.update_file(actor=owner, file=file, description=spec.description)
        if spec.group:
            services.share_to_group(actor=owner, file=file, group=groups[spec.group])
        if post is not None:
            services.share_to_post(actor=owner, file=file, post=post)
    for number, version_spec in enumerate(spec.versions, start=1):
        if not file.versions.filter(number=number).exists():
            services.add_version(
                actor=people[version_spec.uploader], file=file, incoming=_incoming(version_spec)
            )
    for handle in spec.people:
        services.share_to_person(actor=owner, file=file, person=people[handle])
    _date(file, spec, now)
    for version in FileVersion.objects.filter(file=file):
        previews.make_preview(version)  # no-op once computed
    for comment_spec in spec.comments:
        _comment(file, comment_spec, people, now)
    file.refresh_from_db()
    return file, created


def _date(file: File, spec: FileSpec, now: datetime) -> None:
    """Spread the versions over the last weeks, as if uploaded then."""
    for number, version_spec in enumerate(spec.versions, start=1):
        FileVersion.objects.filter(file=file, number=number).update(
            created_at=_at(now, version_spec.days_ago)
        )
    first, last = spec.versions[0], spec.versions[-1]
    File.objects.filter(pk=file.pk).update(
        created_at=_at(now, first.days_ago), updated_at=_at(now, last.days_ago)
    )
    file.shares.update(created_at=_at(now, first.days_ago))


def _comment(file: File, spec: CommentSpec, people: dict[str, User], now: datetime) -> Comment:
    author = people[spec.author]
    comment = (
        Comment.objects.filter(file=file, author=author, body=spec.body, deleted_at=None)
        .order_by("pk")
        .first()
    )
    if comment is None:
        comment = social_services.add_comment(author=author, body=spec.body, file=file)
    Comment.objects.filter(pk=comment.pk).update(created_at=_at(now, spec.days_ago))
    return comment
