"""Who is calling the API, and how often: tokens, sessions, anonymous visitors on the few
public routes, and the rate limit. Apps' routers import from here (config.api mounts them)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.throttling import SimpleRateThrottle

from accounts import policy as account_policy
from accounts.services import authenticate_token
from config.client_ip import client_ip


def _admitted(user, workspace: bool):
    """With `workspace`, the agency's own routers (groups, posts, files, messages,
    meetings): a citizen's call answers 404 whatever the address, as their pages do, before
    any parameter is read."""
    if user and workspace and not account_policy.has_workspace(user):
        raise Http404
    return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer mlg_…`: a personal token, created on the profile page."""

    def __init__(self, *, workspace: bool = False) -> None:
        self.workspace = workspace
        super().__init__()

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers:
            # A client that sends credentials means them: a bad token is a 401, never a
            # silent fall-back to whatever session cookie travels along.
            user = super().__call__(request)
            if user is None:
                raise AuthenticationError
            return _admitted(user, self.workspace)
        return None

    def authenticate(self, request: HttpRequest, token: str):
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser's session; unsafe methods need the CSRF token, as for pages."""

    def __init__(self, *, workspace: bool = False) -> None:
        self.workspace = workspace
        super().__init__()

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return _admitted(super().__call__(request), self.workspace)


# The routers of the agency's workspace: the same credentials, refused to citizens.
WORKSPACE_AUTH = [TokenAuth(workspace=True), SessionAuth(workspace=True)]


class PublicReader:
    """The API's own credentials when the client sends some (a bad token is still a 401),
    otherwise an anonymous visitor: the policy then shows the public view."""

    schemes = (TokenAuth(), SessionAuth())

    def __call__(self, request: HttpRequest):
        for scheme in self.schemes:
            user = scheme(request)
            if user:
                return user
        return AnonymousUser()


class UserRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per signed-in user, and per client address for anonymous
    visitors of public routes (who would otherwise share one budget); read at each request
    so it can be tuned live."""

    scope = "api"

    def __init__(self) -> None:
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        if not settings.API_RATE_LIMIT:
            return True
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str:
        if request.auth.is_authenticated:
            return f"throttle_api_user_{request.auth.pk}"
        return f"throttle_api_anonymous_{client_ip(request)}"


# OpenAPI: a session, a token, or nothing at all (`{}`).
_OPTIONAL_SECURITY = [{"TokenAuth": []}, {"SessionAuth": []}, {}]


def public(responses: dict[int, dict] | None = None) -> dict:
    """Keyword arguments of a route that anonymous visitors may call."""
    extra: dict[str, Any] = {"security": _OPTIONAL_SECURITY}
    if responses:
        extra["responses"] = responses
    return {"auth": PublicReader(), "throttle": [UserRateThrottle()], "openapi_extra": extra}
