"""The client's address behind `NUM_PROXIES` trusted reverse proxies (for rate limits)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.NUM_PROXIES:
        return remote
    # Each trusted proxy appends the address it saw; the client is NUM_PROXIES from the right.
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) >= settings.NUM_PROXIES:
        return forwarded[-settings.NUM_PROXIES]
    return remote
