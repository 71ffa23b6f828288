"""RGPD retention: a citizen's account nobody signed in to for 3 years is deleted, as the
processing notice promises (contributions stay, signed « un habitant »), never before a
warning e-mail given a month before, in the citizen's language; the job is idempotent and
batched, and one bad address stops neither the other warnings nor the deletions."""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from accounts import services, tasks
from accounts.models import User
from config.celery import app
from consultations.models import Contribution
from notifications.models import EmailDelivery, NotificationSettings
from social.models import Post
from tests.consultations.conftest import contribute, make_consultation  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
YEAR = timedelta(days=365)
DAY = timedelta(days=1)


class RefusingBackend(EmailBackend):
    """A mail server that refuses, for good, the addresses at refuse.test (as SMTP does)."""

    def send_messages(self, messages):
        for message in messages:
            refused = [to for to in message.to if to.endswith("@refuse.test")]
            if refused:
                raise smtplib.SMTPRecipientsRefused(dict.fromkeys(refused, (550, b"No such user")))
        return super().send_messages(messages)


class DownBackend(EmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_retention.RefusingBackend"


@pytest.fixture
def down(settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_retention.DownBackend"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def person(make_user, now):
    """`person(kind, last_login=…, joined=…)`: an account last seen at that moment."""

    def make(kind=User.Kind.CITIZEN, *, last_login=None, joined=None, **fields):
        user = make_user(kind, **fields)
        User.objects.filter(pk=user.pk).update(
            last_login=last_login, date_joined=joined or now - 4 * YEAR
        )
        user.refresh_from_db()
        return user

    return make


def exists(user: User) -> bool:
    return User.objects.filter(pk=user.pk).exists()


def warned(user: User, when) -> User:
    """`user` was sent their warning, for this absence, at `when`."""
    key = services.retention_warning_key(user.pk, user.last_login or user.date_joined)
    EmailDelivery.objects.create(key=key, recipient=user, created_at=when, sent_at=when)
    return user


def test_citizens_unseen_for_three_years_are_forgotten_and_their_words_stay(
    person,
    now,
    staff,
    make_consultation,  # noqa: F811
):
    gone = person(last_login=now - 3 * YEAR - timedelta(days=2), display_name="Ancienne")
    never_signed_in = person(joined=now - 3 * YEAR - timedelta(days=2))
    for user in (gone, never_signed_in):
        warned(user, now - 32 * DAY)
    recent = person(last_login=now - 3 * YEAR + timedelta(days=2))
    new = person(joined=now - timedelta(days=10))
    old_agents = [
        person(kind, last_login=now - 5 * YEAR)
        for kind in (User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL)
    ]
    consultation = make_consultation(staff)
    said = contribute(gone, consultation, title="Lampadaire de la rue Haute")

    counts = services.forget_inactive_citizens(now=now)

    assert counts == {"forgotten": 2, "kept": 0, "waiting": 0}
    assert not exists(gone)
    assert not exists(never_signed_in)
    assert all(exists(u) for u in (recent, new, *old_agents))
    said = Contribution.objects.get(pk=said.pk)
    assert said.author_id is None
    assert said.author_display == "un habitant"
    # Again: nothing more to do.
    assert services.forget_inactive_citizens(now=now) == {"forgotten": 0, "kept": 0, "waiting": 0}
    assert exists(recent)


def test_the_job_goes_through_every_batch_and_logs_its_counts(person, now, caplog):
    old = [warned(person(last_login=now - 4 * YEAR), now - 40 * DAY) for _ in range(5)]
    unwarned = [person(last_login=now - 4 * YEAR) for _ in range(2)]
    with caplog.at_level(logging.INFO, logger="accounts.services"):
        counts = services.forget_inactive_citizens(now=now, batch_size=2)
    assert counts == {"forgotten": 5, "kept": 0, "waiting": 2}
    assert not any(exists(u) for u in old)
    assert all(exists(u) for u in unwarned)
    assert "5 inactive citizen account(s) forgotten, 0 kept, 2 waiting" in caplog.text


def test_an_account_something_still_holds_is_kept_and_the_others_go(person, now, caplog):
    held = warned(person(last_login=now - 4 * YEAR), now - 40 * DAY)
    Post.objects.create(author=held, body="Bonjour")  # a post protects its author
    other = warned(person(last_login=now - 4 * YEAR), now - 40 * DAY)
    with caplog.at_level(logging.WARNING, logger="accounts.services"):
        counts = services.forget_inactive_citizens(now=now)
    assert counts == {"forgotten": 1, "kept": 1, "waiting": 0}
    assert exists(held)
    assert Post.objects.filter(author=held).exists()  # nothing half-done
    assert not exists(other)
    assert f"citizen account {held.pk} is still referenced" in caplog.text


def test_the_beat_runs_the_task_daily_and_it_warns_then_forgets(person, now):
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "accounts.tasks.forget_inactive_citizens" in schedule
    gone = warned(person(last_login=now - 4 * YEAR), now - 31 * DAY)
    soon = person(last_login=now - 3 * YEAR + timedelta(days=10))
    tasks.forget_inactive_citizens.delay()
    assert not exists(gone)
    assert exists(soon)
    assert [m.to for m in mail.outbox] == [[soon.email]]


def test_a_warning_leaves_once_a_month_before_in_the_citizens_language(person, now):
    in_french = person(last_login=now - 3 * YEAR + timedelta(days=10), display_name="Rose")
    in_english = person(last_login=now - 3 * YEAR + timedelta(days=20), display_name="Ann")
    NotificationSettings.objects.create(user=in_english, language="en")
    not_yet = person(last_login=now - 3 * YEAR + timedelta(days=40))
    late = person(last_login=now - 4 * YEAR)  # never warned (first run): warned now
    person(last_login=now - 3 * YEAR + timedelta(days=10), is_active=False)  # cannot sign in

    sent = services.warn_inactive_citizens(now=now)
    assert sent == {"sent": 3, "unreachable": 0, "refused": 0, "failed": 0}

    by_address = {m.to[0]: m for m in mail.outbox}
    french = by_address[in_french.email]
    day = timezone.localdate(now) + 30 * DAY  # the deletion, a month after the warning
    assert french.subject.startswith("[Maillage] Votre compte Maillage sera supprimé le ")
    assert f"{day.day} " in french.subject
    assert str(day.year) in french.subject
    assert "Bonjour Rose" in french.body
    assert "un habitant" in french.body
    assert "/compte/login/" in french.body
    english = by_address[in_english.email]
    assert english.subject.startswith("[Maillage] Your Maillage account will be deleted on ")
    assert "Hello Ann" in english.body
    assert english.extra_headers["Content-Language"] == "en"
    # Warned late (past the 3 years), deleted a month from now all the same.
    assert by_address[late.email].subject == french.subject
    # Retried, or run twice: nothing more.
    assert services.warn_inactive_citizens(now=now)["sent"] == 0
    assert len(mail.outbox) == 3
    # Signing in starts a new period: a new warning when it too nears its end.
    User.objects.filter(pk=in_french.pk).update(last_login=now)
    assert services.warn_inactive_citizens(now=now + 3 * YEAR - timedelta(days=5))["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox[3:]) == sorted([in_french.email, not_yet.email])


def test_nobody_is_deleted_before_a_warning_a_month_old_even_at_the_first_run(person, now):
    """After deploying, or after beat or the mail server was down: those past 3 years are
    warned first, and deleted a month later."""
    late = person(last_login=now - 4 * YEAR)
    never_signed_in = person(joined=now - 3 * YEAR - 2 * DAY)
    tasks.forget_inactive_citizens.delay()
    assert exists(late)
    assert exists(never_signed_in)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([late.email, never_signed_in.email])
    assert services.forget_inactive_citizens(now=now + 29 * DAY) == {
        "forgotten": 0,
        "kept": 0,
        "waiting": 2,
    }
    assert exists(late)
    assert services.forget_inactive_citizens(now=now + 30 * DAY)["forgotten"] == 2
    assert not exists(late)
    assert not exists(never_signed_in)


def test_signing_in_after_the_warning_keeps_the_account(person, now):
    came_back = person(last_login=now - 3 * YEAR + 10 * DAY)
    stayed_away = person(last_login=now - 3 * YEAR + 10 * DAY)
    services.warn_inactive_citizens(now=now)
    assert len(mail.outbox) == 2
    User.objects.filter(pk=came_back.pk).update(last_login=now + 5 * DAY)

    assert services.forget_inactive_citizens(now=now + 31 * DAY) == {
        "forgotten": 1,
        "kept": 0,
        "waiting": 0,
    }
    assert exists(came_back)
    assert not exists(stayed_away)
    # Their new absence needs its own warning: the old one does not count.
    User.objects.filter(pk=came_back.pk).update(last_login=now - 4 * YEAR + DAY)
    assert services.forget_inactive_citizens(now=now + 31 * DAY)["waiting"] == 1
    assert exists(came_back)


def test_a_warning_given_for_an_earlier_absence_does_not_count(person, now):
    user = person(last_login=now - 4 * YEAR)
    warned(user, now - 60 * DAY)
    User.objects.filter(pk=user.pk).update(last_login=now - 4 * YEAR + DAY)
    assert services.forget_inactive_citizens(now=now)["waiting"] == 1
    assert exists(user)


def test_a_refused_address_stops_neither_the_other_warnings_nor_the_deletions(
    person, now, refusing, caplog
):
    refused = person(last_login=now - 3 * YEAR + 10 * DAY, email="rose@refuse.test")
    fine = person(last_login=now - 3 * YEAR + 10 * DAY)
    gone = warned(person(last_login=now - 4 * YEAR), now - 31 * DAY)
    with caplog.at_level(logging.INFO, logger="accounts.services"):
        tasks.forget_inactive_citizens.delay()
    assert [m.to for m in mail.outbox] == [[fine.email]]
    assert not exists(gone)
    assert exists(refused)
    assert exists(fine)
    assert f"the warning to citizen {refused.pk} failed" in caplog.text
    assert "1 warning e-mail(s) sent, 0 without a usable address, 1 refused, 0 failed" in (
        caplog.text
    )
    # Tried again the next day; the one sent is not sent again.
    assert services.warn_inactive_citizens(now=now + DAY) == {
        "sent": 0,
        "unreachable": 0,
        "refused": 1,
        "failed": 0,
    }
    assert len(mail.outbox) == 1


def test_the_forgetting_runs_even_when_the_warnings_crash(person, now, settings):
    settings.EMAIL_BACKEND = "no.such.Backend"  # every warning raises (ImportError)
    gone = warned(person(last_login=now - 4 * YEAR), now - 31 * DAY)
    person(last_login=now - 3 * YEAR + 10 * DAY)
    tasks.forget_inactive_citizens.delay()
    assert not exists(gone)


@pytest.mark.parametrize("email", ["", "pas-une-adresse"])
def test_an_account_without_a_usable_address_goes_a_month_after_the_warning_was_due(
    person, now, email
):
    """Nobody to warn: the attempt is recorded, and the account goes a month later."""
    user = person(last_login=now - 4 * YEAR)
    User.objects.filter(pk=user.pk).update(email=email)
    assert services.warn_inactive_citizens(now=now)["unreachable"] == 1
    assert mail.outbox == []
    assert services.forget_inactive_citizens(now=now + 29 * DAY)["waiting"] == 1
    assert exists(user)
    assert services.forget_inactive_citizens(now=now + 30 * DAY)["forgotten"] == 1
    assert not exists(user)


def test_an_address_refused_for_a_month_goes_and_one_refused_once_waits(person, now, refusing):
    refused_daily = person(last_login=now - 4 * YEAR, email="ann@refuse.test")
    for day in range(30):
        services.warn_inactive_citizens(now=now + day * DAY)
    refused_once = person(last_login=now - 4 * YEAR, email="bob@refuse.test")
    services.warn_inactive_citizens(now=now)
    EmailDelivery.objects.update(created_at=now - 40 * DAY)  # both first tried long ago

    counts = services.forget_inactive_citizens(now=now + 30 * DAY)
    assert counts == {"forgotten": 1, "kept": 0, "waiting": 1}
    assert not exists(refused_daily)
    assert exists(refused_once)


def test_a_mail_server_down_deletes_nobody_unwarned_and_the_warnings_wait(
    person, now, down, caplog
):
    waiting = [person(last_login=now - 4 * YEAR) for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="accounts.services"):
        for day in range(40):
            counts = services.warn_inactive_citizens(now=now + day * DAY, max_failures_in_a_row=2)
    assert counts == {"sent": 0, "unreachable": 0, "refused": 0, "failed": 2}
    assert "2 warnings failed in a row, the others wait for the next run" in caplog.text
    EmailDelivery.objects.update(created_at=now - 60 * DAY)
    assert services.forget_inactive_citizens(now=now + 40 * DAY)["waiting"] == 3
    assert all(exists(u) for u in waiting)
