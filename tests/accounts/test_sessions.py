"""Sessions end server-side: sign-out, ending other sessions, deactivation by an admin."""

from allauth.usersessions.models import UserSession
from django.test import Client

from accounts import services
from accounts.models import User
from tests.factories import PASSWORD


def sign_in(user: User) -> Client:
    client = Client()
    response = client.post("/compte/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_sign_in_rotates_the_session_id(staff):
    client = Client()
    client.get("/compte/login/")
    client.session.save()
    before = client.cookies.get("sessionid")
    sign_in_response = client.post("/compte/login/", {"login": staff.email, "password": PASSWORD})
    assert sign_in_response.status_code == 302
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_sign_out_ends_the_session_server_side(staff):
    client = sign_in(staff)
    key = client.cookies["sessionid"].value
    client.post("/compte/logout/")
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get("/").status_code == 302


def test_people_see_their_sessions_and_end_the_others(staff):
    laptop, phone = sign_in(staff), sign_in(staff)
    page = laptop.get("/compte/sessions/")
    assert page.status_code == 200
    assert UserSession.objects.filter(user=staff).count() == 2
    response = laptop.post("/compte/sessions/", {"action": "logout"})
    assert response.status_code == 302
    assert phone.get("/").status_code == 302  # signed out
    assert laptop.get("/").status_code == 200  # still in


def test_deactivating_an_account_ends_its_sessions_and_revokes_its_tokens(staff, make_user):
    admin = make_user(User.Kind.STAFF, is_superuser=True, is_staff=True)
    victim_browser = sign_in(staff)
    _token, raw = services.create_api_token(user=staff, name="script")
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    admin_browser = sign_in(admin)
    admin_browser.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [staff.pk]},
    )

    staff.refresh_from_db()
    assert not staff.is_active
    assert victim_browser.get("/").status_code == 302
    assert not UserSession.objects.filter(user=staff).exists()
    api = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    retry = Client()
    retry.post("/compte/login/", {"login": staff.email, "password": PASSWORD})
    assert retry.get("/").status_code == 302  # back to the sign-in page: not signed in


def test_an_administrator_cannot_deactivate_themselves(make_user):
    admin = make_user(User.Kind.STAFF, is_superuser=True, is_staff=True)
    sign_in(admin).post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [admin.pk]}
    )
    admin.refresh_from_db()
    assert admin.is_active
