"""Fuzzing of every operation of /api/v1/openapi.json against its own schema (schemathesis).

The tests are parametrized over the schema, not over a list of endpoints: an operation added
to any router is fuzzed here without touching this file.
"""

from http import HTTPStatus

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.models import User
from accounts.services import create_api_token
from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

# Bounded so the whole file stays well under a minute. The example database is off: the suite
# runs on two workers, and a failure must reproduce from its seed, not from a local cache.
fuzz = settings(
    max_examples=25,
    deadline=None,
    database=None,
    # The signed-in user and their token are made once per operation and shared by its
    # examples on purpose (PATCH /me only ever edits that same user's profile).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SECURITY_HEADERS = {"authorization"}
SECURITY_COOKIES = {
    scheme["name"]
    for scheme in schema.raw_schema.get("components", {}).get("securitySchemes", {}).values()
    if scheme.get("in") == "cookie"
}


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """Schemathesis calls the WSGI app directly; like Django's test client, keep the test's
    database connection open across requests instead of closing it at each request's end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=[User.Kind.STAFF, User.Kind.CITIZEN])
def bearer(request, make_user) -> dict[str, str]:
    """A valid personal token of the most and of the least privileged kind of user."""
    _token, raw = create_api_token(user=make_user(request.param), name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture(params=["no-credentials", "forged-credentials"])
def credentials(request) -> str:
    """Anonymous requests: none at all, or forged ones (random tokens and session cookies)."""
    return request.param


def requires_authentication(operation) -> bool:
    security = operation.definition.raw.get("security", schema.raw_schema.get("security", []))
    return bool(security) and all(requirement for requirement in security)


def without_credentials(case) -> None:
    """Drop the credentials schemathesis generates from the security schemes."""
    for name in [name for name in case.headers or {} if name.lower() in SECURITY_HEADERS]:
        del case.headers[name]
    for name in SECURITY_COOKIES & set(case.cookies or {}):
        del case.cookies[name]


@schema.parametrize()
@fuzz
def test_every_operation_answers_a_signed_in_user_without_5xx_and_within_its_schema(case, bearer):
    # All built-in checks: no 5xx, documented status codes, content types, headers and bodies
    # that match the schema, invalid input refused, valid input accepted.
    case.call_and_validate(headers=bearer)


@schema.parametrize()
@fuzz
def test_every_protected_operation_refuses_anonymous_requests_with_a_json_401(
    case, db, credentials
):
    if credentials == "no-credentials":
        without_credentials(case)
        response = case.call()
    elif any(name.lower() in SECURITY_HEADERS for name in case.headers or {}):
        response = case.call()  # schemathesis made up an Authorization header
    else:
        response = case.call(headers={"Authorization": "Bearer mlg_forged-token"})
    documented = set(case.operation.definition.raw.get("responses", {}))
    protected = requires_authentication(case.operation)

    if not protected or "401" in documented:
        # A public operation, or one that documents its 401: the whole contract applies.
        case.validate_response(response)
    else:
        case.validate_response(response, checks=[not_a_server_error])
    if not protected:
        return

    # Every answer to an anonymous client is an API error: JSON with a `detail`, never HTML.
    assert response.headers["content-type"][0].startswith("application/json"), (
        f"{case.method} {case.path} answered {response.status_code} "
        f"{response.headers['content-type'][0]}: {response.text[:200]!r}"
    )
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    if case.method != case.operation.method.upper():
        # Schemathesis also tries the methods the path does not have.
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert response.headers["allow"]
    else:
        assert response.status_code == HTTPStatus.UNAUTHORIZED, response.text
        assert response.headers["www-authenticate"][0].startswith("Bearer")
        assert detail.startswith("Authentification requise")
