"""Each event worth a notification makes one, for the right people, after commit only."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from consultations import services as consultation_services
from groups import services as group_services
from meetings import services as meeting_services
from messaging import services as messaging_services
from notifications import rendering, tasks
from notifications.models import Notification
from realtime import presence
from social import services as social_services
from tests.consultations.conftest import contribute
from tests.notifications.conftest import innovation_committee, notes

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def post(author, group, body="Point d'étape sur le projet de tiers-lieu."):
    return social_services.create_post(author=author, group=group, body=body)


def test_a_mention_in_a_post_notifies_the_person_after_commit_only(agency, committed):
    with committed() as callbacks:
        found = post(agency.anne, agency.innovation, "Qu'en penses-tu @bruno ?")
        assert notes(agency.bruno) == []  # nothing before commit
    assert callbacks
    (mention,) = notes(agency.bruno)
    assert (mention.kind, mention.post_id, mention.actor_id) == (
        Kind.MENTION,
        found.pk,
        agency.anne.pk,
    )
    assert rendering.text(mention) == "Anne Martin vous a mentionné : « Qu'en penses-tu @bruno ? »"
    assert rendering.url(mention) == f"/publications/{found.pk}/"
    assert notes(agency.anne) == []  # nobody is told of their own post


def test_an_edit_tells_only_the_newly_mentioned(agency, committed):
    with committed():
        found = post(agency.anne, agency.innovation, "Bonjour @bruno")
    with committed():
        social_services.edit_post(actor=agency.anne, post=found, body="Bonjour @bruno et @chloe")
    assert len(notes(agency.bruno, Kind.MENTION)) == 1
    assert len(notes(agency.chloe, Kind.MENTION)) == 1


def test_a_comment_mentions_and_replies_to_the_author_and_to_the_thread(agency, committed):
    found = post(agency.anne, agency.innovation)
    with committed():
        first = social_services.add_comment(author=agency.bruno, post=found, body="D'accord.")
    (reply,) = notes(agency.anne, Kind.REPLY)
    assert reply.comment_id == first.pk
    assert rendering.url(reply) == f"/publications/{found.pk}/#commentaire-{first.pk}"
    with committed():
        second = social_services.add_comment(
            author=agency.chloe, post=found, body="Moi aussi, @paul viendra ?"
        )
    # Anne's unread reply now counts two people; Bruno commented the thread; Paul is mentioned.
    (reply,) = notes(agency.anne, Kind.REPLY)
    assert (reply.actor_count, reply.comment_id) == (2, second.pk)
    assert rendering.text(reply).startswith("Chloé Roux et 1 autre ont répondu")
    assert [n.kind for n in notes(agency.bruno)] == [Kind.REPLY]
    assert [n.kind for n in notes(agency.paul)] == [Kind.MENTION]
    assert notes(agency.chloe) == []


def test_likes_are_grouped_as_anne_and_three_others(agency, make_user, committed):
    found = post(agency.paul, None, "Une idée pour le salon.")
    likers = [agency.anne, agency.bruno, agency.chloe, make_user(display_name="Denis Dupont")]
    for person in likers:
        with committed():
            social_services.react(actor=person, post=found)
    with committed():  # liking again (or another reaction of the same person) adds nobody
        social_services.unreact(actor=agency.anne, post=found)
        social_services.react(actor=agency.anne, post=found)
    (like,) = notes(agency.paul)
    assert like.actor_count == 4
    assert rendering.text(like) == (
        "Anne Martin et 3 autres aiment votre publication « Une idée pour le salon. »"
    )
    # Once read, the next like starts a new notification.
    Notification.objects.filter(pk=like.pk).update(read_at=timezone.now())
    with committed():
        social_services.react(actor=agency.elise, post=found)
    assert [n.actor_count for n in notes(agency.paul)] == [4, 1]


def test_a_join_request_tells_the_managers_and_its_approval_the_requester(agency, committed):
    with committed():
        request = group_services.join_group(actor=agency.paul, group=agency.garage)
    (asked,) = notes(agency.anne)
    assert asked.kind == Kind.JOIN_REQUEST
    assert rendering.url(asked) == "/groupes/le-garage/demandes/"
    assert notes(agency.bruno) == []  # a mere member decides nothing
    with committed():
        group_services.decide_join_request(
            actor=agency.anne, request_id=request.pk, group=agency.garage, approve=True
        )
    (approved,) = notes(agency.paul)
    assert approved.kind == Kind.JOIN_APPROVED
    assert rendering.text(approved) == "Votre demande pour rejoindre « Le Garage » est acceptée"


def test_an_invitation_to_a_group_tells_an_existing_account(agency, committed):
    with committed():
        group_services.invite(actor=agency.anne, group=agency.garage, email=agency.paul.email)
    (invited,) = notes(agency.paul)
    assert invited.kind == Kind.GROUP_INVITATION
    assert "vous invite dans le groupe « Le Garage »" in rendering.text(invited)


def test_meeting_invitation_reminder_and_decision_assigned(agency, committed):
    with committed():
        meeting = innovation_committee(agency, [agency.bruno, agency.elise])
    assert [n.kind for n in notes(agency.bruno)] == [Kind.MEETING_INVITATION]
    assert [n.kind for n in notes(agency.elise)] == [Kind.MEETING_INVITATION]
    assert notes(agency.anne) == []
    with committed():
        meeting_services.send_reminder(actor=agency.anne, meeting=meeting)
    assert [n.kind for n in notes(agency.bruno)][-1] == Kind.MEETING_REMINDER
    with committed():
        decision = meeting_services.add_decision(
            actor=agency.anne,
            meeting=meeting,
            text="Lancer l'appel à projets",
            owner=agency.bruno,
            due_on=timezone.localdate() - timedelta(days=1),
        )
    assigned = notes(agency.bruno, Kind.DECISION_ASSIGNED)
    assert [n.decision_id for n in assigned] == [decision.pk]
    assert rendering.url(assigned[0]) == f"/decisions/{decision.pk}/"
    # Past its due date: the morning job tells its owner once.
    with committed():
        assert tasks.notify_overdue_decisions.delay().get() == 1
        assert tasks.notify_overdue_decisions.delay().get() == 0
    assert len(notes(agency.bruno, Kind.DECISION_OVERDUE)) == 1


def test_a_message_tells_only_offline_participants_once_per_conversation(agency, committed):
    conversation = messaging_services.create_group_conversation(
        actor=agency.anne, title="Salon", people=[agency.bruno, agency.chloe]
    )
    presence.set_status(agency.chloe.pk, "socket-1", presence.ONLINE)
    try:
        for text in ("Vous venez au salon ?", "Réponse avant jeudi"):
            with committed():
                messaging_services.send_message(
                    author=agency.anne, conversation=conversation, body=text, client_key=uuid4()
                )
    finally:
        presence.remove(agency.chloe.pk, "socket-1")
    (message,) = notes(agency.bruno)
    assert (message.kind, message.conversation_id) == (Kind.MESSAGE, conversation.pk)
    assert notes(agency.chloe) == []  # online: the socket told her
    # One e-mail for the first message, not one per message.
    assert [m.to for m in mail.outbox] == [[agency.bruno.email]]


def test_a_consultation_request_status_and_answer_reach_its_author(
    agency, make_consultation, committed
):
    consultation = make_consultation(agency.anne)
    request = contribute(agency.citizen, consultation)
    with committed():
        consultation_services.change_status(
            actor=agency.anne, contribution=request, status="en_cours"
        )
    with committed():
        consultation_services.answer_contribution(
            author=agency.anne, contribution=request, text="Réparation prévue lundi."
        )
    found = notes(agency.citizen)
    assert [(n.kind, n.detail) for n in found] == [
        (Kind.CONSULTATION_UPDATE, "status"),
        (Kind.CONSULTATION_UPDATE, "answer"),
    ]
    assert rendering.text(found[1]) == "Votre demande « Lampadaire en panne » a reçu une réponse"


def test_nothing_is_told_when_the_write_rolls_back(agency, committed):
    def write_then_fail() -> None:
        with transaction.atomic():
            post(agency.anne, agency.innovation, "Bonjour @bruno")
            raise RuntimeError

    with committed(), pytest.raises(RuntimeError):
        write_then_fail()
    assert Notification.objects.count() == 0
