"""The messaging pages: the inbox, a conversation, the no-JS composer and the start form.

Participants see their conversations; anyone else gets 404 (missing and forbidden alike);
citizens, who have no messaging, get 403; a refused form shows a French message and changes
nothing; a resubmitted no-JS send (same hidden key) never creates a duplicate.
"""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from files import services as file_services
from messaging import selectors, services
from messaging.models import Conversation, Message
from tests.factories import GroupFactory
from tests.files.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db


def token(client) -> str:
    """The CSRF token a browser would hold after opening any page."""
    if "csrftoken" not in client.cookies:
        client.get("/confidentialite/")
    return client.cookies["csrftoken"].value


def send(client, url: str, data: dict | None = None):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token(client)})


def text(response) -> str:
    """The page's visible text, tags removed and blanks collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def say(author, conversation, body: str) -> Message:
    return services.send_message(
        author=author, conversation=conversation, body=body, client_key=uuid.uuid4()
    )[0]


@pytest.fixture
def agnes(staff):
    return staff


@pytest.fixture
def direct(agnes, elected):
    conversation = services.start_direct(actor=agnes, person=elected)
    say(agnes, conversation, "Bonjour Élise, la réunion tient toujours ?")
    return conversation


def test_a_participant_sees_the_conversation_with_its_history_oldest_first(
    direct, agnes, elected, client_for
):
    say(elected, direct, "Oui, jeudi à 10 h.")
    for person in (agnes, elected):
        response = client_for(person).get(f"/messages/{direct.pk}/")
        assert response.status_code == 200
        page = text(response)
        html = response.content.decode()
        thread = html[html.index("data-thread") :]
        assert thread.index("la réunion tient toujours") < thread.index("jeudi à 10 h")
        assert "Votre message" in page  # the composer
        assert f'action="/messages/{direct.pk}/envoyer/"' in response.content.decode()


def test_someone_outside_the_conversation_gets_404_as_for_a_missing_one(
    direct, make_user, external, client_for
):
    outsider = make_user(User.Kind.STAFF, display_name="Octave Autre")
    for person in (outsider, external):
        client = client_for(person)
        assert client.get(f"/messages/{direct.pk}/").status_code == 404
        response = send(
            client,
            f"/messages/{direct.pk}/envoyer/",
            {"body": "Intrusion", "client_key": str(uuid.uuid4())},
        )
        assert response.status_code == 404
    assert client_for(outsider).get("/messages/999999/").status_code == 404
    assert not Message.objects.filter(body="Intrusion").exists()


def test_citizens_have_no_messaging_page_nor_entry(citizen, client_for):
    client = client_for(citizen)
    assert client.get("/messages/").status_code == 404
    assert send(client, "/messages/nouveau/", {"person": "1"}).status_code == 404
    home = client.get("/")
    assert "/messages/" not in home.content.decode()


def test_the_inbox_lists_unread_first_with_preview_and_counts(
    agnes, elected, make_user, client_for
):
    bruno = make_user(User.Kind.STAFF, display_name="Bruno Bureau")
    read = services.start_direct(actor=agnes, person=bruno)
    say(bruno, read, "Dossier envoyé")
    services.mark_read(actor=agnes, conversation=read)
    unread = services.start_direct(actor=agnes, person=elected)
    say(elected, unread, "Premier point")
    say(elected, unread, "Second point à voir ensemble")
    # The read conversation is more recent, yet the unread one comes first.
    say(agnes, read, "Merci Bruno")

    response = client_for(agnes).get("/messages/")
    assert response.status_code == 200
    page = text(response)
    assert page.index("Élise Élue") < page.index("Bruno Bureau")
    assert "Élise Élue : Second point à voir ensemble" in page
    assert "Vous : Merci Bruno" in page
    assert "2 non lus" in page
    # The navigation badge counts every unread message.
    assert re.search(
        r"Messages\s*<span[^>]*data-unread-badge>\s*<span data-unread-total>2<",
        response.content.decode(),
    )


def test_without_javascript_a_send_works_once_even_when_the_form_is_resubmitted(
    direct, agnes, elected, client_for
):
    client = client_for(elected)
    key = str(uuid.uuid4())
    form = {"body": "Je confirme **jeudi**.", "client_key": key}
    first = send(client, f"/messages/{direct.pk}/envoyer/", form)
    assert first.status_code == 302
    assert first["Location"] == f"/messages/{direct.pk}/"
    again = send(client, f"/messages/{direct.pk}/envoyer/", form)
    assert again.status_code == 302
    assert Message.objects.filter(conversation=direct, author=elected).count() == 1
    page = client.get(f"/messages/{direct.pk}/")
    assert "<strong>jeudi</strong>" in page.content.decode()
    # Each render of the composer carries a fresh key.
    keys = re.findall(r'name="client_key" value="([^"]+)"', page.content.decode())
    assert len(keys) == 1
    assert keys[0] != key
    # Agnès has one unread message.
    assert selectors.unread_total(agnes) == 1


def test_an_empty_or_keyless_send_is_refused_in_french_and_changes_nothing(
    direct, elected, client_for
):
    client = client_for(elected)
    before = Message.objects.count()
    empty = send(
        client, f"/messages/{direct.pk}/envoyer/", {"body": "  ", "client_key": str(uuid.uuid4())}
    )
    assert empty.status_code == 400
    assert "Le message est vide." in text(empty)
    keyless = send(
        client, f"/messages/{direct.pk}/envoyer/", {"body": "Bonjour", "client_key": "x"}
    )
    assert keyless.status_code == 400
    assert "Le formulaire contient" in text(keyless)
    assert Message.objects.count() == before


def test_the_start_form_opens_the_one_direct_conversation_or_creates_a_group(
    agnes, elected, make_user, client_for
):
    bruno = make_user(User.Kind.STAFF, display_name="Bruno Bureau")
    client = client_for(agnes)
    picker = client.get("/messages/")
    assert "Élise Élue (@" in text(picker)
    first = send(client, "/messages/nouveau/", {"person": elected.pk})
    assert first.status_code == 302
    again = send(client, "/messages/nouveau/", {"person": elected.pk})
    assert again["Location"] == first["Location"]
    assert Conversation.objects.filter(kind="direct").count() == 1

    group = send(
        client,
        "/messages/nouveau/",
        {"title": "Salon de l’emploi", "people": [elected.pk, bruno.pk]},
    )
    assert group.status_code == 302
    conversation = Conversation.objects.get(kind="group")
    assert group["Location"] == f"/messages/{conversation.pk}/"
    assert conversation.title == "Salon de l’emploi"
    assert {p.user_id for p in conversation.participants.all()} == {agnes.pk, elected.pk, bruno.pk}


def test_the_start_form_refuses_nobody_a_citizen_or_a_group_without_title(
    agnes, elected, citizen, client_for
):
    client = client_for(agnes)
    nobody = send(client, "/messages/nouveau/", {})
    assert nobody.status_code == 400
    assert "Choisissez une personne" in text(nobody)
    stranger = send(client, "/messages/nouveau/", {"person": citizen.pk})
    assert stranger.status_code == 400
    no_title = send(client, "/messages/nouveau/", {"people": [elected.pk]})
    assert no_title.status_code == 400
    assert "Donnez un titre à la conversation." in text(no_title)
    assert not Conversation.objects.exists()


def test_a_profile_offers_to_send_a_message_only_to_whom_one_may_write(
    agnes, elected, citizen, external, client_for
):
    client = client_for(agnes)
    assert "Envoyer un message" in text(client.get(f"/annuaire/{elected.pk}/"))
    # An external member who shares no group with Agnès; and her own profile.
    assert "Envoyer un message" not in text(client.get(f"/annuaire/{agnes.pk}/"))
    response = client.get(f"/annuaire/{external.pk}/")
    assert "Envoyer un message" not in text(response)


def test_older_messages_are_one_link_away(direct, agnes, client_for):
    for n in range(selectors.PAGE + 5):
        say(agnes, direct, f"Message numéro {n:03d}")
    client = client_for(agnes)
    latest = client.get(f"/messages/{direct.pk}/")
    assert "Messages précédents" in text(latest)
    assert "Message numéro 004" not in text(latest)
    first_shown = re.search(r'data-before="(\d+)"', latest.content.decode()).group(1)
    older = client.get(f"/messages/{direct.pk}/?before={first_shown}")
    assert "Message numéro 004" in text(older)
    assert "la réunion tient toujours" in text(older)


def test_the_inbox_costs_the_same_number_of_queries_for_few_or_many_conversations(
    agnes, make_user, client_for
):
    client = client_for(agnes)

    def grow(to: int) -> None:
        while Conversation.objects.count() < to:
            person = make_user(User.Kind.STAFF)
            conversation = services.start_direct(actor=person, person=agnes)
            say(person, conversation, "Bonjour")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/messages/").status_code == 200
        return len(queries)

    grow(2)
    few = count()
    grow(12)
    many = count()
    assert many == few, f"{few} queries for 2 conversations, {many} for 12"


def test_a_group_feed_carries_its_live_banner_region_for_members_only(agnes, external, client_for):
    group = GroupFactory(name="Le Garage", slug="le-garage", created_by=agnes)
    page = client_for(agnes).get("/groupes/le-garage/")
    assert f'data-live-feed="{group.pk}"' in page.content.decode()
    assert 'src="/static/js/feed.js"' in page.content.decode()
    private = GroupFactory(slug="prive", visibility="private", created_by=agnes)
    refused = client_for(external).get(f"/groupes/{private.slug}/")
    assert "data-live-feed" not in refused.content.decode()


def test_files_sent_with_a_message_are_linked_in_the_thread(direct, agnes, elected, client_for):
    from files import services as file_services
    from tests.files.conftest import png_bytes, upload

    plan = file_services.create_file(owner=agnes, incoming=upload("plan.png", png_bytes()))
    services.send_message(
        author=agnes,
        conversation=direct,
        body="Le plan du stand",
        client_key=uuid.uuid4(),
        attachments=[plan],
    )
    html = client_for(elected).get(f"/messages/{direct.pk}/").content.decode()
    assert f'<a href="/fichiers/{plan.pk}/">plan.png</a>' in html
    assert client_for(elected).get(f"/fichiers/{plan.pk}/telecharger/").status_code == 200


def test_without_javascript_a_message_carries_files_chosen_among_ones_own(
    direct, agnes, elected, make_user, client_for
):
    plan = file_services.create_file(owner=elected, incoming=upload("plan.png", png_bytes()))
    client = client_for(elected)
    composer = client.get(f"/messages/{direct.pk}/").content.decode()
    assert re.search(rf'<option value="{plan.pk}">\s*plan.png\s*</option>', composer)
    assert "Joindre de vos fichiers" in composer
    form = {"body": "Le plan, comme promis.", "client_key": str(uuid.uuid4())}
    response = send(client, f"/messages/{direct.pk}/envoyer/", {**form, "attachments": plan.pk})
    assert response.status_code == 302
    message = Message.objects.get(conversation=direct, author=elected)
    assert list(message.attachments.all()) == [plan]
    # The other participant sees it with the message and may open it; nobody else may.
    other = client_for(agnes)
    assert f'href="/fichiers/{plan.pk}/"' in other.get(f"/messages/{direct.pk}/").content.decode()
    assert other.get(f"/fichiers/{plan.pk}/").status_code == 200
    assert other.get(f"/fichiers/{plan.pk}/telecharger/").status_code == 200
    third = client_for(make_user(User.Kind.STAFF))
    assert third.get(f"/fichiers/{plan.pk}/").status_code == 404
    assert third.get(f"/fichiers/{plan.pk}/telecharger/").status_code == 404


def test_a_file_that_is_not_ones_own_refuses_the_message_in_french(
    direct, agnes, elected, client_for
):
    theirs = file_services.create_file(owner=agnes, incoming=upload("a.png", png_bytes()))
    mine = file_services.create_file(owner=elected, incoming=upload("b.png", png_bytes()))
    client = client_for(elected)
    before = Message.objects.count()
    refused = send(
        client,
        f"/messages/{direct.pk}/envoyer/",
        {"body": "Voici", "client_key": str(uuid.uuid4()), "attachments": [mine.pk, theirs.pk]},
    )
    assert refused.status_code == 400
    assert "vous ne pouvez joindre que vos propres fichiers" in text(refused)
    assert 'aria-invalid="true"' in refused.content.decode()
    malformed = send(
        client,
        f"/messages/{direct.pk}/envoyer/",
        {"body": "Voici", "client_key": str(uuid.uuid4()), "attachments": "x1"},
    )
    assert malformed.status_code == 400
    assert "Un fichier joint n’est pas valide" in text(malformed)
    assert Message.objects.count() == before
    assert not mine.shares.exists()
