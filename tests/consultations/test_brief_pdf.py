"""The visit brief, as a printable page and as a PDF: both match the data (compute_brief), keep
French text intact, name no resident, and are served to staff and elected officials only."""

import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consultations import brief, services
from consultations.models import Contribution
from tests.consultations.conftest import contribute

pytestmark = pytest.mark.django_db

FRENCH = "Jardin partagé « place de l’Europe » : 12 000 € — œuvre collective…"


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text_of(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    try:
        pages = []
        for page in document:
            text_page = page.get_textpage()
            pages.append(text_page.get_text_range())
            text_page.close()
            page.close()
        return "\n".join(pages)
    finally:
        document.close()


def flat(text: str) -> str:
    """PDF text extraction breaks lines where the layout wraps them."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").replace("\xa0", " ").split())


@pytest.fixture
def setting(make_user, make_consultation):
    agent = make_user(User.Kind.STAFF, display_name="Agnès Agent")
    elected = make_user(User.Kind.ELECTED, display_name="Élise Maire")
    camille, bruno, nina = (
        make_user(User.Kind.CITIZEN, display_name=n)
        for n in ("Camille Durand", "Bruno Martin", "Nina Petit")
    )
    voirie = services.create_service(actor=agent, name="Service voirie")
    c = make_consultation(agent, services=[voirie], officials=[elected], moderators=[agent])
    cat = {x.name: x.pk for x in c.categories.all()}
    hole = contribute(
        camille,
        c,
        title="Nid-de-poule dangereux",
        body="Un énorme nid-de-poule devant le 12, les vélos tombent.",
        category=cat["voirie"],
        place="12 bis rue Victor Hugo",
    )
    lamp = contribute(
        bruno,
        c,
        kind="signalement",
        title="Lampadaire éteint",
        body="Plus de lumière le soir.",
        category=cat["éclairage"],
        place="rue Victor-Hugo",
    )
    garden = contribute(
        nina,
        c,
        kind="idee",
        title=FRENCH,
        body="Un jardin partagé où les enfants apprendraient à planter.",
        category=cat["espaces verts"],
        place="Place de l'Europe",
    )
    question = contribute(nina, c, kind="question", title="Horaires ?", category=cat["autre"])
    hidden = contribute(bruno, c, title="Caché par la modération", category=cat["voirie"])
    services.moderate_contribution(
        moderator=agent, contribution=hidden, action="hide", reason="doublon"
    )
    for supporter in (bruno, nina, agent):
        services.support(actor=supporter, contribution=hole)
    for supporter in (camille, bruno):
        services.support(actor=supporter, contribution=garden)
    services.support(actor=camille, contribution=lamp)
    services.route_contribution(actor=agent, contribution=hole, service=voirie)
    services.change_status(actor=agent, contribution=hole, status="en_cours")
    services.change_status(actor=agent, contribution=hole, status="traite")
    services.answer_contribution(author=agent, contribution=hole, text="Rebouché le 3.")
    Contribution.objects.filter(pk=lamp.pk).update(created_at=timezone.now() - timedelta(days=4))
    return {
        "consultation": c,
        "agent": agent,
        "elected": elected,
        "citizens": [camille, bruno, nina],
        "hole": hole,
        "lamp": lamp,
        "garden": garden,
        "question": question,
        "hidden": hidden,
    }


def test_the_brief_page_matches_the_data(setting):
    consultation = setting["consultation"]
    expected = brief.compute_brief(consultation=consultation)
    response = client_as(setting["elected"]).get(
        reverse("consultations:brief", args=[consultation.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    top = [int(pk) for pk in re.findall(r'data-brief-top="(\d+)"', html)]
    assert top == [c.pk for c in expected.top]
    assert top[:3] == [setting["hole"].pk, setting["garden"].pk, setting["lamp"].pk]
    assert re.findall(r'data-brief-unanswered="(\d+)"', html) == [str(setting["lamp"].pk)]
    assert re.findall(r'data-brief-handled="(\d+)"', html) == [str(setting["hole"].pk)]
    counts = [int(n) for n in re.findall(r"<td data-brief-category>(\d+)</td>", html)]
    assert counts == [n for _name, n in expected.by_category] == [1, 0, 0, 1, 0, 0, 1, 1]
    assert "<dd data-brief-total>4</dd>" in html
    assert "rue Victor Hugo" in html
    assert "4 jours" in html
    assert "Élise Maire" in html  # the visiting official
    assert "« Un énorme nid-de-poule devant le 12, les vélos tombent. »" in html
    assert "Jardin partagé « place de l’Europe » : 12 000 € — œuvre collective…" in html
    assert "Caché par la modération" not in html
    assert "Horaires ?" in html
    for citizen in setting["citizens"]:
        assert citizen.display_name not in html
    assert reverse("consultations:brief_pdf", args=[consultation.pk]) in html
    assert "Suivi des demandes" not in html  # an official gets no staff links


def test_the_pdf_matches_the_data_and_keeps_french_text(setting):
    consultation = setting["consultation"]
    response = client_as(setting["elected"]).get(
        reverse("consultations:brief_pdf", args=[consultation.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'attachment; filename="synthese-visite-{consultation.pk}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = flat(text_of(response.content))
    assert f"Synthèse pour la visite — {consultation.title}" in text
    assert "Élus : Élise Maire" in text
    assert "4 contributions publiées." in text
    assert "Nid-de-poule dangereux" in text
    assert FRENCH in text
    assert text.index("Nid-de-poule dangereux") < text.index(FRENCH)
    assert text.index(FRENCH) < text.index("Lampadaire éteint")
    assert "voirie 1" in text
    assert "propreté 0" in text
    assert "rue Victor Hugo 2" in text
    assert "Demandes encore sans réponse" in text
    assert "Lampadaire éteint éclairage Reçu — 4 jours" in text
    assert "Nid-de-poule dangereux — voirie — Traité — Service voirie" in text
    assert "« Un énorme nid-de-poule devant le 12, les vélos tombent. »" in text
    assert "Caché par la modération" not in text
    for citizen in setting["citizens"]:
        assert citizen.display_name not in text
    assert "Page 1" in text


def test_an_empty_brief_still_renders(make_user, make_consultation):
    agent = make_user(User.Kind.STAFF)
    consultation = make_consultation(agent, title="Visite du quartier Nord")
    client = client_as(agent)
    page = client.get(reverse("consultations:brief", args=[consultation.pk]))
    assert "Aucune contribution publiée." in page.content.decode()
    pdf = client.get(reverse("consultations:brief_pdf", args=[consultation.pk]))
    text = flat(text_of(pdf.content))
    assert "Aucune contribution publiée." in text
    assert "Toutes les demandes ont reçu une réponse." in text


def test_only_staff_and_elected_officials_get_the_brief(setting, make_user):
    consultation = setting["consultation"]
    urls = [
        reverse("consultations:brief", args=[consultation.pk]),
        reverse("consultations:brief_pdf", args=[consultation.pk]),
    ]
    for url in urls:
        assert client_as(setting["agent"]).get(url).status_code == 200
        for kind in (User.Kind.CITIZEN, User.Kind.EXTERNAL):
            assert client_as(make_user(kind)).get(url).status_code == 404
        anonymous = client_as().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("account_login"))


def test_script_in_a_contribution_is_inert_in_the_brief(setting):
    consultation = setting["consultation"]
    contribute(
        setting["citizens"][0],
        consultation,
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)>",
    )
    html = (
        client_as(setting["agent"])
        .get(reverse("consultations:brief", args=[consultation.pk]))
        .content.decode()
    )
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pdf = client_as(setting["agent"]).get(
        reverse("consultations:brief_pdf", args=[consultation.pk])
    )
    assert "<script>alert(1)</script>" in flat(text_of(pdf.content))
