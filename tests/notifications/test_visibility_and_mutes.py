"""A notification never points at something its recipient may not see, and a mute silences
a post, a thread, a conversation or a group (still readable)."""

from uuid import uuid4

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from messaging import services as messaging_services
from notifications import selectors, services
from notifications.models import Mute, Notification
from notifications.services import Target
from social import services as social_services
from tests.notifications.conftest import end_access, notes

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def test_notify_never_creates_a_notification_about_a_post_the_recipient_cannot_see(agency):
    secret = social_services.create_post(author=agency.anne, group=agency.garage, body="Levée")
    for outsider in (agency.paul, agency.elise, agency.citizen):
        assert (
            services.notify(
                recipients=[outsider],
                kind=Kind.LIKE,
                actor=agency.anne,
                target=Target(Kind.LIKE, post=secret),
                title="Levée",
            )
            == []
        )
    assert Notification.objects.count() == 0


def test_a_thread_commenter_whose_access_ended_is_not_told_of_replies(agency, committed):
    found = social_services.create_post(author=agency.anne, group=agency.garage, body="Levée")
    social_services.add_comment(author=agency.ernest, post=found, body="Super !")
    end_access(agency.garage, agency.ernest)
    with committed():
        social_services.add_comment(author=agency.bruno, post=found, body="Bravo.")
    assert notes(agency.ernest) == []
    assert [n.kind for n in notes(agency.anne)] == [Kind.REPLY]


def test_the_list_and_the_count_drop_what_became_invisible(agency, committed):
    found = social_services.create_post(author=agency.anne, group=agency.garage, body="Hello")
    with committed():
        social_services.add_comment(author=agency.bruno, post=found, body="Coucou @ernest")
    assert selectors.unread_count(agency.ernest) == 1
    end_access(agency.garage, agency.ernest)
    assert selectors.unread_count(agency.ernest) == 0
    assert selectors.notifications_for(agency.ernest) == []
    # A deleted post takes its notifications away too.
    with committed():
        social_services.react(actor=agency.bruno, post=found)
    assert selectors.unread_count(agency.anne) == 2  # the reply and the like
    social_services.delete_post(actor=agency.anne, post=found)
    assert selectors.unread_count(agency.anne) == 0


def test_a_muted_post_group_or_conversation_tells_nothing_but_stays_readable(agency, committed):
    found = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    services.mute(actor=agency.anne, kind=Mute.Kind.POST, target=found)
    with committed():
        social_services.react(actor=agency.bruno, post=found)
        social_services.add_comment(author=agency.bruno, post=found, body="Bien vu")
    assert notes(agency.anne) == []
    # A whole group: mentions in it are silenced too.
    services.mute(actor=agency.chloe, kind=Mute.Kind.GROUP, target=agency.innovation)
    with committed():
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@chloe ?")
    assert notes(agency.chloe) == []
    # A conversation.
    conversation = messaging_services.start_direct(actor=agency.anne, person=agency.bruno)
    services.mute(actor=agency.bruno, kind=Mute.Kind.CONVERSATION, target=conversation)
    with committed():
        messaging_services.send_message(
            author=agency.anne, conversation=conversation, body="Tu es là ?", client_key=uuid4()
        )
    assert notes(agency.bruno, Kind.MESSAGE) == []
    # Unmuted: told again.
    services.unmute(actor=agency.anne, kind=Mute.Kind.POST, target_id=found.pk)
    with committed():
        social_services.react(actor=agency.chloe, post=found)
    assert [n.kind for n in notes(agency.anne)] == [Kind.LIKE]


def test_one_cannot_mute_what_one_cannot_see(agency):
    secret = social_services.create_post(author=agency.anne, group=agency.garage, body="Levée")
    with pytest.raises(PermissionDenied):
        services.mute(actor=agency.paul, kind=Mute.Kind.POST, target=secret)
    with pytest.raises(PermissionDenied):
        services.mute(actor=agency.citizen, kind=Mute.Kind.GROUP, target=agency.garage)
    assert Mute.objects.count() == 0


def test_mark_read_touches_only_ones_own_notifications(agency, committed):
    found = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    with committed():
        social_services.react(actor=agency.bruno, post=found)
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@bruno ?")
    (mine,) = notes(agency.anne)
    (bruno_s,) = notes(agency.bruno)
    with committed():
        assert services.mark_read(actor=agency.anne, ids=[mine.pk, bruno_s.pk]) == 1
    bruno_s.refresh_from_db()
    assert bruno_s.read_at is None
    assert services.mark_read(actor=agency.bruno) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    assert Notification.objects.filter(read_at__lte=timezone.now()).count() == 2
