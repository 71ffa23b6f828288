"""Django's ASGI handler, with each request's sync code run in one go on a reused thread."""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

# Idle threads kept for the next requests; more are started when more requests run at once.
KEEP_IDLE = 32


class ReusedThreadsASGIHandler(ASGIHandler):
    """Every request runs its sync code (middleware, view, on-commit hooks) on one thread of
    its own, as in Django's handler, with two changes measured under load (bench/ws_fanout.py):

    - The thread is taken from idle ones. Django's handler starts a thread for each request;
      starting one makes the event loop (which also serves every socket of the process) wait
      until the new thread holds the GIL (py-spy: the loop thread sat in `Thread.start`).
    - The middleware chain and the view run in that thread in one call, as under WSGI.
      Django builds an async chain, so a sync middleware at the bottom of it (allauth's
      UserSessionsMiddleware) hands the request back to the event loop, which hands the view
      back to the thread, and the response makes the same two trips up: four waits per
      request behind every socket of the process, with a PostgreSQL connection held
      throughout (py-spy: request threads parked in `AsyncToSync.__call__` while 45 others
      waited for a pooled connection). Every middleware of the project is sync-capable, and
      its views are sync; a streamed response with an async iterator is still sent by the
      event loop.
    """

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []  # touched only from the event loop

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}.")
        executor = (
            self._idle.pop()
            if self._idle
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < KEEP_IDLE:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)
