"""The synthesis PDF: it opens, carries the agenda titles and French text intact, and is served
like every download (policy-checked, 404 for the forbidden, never sniffed)."""

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse

from meetings import services
from meetings.models import Meeting
from social import services as social_services

pytestmark = pytest.mark.django_db

FRENCH = "Œuvre d’art « place Émile-Zola » : 12 000 € — déjà budgété…"


def client_as(user) -> Client:
    client = Client()
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
def prepared(world) -> Meeting:
    meeting = world.meetings["private"]
    owner, member, elected = (
        world.users["owner"],
        world.users["staff_member"],
        world.users["elected_invited"],
    )
    first = services.add_item(actor=owner, meeting=meeting, title="Réaménagement de la gare")
    second = services.add_item(actor=owner, meeting=meeting, title=FRENCH)
    services.set_opinion(actor=member, item=first, position="pour", argument="Sécurité accrue")
    services.set_opinion(actor=elected, item=first, position="contre", argument="Coût élevé")
    services.set_opinion(actor=member, item=second, position="reserve")
    services.mark_ready(actor=member, meeting=meeting)
    social_services.add_comment(
        author=elected, body="Qui finance l’œuvre ?", item=second, is_question=True
    )
    services.add_decision(
        actor=owner, meeting=meeting, text="Étudier le financement", owner=member, item=second
    )
    return meeting


def test_the_pdf_opens_and_contains_the_agenda_titles_in_french(world, prepared):
    response = client_as(world.users["staff_member"]).get(
        reverse("meetings:synthesis_pdf", args=[prepared.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF-")
    text = flat(text_of(response.content))
    assert "Réunion private" in text
    assert "1. Réaménagement de la gare" in text
    assert "2. " + FRENCH in text
    assert "Sécurité accrue" in text
    assert "Coût élevé" in text
    assert "Qui finance l’œuvre ?" in text
    assert "Étudier le financement" in text
    assert "Élise" in text
    assert "Marie" in text


def test_the_pdf_of_an_empty_agenda_still_opens(world):
    response = client_as(world.users["owner"]).get(
        reverse("meetings:synthesis_pdf", args=[world.meetings["public"].pk])
    )
    assert "L’ordre du jour est vide." in flat(text_of(response.content))


@pytest.mark.parametrize(
    "viewer", ["staff_outsider", "elected_other", "external_member", "citizen", "deactivated"]
)
def test_the_pdf_is_404_for_who_may_not_see_the_positions(world, prepared, viewer):
    user = world.users[viewer]
    client = Client()
    if user.is_active:
        client.force_login(user)
    response = client.get(reverse("meetings:synthesis_pdf", args=[prepared.pk]))
    assert response.status_code in (404, 302)
    if user.is_active:
        assert response.status_code == 404


def test_a_reader_of_a_public_group_gets_no_pdf_before_the_meeting_closes(world):
    meeting = world.meetings["public"]
    url = reverse("meetings:synthesis_pdf", args=[meeting.pk])
    reader = client_as(world.users["staff_outsider"])
    assert reader.get(url).status_code == 403  # sees the meeting, not the positions
    services.close_meeting(actor=world.users["owner"], meeting=meeting)
    assert reader.get(url).status_code == 200
