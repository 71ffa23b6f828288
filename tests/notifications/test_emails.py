"""E-mails at once (mentions, messages received offline), every-post e-mails, the recipient's
language, and the one-click unsubscribe (signed link, List-Unsubscribe headers)."""

import re
from uuid import uuid4

import pytest
from django.core import mail
from django.test import Client

from messaging import services as messaging_services
from notifications import emails
from notifications.models import GroupEmailPreference, NotificationSettings
from notifications.services import update_email_preferences
from social import services as social_services
from tests.notifications.conftest import end_access

pytestmark = pytest.mark.django_db


def unsubscribe_link(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http")
    assert header.endswith(">")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in message.body  # the same link in the text
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_mention_is_emailed_at_once_with_a_one_click_unsubscribe(agency, committed):
    with committed():
        social_services.create_post(
            author=agency.anne, group=agency.innovation, body="@bruno tu valides ?"
        )
    (message,) = mail.outbox
    assert message.to == [agency.bruno.email]
    assert "Anne Martin vous a mentionné" in message.subject
    assert "/notifications/preferences/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Anne Martin vous a mentionné" in html
    # The mail client's one-click POST: no session, no CSRF token.
    link = unsubscribe_link(message)
    client = Client(enforce_csrf_checks=True)
    assert client.get(link).status_code == 200  # a confirmation page; nothing changes yet
    assert not NotificationSettings.objects.filter(email_mentions=False).exists()
    response = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationSettings.objects.get(user=agency.bruno).email_mentions is False
    # No more e-mail for mentions; the in-app notification still comes.
    with committed():
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@bruno ?")
    assert len(mail.outbox) == 1


def test_a_forged_or_tampered_unsubscribe_link_is_refused(agency):
    token = emails.unsubscribe_token(agency.bruno, "mentions")
    client = Client()
    assert client.post(f"/notifications/desabonnement/{token}x/").status_code == 404
    assert client.post("/notifications/desabonnement/abc/").status_code == 404
    forged = emails.unsubscribe_token(agency.bruno, "everything")
    assert client.post(f"/notifications/desabonnement/{forged}/").status_code == 404
    assert not NotificationSettings.objects.exists()


def test_emails_are_written_in_the_recipients_language(agency, committed):
    update_email_preferences(actor=agency.bruno, language="en")
    with committed():
        social_services.create_post(author=agency.anne, group=agency.innovation, body="@bruno ?")
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "en"
    assert 'lang="en"' in message.alternatives[0][0]


def test_a_message_received_offline_is_emailed_unless_turned_off(agency, committed):
    conversation = messaging_services.start_direct(actor=agency.anne, person=agency.bruno)
    with committed():
        messaging_services.send_message(
            author=agency.anne, conversation=conversation, body="Bonjour", client_key=uuid4()
        )
    assert [m.to for m in mail.outbox] == [[agency.bruno.email]]
    assert "Anne Martin vous a écrit" in mail.outbox[0].subject
    update_email_preferences(actor=agency.chloe, email_messages=False)
    other = messaging_services.start_direct(actor=agency.anne, person=agency.chloe)
    with committed():
        messaging_services.send_message(
            author=agency.anne, conversation=other, body="Bonjour", client_key=uuid4()
        )
    assert len(mail.outbox) == 1


def test_every_post_emails_go_to_members_who_chose_it_and_may_read(agency, committed):
    GroupEmailPreference.objects.create(
        user=agency.bruno, group=agency.garage, frequency="every_post"
    )
    GroupEmailPreference.objects.create(
        user=agency.ernest, group=agency.garage, frequency="every_post"
    )
    update_email_preferences(actor=agency.chloe, default_frequency="every_post")
    end_access(agency.garage, agency.ernest)  # his access ended: no e-mail
    with committed():
        post = social_services.create_post(
            author=agency.anne, group=agency.garage, body="Le comité a validé le budget."
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agency.bruno.email, agency.chloe.email])
    message = next(m for m in mail.outbox if m.to == [agency.bruno.email])
    assert "Le comité a validé le budget." in message.body
    assert f"/publications/{post.pk}/" in message.body
    # Its one-click link turns this group's e-mails off, nothing else.
    Client().post(unsubscribe_link(message))
    assert GroupEmailPreference.objects.get(user=agency.bruno, group=agency.garage).frequency == (
        "never"
    )
    mail.outbox.clear()
    with committed():
        social_services.create_post(author=agency.anne, group=agency.garage, body="Suite.")
    assert [m.to for m in mail.outbox] == [[agency.chloe.email]]
