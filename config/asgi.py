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

# The cyclic garbage collector pauses every thread of the process while it runs, and a full
# collection walks every object: with 500 sockets open, the two processes of
# bench/ws_fanout.py paused 9 times in 90 s for 10 to 460 ms (timed by gc callbacks, on a
# loaded machine), and those pauses made the delivery latency's 99th percentile. So what is
# loaded by now (Django, the apps, the URL conf) lives as long as the process and leaves the
# collector's sight, and the youngest generation is collected every 10,000 allocations
# instead of 700, so that the short-lived cycles of requests and frames die young instead of
# piling up in the old generation (same run: no full collection, none over 5 ms; direct p99
# at 20 messages/s 220 -> 63 ms).
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
