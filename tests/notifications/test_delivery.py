"""Real deliveries: a digest through Django's SMTP backend to an SMTP server on loopback
(aiosmtpd), and a digest job run by a real Celery worker process against Redis."""

import email
import email.policy
import smtplib
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection
from django.utils import timezone

from accounts.models import User
from groups import services as group_services
from groups.models import Membership
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
    assert tasks.send_digests([bruno], Period.daily(TOMORROW)) == 1
    assert tasks.send_digests([bruno], Period.daily(TOMORROW)) == 0  # once
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


# --- A batch cut short ---------------------------------------------------------------------------


class RefusingInbox(Inbox):
    """Refuses the `nth` recipient it is given (« 550 mailbox unavailable »), once."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.recipients = nth, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipients += 1
        if self.recipients == self.nth:
            return "550 5.2.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class WorkerKilled(BaseException):
    """The worker process dies (SIGKILL, out of memory): no `except Exception` runs and its
    database connection drops, which rolls back its open transaction."""


class DyingBackend(SMTPBackend):
    """Django's SMTP backend in a worker that dies while sending its `dies_at`-th e-mail."""

    dies_at = 0
    sent = 0

    def send_messages(self, messages):
        DyingBackend.sent += 1
        if DyingBackend.sent == DyingBackend.dies_at:
            raise WorkerKilled
        return super().send_messages(messages)


@pytest.fixture
def five_readers(agency, make_user) -> list[User]:
    """Five people with a digest due: members of a group whose post was discussed today."""
    people = [make_user(display_name=f"Lecteur {i}") for i in range(5)]
    group = group_services.create_group(
        actor=people[0], data={"name": "Lecteurs", "visibility": "private"}
    )
    for person in people[1:]:
        Membership.objects.create(group=group, user=person, role="member")
    post = social_services.create_post(author=people[0], group=group, body="À lire")
    social_services.add_comment(author=people[1], post=post, body="Lu")
    return people


@pytest.mark.django_db
@pytest.mark.parametrize("cut", ["refused", "killed"])
def test_a_batch_cut_at_its_third_email_then_retried_sends_each_digest_once(
    five_readers, settings, cut
):
    """The e-mails that left before the cut stay marked sent, even when the worker dies
    mid-batch (acks_late: the job runs again): nobody gets their digest twice."""
    inbox = RefusingInbox(3 if cut == "refused" else 0)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        if cut == "killed":
            settings.EMAIL_BACKEND = "tests.notifications.test_delivery.DyingBackend"
            DyingBackend.dies_at, DyingBackend.sent = 3, 0
        ids, day = [p.pk for p in five_readers], TOMORROW.isoformat()
        error = smtplib.SMTPRecipientsRefused if cut == "refused" else WorkerKilled
        with pytest.raises(error):
            tasks.send_digest_batch(ids, "daily", day)
        assert len(inbox.messages) == 2
        assert EmailDelivery.objects.filter(sent_at__isnull=False).count() == 2

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        assert tasks.send_digest_batch(ids, "daily", day) == 3  # the retry
    finally:
        controller.stop()
    received = Counter(to for _sender, recipients, _raw in inbox.messages for to in recipients)
    refused = 1 if cut == "refused" else 0  # the refused one was retried and accepted
    assert received == {p.email: 1 for p in five_readers}
    assert inbox.recipients == 5 + refused
    assert EmailDelivery.objects.filter(sent_at__isnull=False).count() == 5
