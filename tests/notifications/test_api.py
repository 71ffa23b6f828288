"""The notifications API: the list (unread filter, constant queries), marking read, mutes and
e-mail preferences, with their bad input."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import create_api_token
from notifications.models import GroupEmailPreference, Mute, Notification, NotificationSettings
from notifications.services import Target, notify
from social import services as social_services

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def api(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def send(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


def likes(agency, n: int) -> list:
    """`n` posts of Anne, each liked by Bruno: `n` notifications for Anne."""
    found = []
    for i in range(n):
        post = social_services.create_post(
            author=agency.anne, group=agency.innovation, body=f"Idée {i}"
        )
        found += notify(
            recipients=[agency.anne],
            kind=Kind.LIKE,
            actor=agency.bruno,
            target=Target(Kind.LIKE, post=post),
            title=post.body,
        )
    return found


def test_the_list_filters_unread_and_costs_the_same_queries_at_two_sizes(
    agency, django_assert_max_num_queries
):
    client = api(agency.anne)
    likes(agency, 2)
    client.get("/api/v1/notifications")  # warm the token's first-use write
    with django_assert_max_num_queries(8) as small:
        response = client.get("/api/v1/notifications")
    likes(agency, 20)
    with django_assert_max_num_queries(8) as large:
        response = client.get("/api/v1/notifications?limit=30")
    assert len(small.captured_queries) == len(large.captured_queries)
    body = response.json()
    assert body["unread_count"] == 22
    assert len(body["items"]) == 22
    first = body["items"][0]
    assert first["text"] == "Bruno Petit aime votre publication « Idée 19 »"
    assert first["url"].startswith("/publications/")
    assert first["actor"]["display_name"] == "Bruno Petit"
    assert first["read"] is False
    Notification.objects.filter(pk__in=[n["id"] for n in body["items"][:2]]).update(
        read_at="2026-01-01T00:00:00Z"
    )
    assert len(client.get("/api/v1/notifications?unread=true").json()["items"]) == 20
    assert len(client.get("/api/v1/notifications?unread=false").json()["items"]) == 2


def test_mark_read_some_then_all_and_bad_input(agency):
    found = likes(agency, 3)
    client = api(agency.anne)
    response = send(client, "post", "/api/v1/notifications/read", {"ids": [found[0].pk]})
    assert response.status_code == 200
    assert response.json() == {"changed": 1, "unread_count": 2}
    response = send(client, "post", "/api/v1/notifications/read", {})
    assert response.json() == {"changed": 2, "unread_count": 0}
    assert send(client, "post", "/api/v1/notifications/read", {"ids": ["x"]}).status_code == 422
    assert send(client, "post", "/api/v1/notifications/read", {"ids": [0]}).status_code == 422
    too_many = {"ids": list(range(1, 502))}
    assert send(client, "post", "/api/v1/notifications/read", too_many).status_code == 422
    assert send(client, "post", "/api/v1/notifications/read", {"all": True}).status_code == 422
    # Someone else's notification is not touched.
    other = likes(agency, 1)[0]
    assert (
        send(api(agency.bruno), "post", "/api/v1/notifications/read", {"ids": [other.pk]}).json()[
            "changed"
        ]
        == 0
    )


def test_mutes_through_the_api(agency):
    post = social_services.create_post(author=agency.anne, group=agency.garage, body="Levée")
    client = api(agency.bruno)
    response = send(
        client, "post", "/api/v1/notifications/mutes", {"kind": "post", "target": post.pk}
    )
    assert response.status_code == 201
    mute_id = response.json()["id"]
    assert client.get("/api/v1/notifications/mutes").json()[0]["target"] == post.pk
    # Someone who cannot see the post gets the same 404 as for an unknown one.
    outsider = api(agency.paul)
    body = {"kind": "post", "target": post.pk}
    assert send(outsider, "post", "/api/v1/notifications/mutes", body).status_code == 404
    body = {"kind": "post", "target": 10**12}
    assert send(outsider, "post", "/api/v1/notifications/mutes", body).status_code == 404
    body = {"kind": "planet", "target": 1}
    assert send(outsider, "post", "/api/v1/notifications/mutes", body).status_code == 422
    assert outsider.delete(f"/api/v1/notifications/mutes/{mute_id}").status_code == 404
    assert client.delete(f"/api/v1/notifications/mutes/{mute_id}").status_code == 204
    assert Mute.objects.count() == 0


def test_email_preferences_read_and_change(agency):
    client = api(agency.bruno)
    body = client.get("/api/v1/me/email-preferences").json()
    assert body == {
        "language": "",
        "email_mentions": True,
        "email_messages": True,
        "default_frequency": "daily",
        "groups": [
            {"group": agency.innovation.pk, "name": "Innovation", "frequency": "daily"},
            {"group": agency.garage.pk, "name": "Le Garage", "frequency": "daily"},
        ],
    }
    response = send(
        client,
        "put",
        "/api/v1/me/email-preferences",
        {
            "language": "en",
            "email_mentions": False,
            "groups": [{"group": agency.garage.pk, "frequency": "every_post"}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["language"], body["email_mentions"], body["email_messages"]) == ("en", False, True)
    assert [g["frequency"] for g in body["groups"]] == ["every_post", "daily"][::-1]


def test_email_preferences_refuse_bad_input_and_write_nothing(agency):
    client = api(agency.paul)
    cases = [
        ({"groups": [{"group": agency.garage.pk, "frequency": "daily"}]}, 404),  # not a member
        ({"groups": [{"group": agency.garage.pk, "frequency": "hourly"}]}, 422),
        ({"language": "de"}, 422),
        ({"default_frequency": "sometimes"}, 422),
        ({"surprise": 1}, 422),
    ]
    for body, status in cases:
        response = send(client, "put", "/api/v1/me/email-preferences", body)
        assert response.status_code == status, body
    assert NotificationSettings.objects.count() == 0
    assert GroupEmailPreference.objects.count() == 0


def test_anonymous_requests_are_refused(db):
    client = Client()
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/me/email-preferences").status_code == 401
