"""The JSON API's own rules: authentication, CSRF, input validation, errors, OpenAPI, limits."""

import json
import time

import pytest
from django.test import Client, RequestFactory
from django_ratelimit.core import get_usage

from accounts.models import User
from accounts.services import deactivate_user, revoke_api_token
from tests.factories import PASSWORD

ME = "/api/v1/me"
JSON = "application/json; charset=utf-8"
AUTH_REQUIRED = "Authentification requise"
TOO_MANY = "Trop de requêtes"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def json_error(response, status: int) -> str:
    """The French `detail` of a JSON API error; never a redirect, never an HTML page."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert not response.has_header("Location")
    detail = response.json()["detail"]
    assert detail
    return detail


def assert_refused_as_unauthenticated(response) -> None:
    assert json_error(response, 401).startswith(AUTH_REQUIRED)
    assert response["WWW-Authenticate"].startswith("Bearer")


def profile_row(user: User) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


# --- Authentication -----------------------------------------------------------------------


def test_me_answers_the_signed_in_user_by_session(staff, client_for):
    response = client_for(staff).get(ME)

    assert response.status_code == 200
    assert response["Content-Type"] == JSON
    assert response.json()["email"] == staff.email
    assert response.json()["kind"] == "staff"


def test_me_answers_the_owner_of_a_bearer_token_without_any_session(citizen, token_for):
    response = Client().get(ME, **bearer(token_for(citizen)))

    assert response.status_code == 200
    assert response.json()["email"] == citizen.email
    assert response.json()["kind"] == "citizen"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer mlg_not-a-token-anyone-was-given",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "mlg_no-scheme-at-all",
    ],
)
def test_a_bad_token_is_refused_with_a_french_json_401(db, authorization):
    response = Client().get(ME, HTTP_AUTHORIZATION=authorization)

    assert_refused_as_unauthenticated(response)


def test_a_bad_token_is_refused_even_when_a_valid_session_travels_along(staff, client_for):
    # A client that sends credentials means them: no silent fall-back to the cookie.
    response = client_for(staff).get(ME, **bearer("mlg_forged"))

    assert_refused_as_unauthenticated(response)


def test_a_revoked_token_stops_working_at_once(staff, token_for):
    raw = token_for(staff)
    client = Client()
    assert client.get(ME, **bearer(raw)).status_code == 200

    revoke_api_token(user=staff, token_id=staff.api_tokens.get().pk)

    assert_refused_as_unauthenticated(client.get(ME, **bearer(raw)))


def test_the_token_of_a_deactivated_user_is_refused(make_user, staff, token_for):
    administrator = make_user(User.Kind.STAFF, is_superuser=True)
    raw = token_for(staff)

    deactivate_user(actor=administrator, user=staff)

    assert_refused_as_unauthenticated(Client().get(ME, **bearer(raw)))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ME),
        ("patch", ME),
        ("get", "/api/v1/people"),
        ("get", "/api/v1/people/1"),
    ],
)
def test_anonymous_api_requests_get_a_json_401_never_a_redirect_or_a_page(db, method, path):
    if method == "get":
        response = Client().get(path)
    else:
        response = Client().patch(path, {"display_name": "X"}, content_type="application/json")

    assert_refused_as_unauthenticated(response)


# --- CSRF ---------------------------------------------------------------------------------


def test_patch_me_by_session_without_csrf_token_is_refused_and_changes_nothing(staff, client_for):
    client = client_for(staff)
    before = profile_row(staff)

    response = client.patch(ME, {"display_name": "Pirate"}, content_type="application/json")

    assert "CSRF" in json_error(response, 403)
    assert profile_row(staff) == before


def test_patch_me_by_session_with_a_wrong_csrf_token_is_refused(staff, client_for, csrf_token):
    client = client_for(staff)
    csrf_token(client)
    before = profile_row(staff)

    response = client.patch(
        ME,
        {"display_name": "Pirate"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN="x" * 64,
    )

    assert "CSRF" in json_error(response, 403)
    assert profile_row(staff) == before


def test_patch_me_by_session_with_the_csrf_token_changes_the_profile(staff, client_for, csrf_token):
    client = client_for(staff)
    token = csrf_token(client)

    response = client.patch(
        ME,
        {"display_name": "  Agnès Nouvelle  ", "expertise": "Export, Industrie"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Agnès Nouvelle"
    assert response.json()["expertise"] == ["Export", "Industrie"]
    staff.refresh_from_db()
    assert staff.display_name == "Agnès Nouvelle"


def test_patch_me_by_bearer_token_needs_no_csrf_token(staff, token_for):
    response = Client(enforce_csrf_checks=True).patch(
        ME, {"job_title": "Directrice"}, content_type="application/json", **bearer(token_for(staff))
    )

    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.job_title == "Directrice"


# --- Input validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": None},
        {"display_name": 42},
        {"display_name": "x" * 121},
        {"job_title": "x" * 121},
        {"department": "x" * 121},
        {"phone": "0" * 31},
        {"bio": "x" * 1001},
        {"expertise": "x" * 501},
        {"email": "pirate@example.test"},
        {"kind": "staff"},
        {"handle": "chef"},
        {"is_superuser": True},
        {"organisation": 1},
        {"display_name": "Valide", "kind": "staff"},
        {"display_name": "nul\u0000"},
        {"bio": "\u0000"},
    ],
    ids=lambda payload: ",".join(f"{k}={str(v)[:12]}" for k, v in payload.items()) or "empty",
)
def test_patch_me_refuses_invalid_or_read_only_fields_and_changes_nothing(
    citizen, token_for, payload
):
    assert_refused_unchanged(citizen, token_for, json.dumps(payload))


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"display_name": "Valide"',
        "[]",
        '["display_name"]',
        '"texte"',
        "42",
        "null",
        "",
    ],
)
def test_patch_me_refuses_a_malformed_or_non_object_body_and_changes_nothing(
    citizen, token_for, body
):
    assert_refused_unchanged(citizen, token_for, body)


def assert_refused_unchanged(user, token_for, body: str) -> None:
    before = profile_row(user)
    response = Client(raise_request_exception=False).patch(
        ME, body, content_type="application/json", **bearer(token_for(user))
    )
    assert 400 <= response.status_code < 500
    json_error(response, response.status_code)
    assert profile_row(user) == before


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=agent%00",
        "limit=9223372036854775807",
        "limit=100000000000000000000",
        "offset=9223372036854775807",
        "offset=100000000000000000000",
        "limit=0",
        "offset=-1",
        "limit=abc",
    ],
)
def test_people_search_answers_odd_input_with_json_never_a_server_error(staff, token_for, query):
    response = Client(raise_request_exception=False).get(
        f"/api/v1/people?{query}", **bearer(token_for(staff))
    )

    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        assert isinstance(response.json()["items"], list)
    else:
        json_error(response, response.status_code)


# --- Not found ----------------------------------------------------------------------------


@pytest.mark.parametrize("person_id", ["missing", "-1", str(2**63), str(10**30)])
def test_an_unknown_person_is_a_json_404(staff, client_for, person_id):
    if person_id == "missing":
        person_id = str(User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000)

    response = client_for(staff).get(f"/api/v1/people/{person_id}")

    assert json_error(response, 404) == "Introuvable."


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/people/1/nope", "/api/v2/me", "/api/"])
def test_an_unknown_api_path_is_a_json_404_for_everyone(staff, client_for, path):
    for client in (Client(), client_for(staff)):
        assert json_error(client.get(path), 404) == "Introuvable."


# --- OpenAPI and docs ---------------------------------------------------------------------


def test_openapi_lists_the_people_endpoints_and_declares_bearer_auth(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/me", "/api/v1/people", "/api/v1/people/{person_id}"} <= set(schema["paths"])
    bearer_schemes = {
        name
        for name, scheme in schema["components"]["securitySchemes"].items()
        if scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"
    }
    assert bearer_schemes
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            accepted = {name for requirement in operation["security"] for name in requirement}
            assert accepted & bearer_schemes, f"{method.upper()} {path} does not accept tokens"


def test_api_docs_page_renders(staff, client_for):
    response = client_for(staff).get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "/api/v1/openapi.json" in response.content.decode()


# --- Rate limits --------------------------------------------------------------------------


def test_api_rate_limit_answers_a_french_429_to_the_user_over_it_and_spares_others(
    settings, staff, elected, client_for
):
    settings.API_RATE_LIMIT = "3/m"
    client = client_for(staff)
    for _ in range(3):
        assert client.get(ME).status_code == 200

    response = client.get(ME)

    assert json_error(response, 429).startswith(TOO_MANY)
    assert int(response["Retry-After"]) > 0
    assert client_for(elected).get(ME).status_code == 200


def test_api_rate_limit_counts_a_user_s_session_and_tokens_together(
    settings, staff, client_for, token_for
):
    settings.API_RATE_LIMIT = "3/m"
    raw = token_for(staff)
    assert client_for(staff).get(ME).status_code == 200
    assert Client().get(ME, **bearer(raw)).status_code == 200
    assert Client().get(ME, **bearer(token_for(staff, "autre"))).status_code == 200

    assert json_error(Client().get(ME, **bearer(raw)), 429).startswith(TOO_MANY)


def _start_of_a_fresh_rate_window(rate: str) -> None:
    """django-ratelimit counts in fixed windows: do not start three seconds before one ends."""
    request = RequestFactory().get("/compte/login/")
    usage = get_usage(request, group="anonymous-pages", key="ip", rate=rate, increment=False)
    if usage["time_left"] < 3:
        time.sleep(usage["time_left"] + 1)


def test_anonymous_page_limit_answers_a_french_429_page_and_spares_signed_in_users(
    settings, staff, client_for
):
    settings.ANONYMOUS_PAGE_RATE_LIMIT = "3/m"
    _start_of_a_fresh_rate_window("3/m")
    anonymous = Client()
    for _ in range(3):
        assert anonymous.get("/compte/login/").status_code == 200

    response = anonymous.get("/compte/login/")

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert TOO_MANY in response.content.decode()
    assert response["Retry-After"] == "60"
    signed_in = client_for(staff)
    for _ in range(5):
        assert signed_in.get("/").status_code == 200


def test_sign_in_is_refused_after_five_wrong_passwords_even_with_the_right_one(make_user):
    person = make_user(User.Kind.CITIZEN)
    login = {"login": person.email, "password": PASSWORD}
    assert Client().post("/compte/login/", login).status_code == 302  # the password is right

    client = Client()
    for _ in range(5):
        wrong = client.post("/compte/login/", {**login, "password": "mauvais-mot-de-passe"})
        assert wrong.status_code == 200
        assert "_auth_user_id" not in client.session

    response = client.post("/compte/login/", login)

    assert response.status_code == 200
    assert "Trop de tentatives de connexion échouées" in response.content.decode()
    assert "_auth_user_id" not in client.session
