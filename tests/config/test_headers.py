"""Browser-side defences on every page: CSP without inline script, no sniffing, no framing,
and CSRF on every unsafe request."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from accounts.models import ApiToken, User
from accounts.services import create_api_token
from tests.factories import PASSWORD

ANONYMOUS_PAGES = [
    "/compte/login/",
    "/compte/signup/",
    "/compte/password/reset/",
    "/confidentialite/",
]
SIGNED_IN_PAGES = [
    "/",
    "/annuaire/",
    "/annuaire/{me}/",
    "/compte/profil/",
    "/compte/jetons/",
    "/confidentialite/",
    "/accessibilite/",
]


class ScriptFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.inline.append(f"<script {attributes}>")
            self._in_inline_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.inline.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.inline[-1] += f" {data.strip()[:60]}"


def inline_scripts(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    return finder.inline


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [directive.split() for directive in policy.split(";") if directive.strip()]
    return {name: values for name, *values in parts}


def assert_protected_page(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    directives = csp_directives(response)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, "no script-src nor default-src"
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]


def page_response(client: Client, path: str):
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    assert response["Content-Type"].startswith("text/html")
    return response


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_pages_carry_the_security_headers_and_no_inline_script(db, path):
    response = page_response(Client(), path)

    assert_protected_page(response)
    assert inline_scripts(response.content.decode()) == []


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_carry_the_security_headers_and_no_inline_script(staff, client_for, path):
    response = page_response(client_for(staff), path.format(me=staff.pk))

    assert_protected_page(response)
    html = response.content.decode()
    assert "<script" in html  # the page does load its (external) scripts
    assert inline_scripts(html) == []


@pytest.mark.parametrize(
    ("kind", "path", "status"),
    [
        (User.Kind.STAFF, "/nulle-part/", 404),
        (User.Kind.CITIZEN, "/annuaire/", 403),
        (User.Kind.STAFF, "/api/v1/nope", 404),
        (User.Kind.STAFF, "/api/v1/me", 200),
    ],
)
def test_error_pages_and_api_answers_carry_the_security_headers(
    make_user, client_for, kind, path, status
):
    response = client_for(make_user(kind)).get(path)

    assert response.status_code == status
    assert_protected_page(response)
    if response["Content-Type"].startswith("text/html"):
        assert inline_scripts(response.content.decode()) == []


# --- CSRF ---------------------------------------------------------------------------------


def is_csrf_refusal(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


def test_editing_one_s_profile_without_csrf_token_is_refused_and_changes_nothing(staff, client_for):
    client = client_for(staff)
    before = User.objects.filter(pk=staff.pk).values().get()

    response = client.post("/compte/profil/", {"display_name": "Pirate", "job_title": "Pirate"})

    assert is_csrf_refusal(response)
    assert User.objects.filter(pk=staff.pk).values().get() == before


def test_creating_or_revoking_a_token_without_csrf_token_is_refused(staff, client_for):
    token, _raw = create_api_token(user=staff, name="existant")
    client = client_for(staff)

    assert is_csrf_refusal(client.post("/compte/jetons/", {"name": "pirate"}))
    assert is_csrf_refusal(client.post(f"/compte/jetons/{token.pk}/revoquer/"))

    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("existant", None)]


def test_signing_out_without_csrf_token_is_refused(staff, client_for):
    client = client_for(staff)

    assert is_csrf_refusal(client.post("/compte/logout/"))

    assert client.session["_auth_user_id"] == str(staff.pk)


def test_signing_in_or_up_without_csrf_token_is_refused(citizen):
    client = Client(enforce_csrf_checks=True)

    signing_in = client.post("/compte/login/", {"login": citizen.email, "password": PASSWORD})
    signing_up = client.post(
        "/compte/signup/",
        {
            "email": "nouvelle@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Nouvelle",
            "consent": "on",
        },
    )

    assert is_csrf_refusal(signing_in)
    assert "_auth_user_id" not in client.session
    assert is_csrf_refusal(signing_up)
    assert not User.objects.filter(email="nouvelle@example.test").exists()


SAMPLE = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def page_routes(resolver: URLResolver | None = None, prefix: str = ""):
    """Every route of the site built from `path()` patterns, with sample values filled in.

    The API is left out: it is csrf-exempt by design and checks CSRF itself for sessions
    (tests/api/test_api.py); `re_path` patterns cannot be filled in generically.
    """
    for entry in (resolver or get_resolver()).url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + CONVERTER.sub(
            lambda m: SAMPLE.get(m.group("converter") or "str", "x"), str(entry.pattern)
        )
        if route.startswith("api/"):
            continue
        if isinstance(entry, URLResolver):
            yield from page_routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route


# Exempt by design, each with what stands in for the CSRF token.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST without a session or a form; the
    # signed token in the address is the proof (a bogus one is a 404 that changes nothing).
    "/notifications/desabonnement/x/": 404,
}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_unsafe_page_request_without_csrf_token_is_refused(staff, client_for, signed_in):
    client = client_for(staff if signed_in else None)
    routes = sorted(set(page_routes()))
    assert "/compte/profil/" in routes
    assert "/compte/jetons/1/revoquer/" in routes

    accepted = {}
    for route in routes:
        if route in CSRF_EXEMPT:
            assert client.post(route).status_code == CSRF_EXEMPT[route]
            for method in ("put", "patch", "delete"):
                assert getattr(client, method)(route).status_code == 405
            continue
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(route)
            if not is_csrf_refusal(response):
                accepted[f"{method.upper()} {route}"] = response.status_code

    assert accepted == {}
