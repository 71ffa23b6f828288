"""ASGI entry point: HTTP through Django, WebSockets at /ws/ through Channels."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.http_threads import ReusedThreadsASGIHandler  # noqa: E402

django_asgi_app = ReusedThreadsASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.limits import RequestBodyLimit, without_twisted_form_parsing  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

without_twisted_form_parsing()

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        # A socket from a page of another site is refused at the handshake (no CSWSH).
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# What is loaded by now (Django, the apps, the URL conf, the templates' libraries) lives as
# long as the process: out of the collector's way, so that its full collections, which a
# server triggers every few hundred requests, walk only what requests and sockets allocate.
gc.collect()
gc.freeze()
