"""The bell, the notifications page (read/unread, mark all read, mute) and the
« Préférences de notification » page."""

import pytest

from notifications.models import GroupEmailPreference, Mute, Notification
from notifications.services import Target, notify
from social import services as social_services

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


@pytest.fixture
def liked(agency, committed):
    post = social_services.create_post(author=agency.anne, group=agency.innovation, body="Idée")
    with committed():
        notify(
            recipients=[agency.anne],
            kind=Kind.LIKE,
            actor=agency.bruno,
            target=Target(Kind.LIKE, post=post),
            title="Idée",
        )
    return post


def test_the_bell_shows_the_unread_count_without_a_query_and_links_to_the_list(
    agency, liked, client_for, django_assert_num_queries
):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = agency.anne
    tag = Template("{% load notification_tags %}{% unread_notifications as n %}{{ n }}")
    with django_assert_num_queries(0):
        assert tag.render(Context({"request": request})) == "1"
    page = client_for(agency.anne).get("/").content.decode()
    assert 'href="/notifications/"' in page
    assert "data-notification-count>1</span>" in page
    page = client_for(agency.bruno).get("/").content.decode()
    assert "data-notification-count hidden></span>" in page


def test_the_list_opens_a_notification_and_marks_everything_read(agency, liked, client_for):
    client = client_for(agency.anne)
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bruno Petit aime votre publication « Idée »" in html
    assert "Non lue" in html
    (notification,) = Notification.objects.all()
    response = client.get(f"/notifications/{notification.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/publications/{liked.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert (
        "Aucune notification non lue."
        in client.get("/notifications/?filtre=non-lues").content.decode()
    )
    # Someone else's notification: 404, and it stays unread.
    Notification.objects.update(read_at=None)
    assert client_for(agency.bruno).get(f"/notifications/{notification.pk}/").status_code == 404
    token = client.cookies["csrftoken"].value
    response = client.post("/notifications/tout-lu/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_mute_and_unmute_from_the_list(agency, liked, client_for):
    client = client_for(agency.anne)
    client.get("/notifications/")
    token = client.cookies["csrftoken"].value
    data = {"csrfmiddlewaretoken": token, "kind": "post", "target": liked.pk}
    assert client.post("/notifications/sourdine/", data).status_code == 302
    assert Mute.objects.filter(user=agency.anne, post=liked).exists()
    assert "Retirer la sourdine" in client.get("/notifications/").content.decode()
    assert client.post("/notifications/sourdine/", {**data, "action": "unmute"}).status_code == 302
    assert not Mute.objects.exists()
    assert client.post("/notifications/sourdine/", {**data, "target": "x"}).status_code == 404


def test_the_preferences_page_sets_a_frequency_per_group(agency, client_for):
    client = client_for(agency.bruno)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Préférences de notification" in html
    assert f'<label for="id_group_{agency.garage.pk}">Le Garage</label>' in html
    token = client.cookies["csrftoken"].value
    data = {
        "csrfmiddlewaretoken": token,
        "language": "en",
        "email_mentions": "on",
        "default_frequency": "daily",
        f"group_{agency.innovation.pk}": "weekly",
        f"group_{agency.garage.pk}": "never",
    }
    assert client.post("/notifications/preferences/", data).status_code == 302
    chosen = dict(
        GroupEmailPreference.objects.filter(user=agency.bruno).values_list("group_id", "frequency")
    )
    assert chosen == {agency.innovation.pk: "weekly", agency.garage.pk: "never"}
    settings = agency.bruno.notification_settings
    assert (settings.language, settings.email_mentions, settings.email_messages) == (
        "en",
        True,
        False,
    )
    bad = client.post("/notifications/preferences/", {**data, f"group_{agency.garage.pk}": "x"})
    assert bad.status_code == 400
    assert GroupEmailPreference.objects.get(group=agency.garage, user=agency.bruno).frequency == (
        "never"
    )
