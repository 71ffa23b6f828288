"""Site-wide middleware: private-by-default pages and the anonymous rate limit."""

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.http import JsonResponse
from django.middleware import locale
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from config.views import rate_limited

# Paths that answer for themselves: the API authenticates every request (session or token)
# and answers 401 JSON, never a redirect to the sign-in page.
_SELF_AUTHENTICATED_PREFIXES = ("/api/", "/static/")


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Every page needs a signed-in user unless its view says `login_not_required`."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(_SELF_AUTHENTICATED_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class AnonymousRateLimitMiddleware:
    """Limit anonymous page requests per client address (the API has its own throttle)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rate = settings.ANONYMOUS_PAGE_RATE_LIMIT
        if (
            rate
            and not request.user.is_authenticated
            and not request.path_info.startswith(_SELF_AUTHENTICATED_PREFIXES)
            and is_ratelimited(
                request, group="anonymous-pages", key="ip", rate=rate, increment=True
            )
        ):
            return rate_limited(request)
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """Ninja answers an unsupported method with a bare text 405: make it a JSON API error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allow = response.get("Allow", "")
            response = JsonResponse({"detail": _("Méthode non autorisée.")}, status=405)
            response["Allow"] = allow
        return response


class LocaleMiddleware(locale.LocaleMiddleware):
    """French unless the person chose another language: the browser's language is not asked.

    A French public service speaks French by default; English is offered by the selector
    (its cookie), not guessed from an English-configured browser.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
