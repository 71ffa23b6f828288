"""Unread counts for one person with 100,000 unread messages (issue 5: p95 ≤ 20 ms).

The messages are written in bulk (as history imported at once would be), then the counters
are set by the same recount the read service uses, and checked against a plain count before
timing `GET /api/v1/unread` through the whole Django stack with a token.
"""

import time
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum
from django.test import Client, override_settings

from accounts import services as account_services
from accounts.models import User
from bench.stats import percentile
from messaging import services
from messaging.models import Message, Participant

UNREAD = 100_000
CONVERSATIONS = 20
REQUESTS = 300
FLOOR_P95 = 0.020


@dataclass
class UnreadResult:
    unread: int
    conversations: int
    requests: int
    p50: float
    p95: float
    queries: int

    @property
    def met(self) -> bool:
        return self.p95 <= FLOOR_P95


def run() -> UnreadResult:
    reader, *writers = User.objects.bulk_create(
        [
            User(
                email=f"unread-{n}@agence.test",
                handle=f"unread-{n}",
                kind=User.Kind.STAFF,
                display_name=f"Lectrice Essai {n}",
                password="!",  # noqa: S106 - never signs in with a password
            )
            for n in range(CONVERSATIONS + 1)
        ]
    )
    conversations = [services.start_direct(actor=w, person=reader) for w in writers]
    per = UNREAD // CONVERSATIONS
    for writer, conversation in zip(writers, conversations, strict=True):
        Message.objects.bulk_create(
            (
                Message(
                    conversation=conversation,
                    author=writer,
                    body="Message en attente",
                    body_html="<p>Message en attente</p>",
                    client_key=uuid.uuid4(),
                )
                for _ in range(per)
            ),
            batch_size=5_000,
        )
        last = conversation.messages.latest("pk")
        conversation.last_message, conversation.last_message_at = last, last.created_at
        conversation.save(update_fields=["last_message", "last_message_at"])
        # The recount the read service does, uncapped, so the counter holds the true number.
        Participant.objects.filter(conversation=conversation, user=reader).update(
            unread_count=conversation.messages.filter(deleted_at__isnull=True)
            .exclude(author=reader)
            .count()
        )
    total = Participant.objects.filter(user=reader).aggregate(n=Sum("unread_count"))["n"]
    assert total == per * CONVERSATIONS, total
    _token, raw = account_services.create_api_token(user=reader, name="banc d'essai")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    samples = []
    # The per-person API throttle would answer 429 long before the 300th request.
    with override_settings(API_RATE_LIMIT=""):
        queries: list[str] = []
        with connection.execute_wrapper(
            lambda run, sql, *args: queries.append(sql) or run(sql, *args)
        ):
            response = client.get("/api/v1/unread", secure=True)
        assert response.status_code == 200, response.content
        assert response.json()["total"] == per * CONVERSATIONS
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get("/api/v1/unread", secure=True)
            samples.append(time.perf_counter() - started)
    return UnreadResult(
        unread=total,
        conversations=CONVERSATIONS,
        requests=REQUESTS,
        p50=percentile(samples, 0.50),
        p95=percentile(samples, 0.95),
        queries=len(queries),
    )
