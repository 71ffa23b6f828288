"""ASGI entry point: HTTP through Django, WebSockets at /ws/ through Channels."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.http_threads import ReusedThreadsASGIHandler  # noqa: E402

django_asgi_app = (
    ReusedThreadsASGIHandler()
    if os.environ.get("REUSE", "1") == "1"
    else __import__("django.core.asgi").core.asgi.ASGIHandler()
)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.limits import RequestBodyLimit, without_twisted_form_parsing  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

without_twisted_form_parsing()
if os.environ.get("GIL_SWITCH"):
    sys.setswitchinterval(float(os.environ["GIL_SWITCH"]))

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        # A socket from a page of another site is refused at the handshake (no CSWSH).
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
