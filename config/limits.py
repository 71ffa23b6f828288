"""Refuse oversized request bodies before they are read (ASGI middleware around Django).

Daphne queues a whole request body in memory before the application runs, and Django's ASGI
handler then spools it to disk: without this, one big upload would cost its whole size.
Big files travel in chunks (files/services.py), each far below the limit.
"""

import functools
import json

from django.conf import settings
from django.utils.translation import gettext as _


class RequestBodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BODY
        length = dict(scope.get("headers") or []).get(b"content-length")
        try:
            declared = int(length) if length is not None else None
        except ValueError:
            declared = None
        if declared is not None and declared > limit:
            return await self._refuse(scope, send, limit)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a body without Content-Length (chunked) that grew
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, limited_receive, send)

    async def _refuse(self, scope, send, limit):
        detail = _(
            "La requête est trop volumineuse (%(max)s Mo au plus) : les gros fichiers "
            "s'envoient par morceaux."
        ) % {"max": f"{limit / (1024 * 1024):.0f}"}
        if scope["path"].startswith("/api/"):
            body, kind = json.dumps({"detail": detail}).encode(), b"application/json"
        else:
            body, kind = detail.encode(), b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def without_twisted_form_parsing() -> None:
    """Stop Twisted (under daphne) from parsing form bodies that Django parses anyway.

    Twisted reads every multipart POST whole into memory and parses it before daphne hands
    the request over — then nothing uses the result. Measured (bench/files.py): an 8 MiB
    upload cost the process 106 MiB, a refused 100 MB one 1.2 GiB and a 5 s stall of every
    other request. Django streams the same bodies to disk itself.
    """
    from daphne.http_protocol import WebRequest

    if not isinstance(WebRequest.__dict__["__init__"], functools.partialmethod):
        WebRequest.__init__ = functools.partialmethod(
            WebRequest.__init__, parsePOSTFormSubmission=False
        )
