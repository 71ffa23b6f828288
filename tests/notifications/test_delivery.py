"""Real deliveries: a digest through Django's SMTP backend to an SMTP server on loopback
(aiosmtpd), and a digest job run by a real Celery worker process against Redis."""

import email
import email.policy
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from notifications import tasks
from notifications.digests import Period
from notifications.models import EmailDelivery
from social import services as social_services
from tests.servers import ROOT, daphne_env, free_port

TOMORROW = timezone.localdate() + timedelta(days=1)


class Inbox:
    """aiosmtpd handler: keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def a_discussed_post(agency):
    post = social_services.create_post(
        author=agency.anne, group=agency.innovation, body="Le tiers-lieu ouvre en mars."
    )
    social_services.add_comment(author=agency.chloe, post=post, body="Enfin !")
    return post


def read(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.django_db
def test_a_digest_goes_through_smtp_to_a_real_server(agency, smtp_server, settings):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    post = a_discussed_post(agency)
    bruno = User.objects.select_related("notification_settings").get(pk=agency.bruno.pk)
    assert tasks.send_digest(bruno, Period.daily(TOMORROW)) is True
    assert tasks.send_digest(bruno, Period.daily(TOMORROW)) is False  # once
    ((sender, recipients, raw),) = inbox.messages
    assert recipients == [agency.bruno.email]
    assert "ne-pas-repondre@maillage.test" in sender
    message = read(raw)
    assert message["Subject"] == "[Maillage] Votre résumé du jour"
    assert message["To"] == agency.bruno.email
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # long: folded on a new line
    assert unsubscribe.startswith("<http")
    assert "/notifications/desabonnement/" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Les publications les plus discutées" in text
    assert "Le tiers-lieu ouvre en mars." in text
    assert f"/publications/{post.pk}/" in text
    assert unsubscribe[1:-1] in text
    assert "<h2>Les publications les plus discutées</h2>" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs PostgreSQL and Redis (CI has both: never skipped there)",
)
def test_a_real_celery_worker_sends_a_digest_job_from_redis(agency, smtp_server):
    controller, inbox = smtp_server
    a_discussed_post(agency)
    broker = settings.REDIS_URL
    queue = f"test-notifications-{uuid.uuid4().hex[:8]}"
    env = daphne_env(
        CELERY_BROKER_URL=broker,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
        DB_POOL_SIZE="0",
    )
    worker = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    producer = Celery("probe", broker=broker)
    try:
        producer.send_task(
            "notifications.tasks.send_digest_batch",
            args=[[agency.bruno.pk], "daily", TOMORROW.isoformat()],
            queue=queue,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not inbox.messages:
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.2)
        assert inbox.messages, "the worker sent nothing within 60 s"
        ((_sender, recipients, raw),) = inbox.messages
        assert recipients == [agency.bruno.email]
        assert "Le tiers-lieu ouvre en mars." in read(raw).get_body(("plain",)).get_content()
        key = f"digest:daily:{TOMORROW.isoformat()}:{agency.bruno.pk}"
        assert EmailDelivery.objects.get(key=key).sent_at is not None
    finally:
        producer.close()
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
