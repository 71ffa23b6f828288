"""The meeting pages: who sees them, what their forms accept and refuse (in French, changing
nothing), the decisions register, .ics files and the private calendar feed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meetings import services
from meetings.models import AgendaItem, CalendarToken, Decision, Invitation, Meeting, Opinion
from social.models import Comment, Post
from tests.meetings.test_api import api

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def add_items(world, meeting: Meeting, titles) -> list[AgendaItem]:
    return [
        services.add_item(actor=world.users["owner"], meeting=meeting, title=title)
        for title in titles
    ]


# --- Seeing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "viewer", ["owner", "manager", "staff_member", "elected_invited", "staff_outsider"]
)
def test_the_meeting_page_renders_for_who_may_see_it(world, viewer):
    meeting = world.meetings["public"]
    add_items(world, meeting, ["Budget de la pépinière"])
    response = client_as(world.users[viewer]).get(page(meeting))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Réunion public" in html
    assert "Budget de la pépinière" in html
    assert "Ajouter à mon agenda" in html


@pytest.mark.parametrize(
    "viewer", ["staff_outsider", "elected_other", "external_outsider", "external_member", "citizen"]
)
def test_a_meeting_of_a_private_group_is_404_for_outsiders(world, viewer):
    meeting = world.meetings["private"]
    client = client_as(world.users[viewer])
    for url in (
        page(meeting),
        reverse("meetings:ics", args=[meeting.pk]),
        reverse("meetings:synthesis", args=[meeting.pk]),
        reverse("meetings:synthesis_pdf", args=[meeting.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_an_invited_elected_official_sees_the_meeting_of_a_group_they_cannot_read(world):
    response = client_as(world.users["elected_invited"]).get(page(world.meetings["private"]))
    assert response.status_code == 200
    assert "Ma préparation" in response.content.decode()


def test_opening_the_page_marks_the_agenda_read(world):
    meeting = world.meetings["private"]
    member = world.users["staff_member"]
    client_as(member).get(page(meeting))
    assert Invitation.objects.get(meeting=meeting, user=member).agenda_read_at is not None


def test_positions_and_the_preparation_panel_are_for_participants_and_managers(world):
    meeting = world.meetings["public"]
    (item,) = add_items(world, meeting, ["Signalétique"])
    services.set_opinion(actor=world.users["staff_member"], item=item, position="contre")
    organiser = client_as(world.users["owner"]).get(page(meeting)).content.decode()
    assert "Préparation des participants" in organiser
    assert "Relancer" in organiser
    assert "Positions (1 avis)" in organiser
    outsider = client_as(world.users["staff_outsider"]).get(page(meeting)).content.decode()
    assert "Préparation des participants" not in outsider
    assert "Positions (" not in outsider
    assert "Votre position" not in outsider


def test_a_fragment_is_served_for_the_live_refresh(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Voirie"])
    client = client_as(world.users["staff_member"])
    response = client.get(page(meeting) + "?fragment=agenda", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="ordre-du-jour"')
    response = client.get(reverse("meetings:item", args=[meeting.pk, item.pk]))
    assert f'id="point-{item.pk}"' in response.content.decode()
    other = world.meetings["public"]
    assert client.get(reverse("meetings:item", args=[other.pk, item.pk])).status_code == 404


# --- The group tab and the creation form ---------------------------------------------------


def test_the_group_tab_lists_meetings_and_offers_creation_to_who_may(world):
    group = world.groups["garage"]
    url = reverse("meetings:group", args=[group.slug])
    html = client_as(world.users["owner"]).get(url).content.decode()
    assert "Réunion garage" in html
    assert "Nouvelle réunion" in html
    html = client_as(world.users["external_member"]).get(url).content.decode()
    assert "Réunion garage" in html
    assert "Nouvelle réunion" not in html
    assert client_as(world.users["external_outsider"]).get(url).status_code == 404


def _meeting_post(world, **changes):
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = {
        "title": "Comité de pilotage",
        "day": day,
        "starts": "14:00",
        "ends": "16:00",
        "place": "Salle Jean Moulin",
        "video_url": "",
        "description": "",
        "participants": [world.users["staff_member"].pk, world.users["elected_other"].pk],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Ce champ est obligatoire."),
        ({"ends": "13:00"}, "La réunion doit finir après son début."),
        ({"place": ""}, "Indiquez un lieu ou un lien de visioconférence."),
        ({"video_url": "http://visio.example.test"}, "doit être une adresse https://"),
        ({"day": "31/02/2026"}, "Saisissez une date valide."),
        ({"participants": [999999]}, "Sélectionnez un choix valide"),
    ],
)
def test_the_creation_form_refuses_bad_input_in_french_and_creates_nothing(world, changes, message):
    group = world.groups["public"]
    before = Meeting.objects.count()
    response = client_as(world.users["owner"]).post(
        reverse("meetings:create", args=[group.slug]), _meeting_post(world, **changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Meeting.objects.count() == before


def test_a_meeting_is_created_with_its_invitees(world):
    group = world.groups["public"]
    response = client_as(world.users["owner"]).post(
        reverse("meetings:create", args=[group.slug]), _meeting_post(world)
    )
    meeting = Meeting.objects.get(title="Comité de pilotage")
    assert response.status_code == 302
    assert response["Location"] == page(meeting)
    invited = set(meeting.invitations.values_list("user_id", flat=True))
    assert invited == {
        world.users["owner"].pk,
        world.users["staff_member"].pk,
        world.users["elected_other"].pk,
    }


def test_who_may_not_create_gets_403(world):
    group = world.groups["garage"]
    client = client_as(world.users["external_member"])
    assert client.get(reverse("meetings:create", args=[group.slug])).status_code == 403


# --- Preparation ---------------------------------------------------------------------------


def test_a_participant_gives_and_changes_a_position(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Éclairage public"])
    client = client_as(world.users["staff_member"])
    url = reverse("meetings:opinion", args=[meeting.pk, item.pk])
    prefix = f"item{item.pk}-"
    response = client.post(url, {prefix + "position": "pour", prefix + "argument": "Économies"})
    assert response.status_code == 302
    response = client.post(
        url,
        {prefix + "position": "reserve", prefix + "argument": "À chiffrer"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Votre position est enregistrée." in html
    assert html.lstrip().startswith(f'<li id="point-{item.pk}"')
    opinion = Opinion.objects.get(item=item, user=world.users["staff_member"])
    assert (opinion.position, opinion.argument) == ("reserve", "À chiffrer")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"position": "peut-être"}, "Sélectionnez un choix valide"),
        ({"position": ""}, "Ce champ est obligatoire."),
        ({"position": "pour", "argument": "x" * 1001}, "au plus 1000 caractères"),
    ],
)
def test_a_bad_position_is_refused_in_french_and_changes_nothing(world, data, message):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Éclairage public"])
    prefix = f"item{item.pk}-"
    response = client_as(world.users["staff_member"]).post(
        reverse("meetings:opinion", args=[meeting.pk, item.pk]),
        {prefix + k: v for k, v in data.items()},
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert not Opinion.objects.filter(item=item).exists()


def test_positions_are_frozen_once_the_meeting_has_started(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Éclairage public"])
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    client = client_as(world.users["staff_member"])
    html = client.get(page(meeting)).content.decode()
    assert "les positions ne peuvent plus être modifiées" in html
    prefix = f"item{item.pk}-"
    response = client.post(
        reverse("meetings:opinion", args=[meeting.pk, item.pk]), {prefix + "position": "pour"}
    )
    assert response.status_code == 400
    assert "La réunion a commencé" in response.content.decode()
    assert not Opinion.objects.filter(item=item).exists()


def test_who_may_not_see_the_meeting_cannot_give_a_position(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Éclairage public"])
    response = client_as(world.users["staff_outsider"]).post(
        reverse("meetings:opinion", args=[meeting.pk, item.pk]),
        {f"item{item.pk}-position": "pour"},
    )
    assert response.status_code == 404
    assert not Opinion.objects.exists()


def test_the_ready_toggle(world):
    meeting = world.meetings["private"]
    member = world.users["staff_member"]
    client = client_as(member)
    url = reverse("meetings:ready", args=[meeting.pk])
    response = client.post(url, {"ready": "1"}, headers={"HX-Request": "true"})
    assert "vous êtes prêt·e" in response.content.decode()
    assert Invitation.objects.get(meeting=meeting, user=member).ready_at is not None
    client.post(url, {"ready": "0"})
    assert Invitation.objects.get(meeting=meeting, user=member).ready_at is None
    assert client_as(world.users["manager"]).post(url, {"ready": "1"}).status_code == 403


def test_the_reminder_answers_in_french(world, mailoutbox):
    meeting = world.meetings["private"]
    client = client_as(world.users["owner"])
    response = client.post(reverse("meetings:remind", args=[meeting.pk]), follow=True)
    html = response.content.decode()
    assert "Rappel envoyé à 2 personnes" in html
    assert "Élise" in html
    assert "Marie" in html
    response = client.post(reverse("meetings:remind", args=[meeting.pk]), follow=True)
    assert "Un rappel a déjà été envoyé il y a moins d&#x27;une heure" in response.content.decode()
    assert (
        client_as(world.users["staff_member"])
        .post(reverse("meetings:remind", args=[meeting.pk]))
        .status_code
        == 403
    )


# --- The thread ----------------------------------------------------------------------------


def test_a_question_then_a_reply_in_an_items_thread(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Marché couvert"])
    url = reverse("meetings:comment", args=[meeting.pk, item.pk])
    prefix = f"item{item.pk}-"
    client_as(world.users["staff_member"]).post(
        url, {prefix + "body": "Quel budget ?", prefix + "is_question": "on"}
    )
    question = Comment.objects.get(item=item)
    assert question.is_question
    html = client_as(world.users["owner"]).get(page(meeting)).content.decode()
    assert "Question ouverte" in html
    response = client_as(world.users["owner"]).post(
        url,
        {prefix + "body": "40 000 €", prefix + "reply_to": question.pk},
        headers={"HX-Request": "true"},
    )
    assert "Votre commentaire est publié." in response.content.decode()
    reply = Comment.objects.get(item=item, reply_to=question)
    assert reply.body == "40 000 €"
    assert (
        "Question répondue" in client_as(world.users["owner"]).get(page(meeting)).content.decode()
    )


def test_an_empty_comment_is_refused_in_french(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Marché couvert"])
    response = client_as(world.users["staff_member"]).post(
        reverse("meetings:comment", args=[meeting.pk, item.pk]), {f"item{item.pk}-body": ""}
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not Comment.objects.filter(item=item).exists()


def test_a_reply_to_a_comment_of_another_thread_is_refused(world):
    meeting = world.meetings["private"]
    first, second = add_items(world, meeting, ["Un", "Deux"])
    from social import services as social_services

    other = social_services.add_comment(author=world.users["owner"], body="Ailleurs", item=first)
    prefix = f"item{second.pk}-"
    response = client_as(world.users["staff_member"]).post(
        reverse("meetings:comment", args=[meeting.pk, second.pk]),
        {prefix + "body": "Réponse", prefix + "reply_to": other.pk},
    )
    assert response.status_code == 400
    assert "Ce commentaire n" in response.content.decode()
    assert not Comment.objects.filter(item=second).exists()


# --- The organiser's tools -----------------------------------------------------------------


def test_the_organiser_adds_edits_moves_and_removes_items(world):
    meeting = world.meetings["private"]
    client = client_as(world.users["owner"])
    add = reverse("meetings:add_item", args=[meeting.pk])
    response = client.post(add, {"new-title": "", "new-description": ""})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not meeting.items.exists()
    for title in ("Premier", "Deuxième", "Troisième"):
        assert client.post(add, {"new-title": title}).status_code == 302
    first, second, third = meeting.items.order_by("position")
    client.post(
        reverse("meetings:edit_item", args=[meeting.pk, first.pk]),
        {f"edit{first.pk}-title": "Premier point", f"edit{first.pk}-description": "**Gras**"},
    )
    first.refresh_from_db()
    assert first.title == "Premier point"
    assert "<strong>" in first.description_html
    client.post(reverse("meetings:move_item", args=[meeting.pk, third.pk]), {"position": "0"})
    assert list(meeting.items.order_by("position").values_list("title", flat=True)) == [
        "Troisième",
        "Premier point",
        "Deuxième",
    ]
    response = client.post(
        reverse("meetings:move_item", args=[meeting.pk, third.pk]), {"position": "7"}, follow=True
    )
    assert "Cette position n" in response.content.decode()
    client.post(reverse("meetings:remove_item", args=[meeting.pk, second.pk]))
    assert meeting.items.count() == 2
    # A participant may not reorganise the agenda.
    member = client_as(world.users["staff_member"])
    assert member.post(add, {"new-title": "Intrus"}).status_code == 403
    response = member.post(
        reverse("meetings:remove_item", args=[meeting.pk, first.pk]),
    )
    assert response.status_code == 403
    assert meeting.items.count() == 2


def test_the_synthesis_of_an_item_is_edited_by_the_organiser(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Parking"])
    client = client_as(world.users["owner"])
    url = reverse("meetings:edit_synthesis", args=[meeting.pk, item.pk])
    response = client.post(url, {f"synth{item.pk}-text": "x" * 10_001})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.synthesis_text == ""
    client.post(url, {f"synth{item.pk}-text": "Consensus pour l’option B."})
    item.refresh_from_db()
    assert item.synthesis_text == "Consensus pour l’option B."


def test_attendance_decisions_hold_and_close(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Voirie"])
    owner, member = world.users["owner"], world.users["staff_member"]
    client = client_as(owner)
    response = client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {f"presence-{member.pk}": "peut-être"},
        follow=True,
    )
    assert "Présence : oui, non ou inconnue." in response.content.decode()
    client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {f"presence-{member.pk}": "oui", f"presence-{owner.pk}": "non"},
    )
    assert Invitation.objects.get(meeting=meeting, user=member).attended is True
    assert Invitation.objects.get(meeting=meeting, user=owner).attended is False

    decide = reverse("meetings:add_decision", args=[meeting.pk])
    response = client.post(decide, {"text": "", "owner": member.pk})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    response = client.post(
        decide, {"text": "Refaire le marquage", "owner": world.users["staff_outsider"].pk}
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Decision.objects.exists()
    client.post(
        decide,
        {
            "text": "Refaire le marquage",
            "owner": member.pk,
            "due_on": "2027-03-01",
            "item": item.pk,
        },
    )
    decision = Decision.objects.get()
    assert (decision.owner, decision.item, str(decision.due_on)) == (member, item, "2027-03-01")

    assert client_as(member).post(reverse("meetings:hold", args=[meeting.pk])).status_code == 403
    client.post(reverse("meetings:hold", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    client.post(reverse("meetings:close", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert Post.objects.filter(pk=meeting.minutes_post_id, group=meeting.group).exists()
    html = client.get(page(meeting)).content.decode()
    assert "Compte rendu publié dans le fil du groupe" in html
    assert "Conduite de la réunion" not in html


def test_cancelling_a_meeting(world):
    meeting = world.meetings["private"]
    client_as(world.users["owner"]).post(reverse("meetings:cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.is_cancelled


# --- Synthesis page ------------------------------------------------------------------------


def test_the_synthesis_page_groups_arguments_and_lists_open_questions(world):
    meeting = world.meetings["private"]
    (item,) = add_items(world, meeting, ["Éclairage"])
    services.set_opinion(
        actor=world.users["staff_member"], item=item, position="pour", argument="Sécurité"
    )
    services.set_opinion(
        actor=world.users["elected_invited"], item=item, position="contre", argument="Coût"
    )
    from social import services as social_services

    social_services.add_comment(
        author=world.users["staff_member"], body="Quel calendrier ?", item=item, is_question=True
    )
    response = client_as(world.users["elected_invited"]).get(
        reverse("meetings:synthesis", args=[meeting.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Arguments « Pour »" in html
    assert "Sécurité" in html
    assert "Arguments « Contre »" in html
    assert "Coût" in html
    assert "Questions restées ouvertes" in html
    assert "Quel calendrier ?" in html
    assert "Télécharger en PDF" in html
    # Who may see the meeting but not the positions (a public group's reader) gets 403, on
    # the page, its PDF and the API alike.
    reader = world.users["staff_outsider"]
    public = world.meetings["public"]
    for url in (
        reverse("meetings:synthesis", args=[public.pk]),
        reverse("meetings:synthesis_pdf", args=[public.pk]),
        f"/api/v1/meetings/{public.pk}/synthesis",
    ):
        client = api(reader) if url.startswith("/api/") else client_as(reader)
        assert client.get(url).status_code == 403, url


# --- Decisions register --------------------------------------------------------------------


def _decide(world, meeting, text, owner="staff_member", due_on=None):
    return services.add_decision(
        actor=world.users["owner"],
        meeting=meeting,
        text=text,
        owner=world.users[owner],
        due_on=due_on,
    )


def test_the_register_filters_and_marks_overdue_in_words(world):
    late = _decide(
        world,
        world.meetings["private"],
        "Relancer la DDT",
        due_on=timezone.localdate() - timedelta(days=3),
    )
    _decide(world, world.meetings["public"], "Publier le compte rendu", owner="manager")
    _decide(world, world.meetings["garage"], "Visite du Garage")
    client = client_as(world.users["staff_member"])
    html = client.get(reverse("meetings:decisions")).content.decode()
    assert "3 décisions" in html
    assert "en retard" in html
    assert (
        client.get(reverse("meetings:decisions") + "?overdue=on")
        .content.decode()
        .count('class="decision decision--overdue"')
        == 1
    )
    html = client.get(
        reverse("meetings:decisions") + f"?owner={world.users['manager'].pk}"
    ).content.decode()
    assert "Publier le compte rendu" in html
    assert "Relancer la DDT" not in html
    html = client.get(reverse("meetings:decisions") + "?status=fait").content.decode()
    assert "0 décision" in html
    # Unknown filter values are ignored, never an error.
    assert client.get(reverse("meetings:decisions") + "?status=zzz&owner=abc").status_code == 200
    # The register shows only what the user may see.
    html = client_as(world.users["external_member"]).get(reverse("meetings:decisions"))
    html = html.content.decode()
    assert "Visite du Garage" in html
    assert "Relancer la DDT" not in html
    group_page = client.get(reverse("meetings:group_decisions", args=["private"])).content.decode()
    assert "Relancer la DDT" in group_page
    assert "Visite du Garage" not in group_page
    assert f'href="/meetings/{late.meeting_id}/"' in group_page


def test_the_owner_updates_a_decision_with_a_comment_and_the_history_shows(world):
    decision = _decide(world, world.meetings["private"], "Relancer la DDT")
    url = reverse("meetings:decision", args=[decision.pk])
    owner = client_as(world.users["staff_member"])
    response = owner.post(url, {"status": "a_faire", "comment": ""})
    assert response.status_code == 400
    assert "Indiquez un commentaire ou un nouveau statut." in response.content.decode()
    response = owner.post(url, {"status": "inconnu", "comment": "?"})
    assert response.status_code == 400
    decision.refresh_from_db()
    assert decision.status == "a_faire"
    assert not decision.updates.exists()
    owner.post(url, {"status": "en_cours", "comment": "Courrier envoyé le 3."})
    html = owner.get(url).content.decode()
    assert "Courrier envoyé le 3." in html
    assert "En cours" in html
    # Someone who may see it but not update it: no form, and a POST is refused.
    reader = client_as(world.users["elected_invited"])
    assert "Mettre à jour le suivi" not in reader.get(url).content.decode()
    assert reader.post(url, {"status": "fait"}).status_code == 403
    assert client_as(world.users["staff_outsider"]).get(url).status_code == 404


# --- Calendars -----------------------------------------------------------------------------


def test_the_meeting_ics_parses(world):
    meeting = world.meetings["private"]
    response = client_as(world.users["staff_member"]).get(
        reverse("meetings:ics", args=[meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Réunion private"


def test_the_private_feed_is_created_revoked_and_needs_no_cookie(world):
    member = world.users["staff_member"]
    client = client_as(member)
    response = client.post(reverse("meetings:calendar_settings"))
    html = response.content.decode()
    assert "Copiez-la maintenant" in html
    token = CalendarToken.objects.get(user=member)
    start = html.index("/calendar/cal_")
    address = html[start : html.index('"', start)]
    feed = Client().get(address)  # no session
    assert feed.status_code == 200
    assert not feed.cookies
    summaries = {str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert summaries == {"Réunion public", "Réunion private", "Réunion unlisted", "Réunion garage"}
    assert Client().get("/calendar/cal_inconnu.ics").status_code == 404
    client.post(reverse("meetings:revoke_calendar", args=[token.pk]))
    assert Client().get(address).status_code == 404
    # Someone else's token cannot be revoked through this page.
    other = services.create_calendar_token(user=world.users["manager"])[0]
    assert client.post(reverse("meetings:revoke_calendar", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_citizens_have_no_calendar_page(world):
    assert (
        client_as(world.users["citizen"]).get(reverse("meetings:calendar_settings")).status_code
        == 403
    )


# --- Query counts --------------------------------------------------------------------------


def _busy_meeting(world, meeting, n):
    items = add_items(world, meeting, [f"Point {i}" for i in range(n)])
    from social import services as social_services

    for item in items:
        for who, position in (("staff_member", "pour"), ("elected_invited", "contre")):
            services.set_opinion(actor=world.users[who], item=item, position=position, argument="A")
        question = social_services.add_comment(
            author=world.users["staff_member"], body="Question ?", item=item, is_question=True
        )
        social_services.add_comment(
            author=world.users["owner"], body="Réponse", item=item, reply_to=question
        )
    _decide(world, meeting, "Décision", due_on=timezone.localdate())
    return items


# The meeting page reads a fixed number of queries (session, user, meeting, policy checks,
# agenda, synthesis, threads, files, forms' options...), whatever the size of the agenda.
MEETING_PAGE_QUERIES = {"owner": 26, "staff_member": 27}
REGISTER_QUERIES = 8


@pytest.mark.parametrize("viewer", ["owner", "staff_member"])
def test_the_meeting_page_costs_the_same_queries_whatever_the_agenda(
    world, viewer, django_assert_max_num_queries
):
    small, large = world.meetings["private"], world.meetings["public"]
    _busy_meeting(world, small, 2)
    _busy_meeting(world, large, 12)
    client = client_as(world.users[viewer])
    counts = []
    for meeting in (small, large):
        client.get(page(meeting))  # the first visit also marks the agenda read
        with django_assert_max_num_queries(MEETING_PAGE_QUERIES[viewer]) as queries:
            response = client.get(page(meeting))
            counts.append(len(queries))
        assert response.status_code == 200
    assert "Point 11" in response.content.decode()
    assert counts[0] == counts[1]


def test_the_register_costs_the_same_queries_whatever_its_size(
    world, django_assert_max_num_queries
):
    client = client_as(world.users["staff_member"])
    for i in range(3):
        _decide(world, world.meetings["private"], f"Décision {i}")
    with django_assert_max_num_queries(REGISTER_QUERIES) as queries:
        response = client.get(reverse("meetings:decisions"))
        few = len(queries)
    assert "3 décisions" in response.content.decode()
    for i in range(20):
        _decide(world, world.meetings["garage"], f"Autre {i}", owner="manager")
    with django_assert_max_num_queries(REGISTER_QUERIES) as queries:
        response = client.get(reverse("meetings:decisions"))
        many = len(queries)
    assert "23 décisions" in response.content.decode()
    assert few == many
