"""Django's ASGI handler, with the threads that run each request's sync code kept for reuse."""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

# Idle threads kept for the next requests; more are started when more requests run at once.
KEEP_IDLE = 32


class ReusedThreadsASGIHandler(ASGIHandler):
    """Every request still runs its sync code (middleware, view, on-commit hooks) on one
    thread of its own, as in Django's handler, but that thread is taken from idle ones.

    Django's handler starts a thread for each request and stops it after. Starting one makes
    the event loop (which also serves every socket of the process) wait until the new thread
    holds the GIL; under load, with request threads holding it in turn, that wait queued
    every socket and request behind it (py-spy: the loop thread sat in `Thread.start`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []  # touched only from the event loop

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
