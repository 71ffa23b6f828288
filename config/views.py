"""Site-wide pages: legal notices, errors."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


@login_not_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/privacy.html")


@login_not_required
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/accessibility.html")


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = _("Trop de requêtes. Veuillez patienter une minute avant de réessayer.")
    if request.path_info.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    ):
        response: HttpResponse = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(request, "429.html", {"detail": detail}, status=429)
    response["Retry-After"] = "60"
    return response


@login_not_required
def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@login_not_required
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Unknown API paths answer JSON too, like every API error."""
    return JsonResponse({"detail": _("Introuvable.")}, status=404)
