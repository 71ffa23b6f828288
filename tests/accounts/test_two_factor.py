"""TOTP two-factor sign-in for those who enable it; password reset links work once."""

import re
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.test import Client

from tests.accounts.test_sessions import sign_in
from tests.factories import PASSWORD


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enable_totp(client: Client) -> str:
    response = client.get("/compte/2fa/totp/activate/")
    if response.status_code == 302:  # allauth asks for the password again before a 2FA change
        client.post(response.url, {"password": PASSWORD})
    assert client.get("/compte/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/compte/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    return secret


def test_with_totp_enabled_the_password_alone_no_longer_signs_in(staff):
    secret = enable_totp(sign_in(staff))
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()

    client = Client()
    response = client.post("/compte/login/", {"login": staff.email, "password": PASSWORD})
    assert response.url.startswith("/compte/2fa/authenticate/")
    assert client.get("/").status_code == 302  # not signed in yet

    wrong = client.post("/compte/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode() or "incorrect" in wrong.content.decode()
    assert client.get("/").status_code == 302

    client.post("/compte/2fa/authenticate/", {"code": current_code(secret)})
    assert client.get("/").status_code == 200


def test_a_wrong_code_does_not_enable_totp(staff):
    client = sign_in(staff)
    reauthenticate = client.get("/compte/2fa/totp/activate/")
    client.post(reauthenticate.url, {"password": PASSWORD})
    client.get("/compte/2fa/totp/activate/")
    response = client.post("/compte/2fa/totp/activate/", {"code": "123456"})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=staff).exists()


def test_a_password_reset_link_works_once(staff):
    client = Client()
    client.post("/compte/password/reset/", {"email": staff.email})
    assert len(mail.outbox) == 1
    assert "mot de passe" in mail.outbox[0].body.lower()
    link = re.search(r"https?://[^/\s]+(/compte/password/reset/key/\S+)", mail.outbox[0].body)[1]
    form_url = client.get(link).url  # allauth moves the key into the session
    new = "un-nouveau-mot-de-passe-2026"
    done = client.post(form_url, {"password1": new, "password2": new})
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(new)

    reused = Client().get(link, follow=True)
    assert "invalide" in reused.content.decode().lower() or "expiré" in reused.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(new)
