"""The JSON API under /api/v1/: authentication, throttling, errors, and every app's router."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from accounts.api import router as accounts_router
from config.api_auth import WORKSPACE_AUTH, SessionAuth, TokenAuth, UserRateThrottle
from consultations.api import router as consultations_router
from files.api import router as files_router
from groups.api import router as groups_router
from meetings.api import router as meetings_router
from messaging.api import router as messaging_router
from search.api import router as search_router
from social.api import router as social_router


class ErrorOut(Schema):
    """Every API error: a message (or, for invalid input, the list of problems)."""

    detail: str | list[dict[str, Any]]
    errors: dict[str, list[str]] | None = None


# What the exception handlers below may answer for any operation.
ERROR_RESPONSES = {
    400: "Refusé par une règle métier",
    401: "Authentification requise",
    403: "Accès refusé, ou jeton CSRF absent",
    404: "Introuvable",
    422: "Données invalides",
    429: "Trop de requêtes",
}


class MaillageAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"]["schemas"]["ErrorOut"] = ErrorOut.model_json_schema()
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, description in ERROR_RESPONSES.items():
                    operation["responses"].setdefault(
                        status, {"description": description, "content": content}
                    )
        return schema


api = MaillageAPI(
    title="Maillage API",
    version="1",
    description=_(
        "API de Maillage. Authentification par session (avec jeton CSRF) ou par jeton "
        "personnel : `Authorization: Bearer <jeton>`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    throttle=[UserRateThrottle()],
    urls_namespace="api",
)
api.add_router("/", accounts_router)
api.add_router("/", groups_router, auth=WORKSPACE_AUTH)
api.add_router("/", social_router, auth=WORKSPACE_AUTH)
api.add_router("/", files_router, auth=WORKSPACE_AUTH)
api.add_router("/", messaging_router, auth=WORKSPACE_AUTH)
api.add_router("/", meetings_router, auth=WORKSPACE_AUTH)
api.add_router("/", search_router)
api.add_router("/", consultations_router)
api.add_router("/", "notifications.api.router")


def _json(request: HttpRequest, status: int, detail, **extra) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _json(
        request, 401, _("Authentification requise : connectez-vous ou fournissez un jeton valide.")
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _json(request, 429, _("Trop de requêtes. Veuillez patienter avant de réessayer."))
    response["Retry-After"] = str(int(exc.wait or 60))
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403:
        return _json(request, 403, _("Requête refusée : jeton CSRF absent ou invalide."))
    if exc.status_code == 400:  # ninja could not parse the body
        return _json(request, 400, _("Corps de requête illisible : du JSON valide est attendu."))
    return _json(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json(request, 404, _("Introuvable."))


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _json(request, 403, _("Vous n'avez pas accès à cette ressource."))


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _json(request, 422, exc.errors)


@api.exception_handler(DjangoValidationError)
def refused_by_service(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    first = next(iter(errors.values()))[0]
    return _json(request, 400, first, errors=errors)
