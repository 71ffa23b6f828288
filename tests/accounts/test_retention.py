"""RGPD retention: a citizen's account nobody signed in to for 3 years is deleted, as the
processing notice promises (contributions stay, signed « un habitant »), after a warning
e-mail a month before, in the citizen's language; the job is idempotent and batched."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services, tasks
from accounts.models import User
from config.celery import app
from consultations.models import Contribution
from notifications.models import NotificationSettings
from social.models import Post
from tests.consultations.conftest import contribute, make_consultation  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
YEAR = timedelta(days=365)


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


def test_citizens_unseen_for_three_years_are_forgotten_and_their_words_stay(
    person,
    now,
    staff,
    make_consultation,  # noqa: F811
):
    gone = person(last_login=now - 3 * YEAR - timedelta(days=2), display_name="Ancienne")
    never_signed_in = person(joined=now - 3 * YEAR - timedelta(days=2))
    recent = person(last_login=now - 3 * YEAR + timedelta(days=2))
    new = person(joined=now - timedelta(days=10))
    old_agents = [
        person(kind, last_login=now - 5 * YEAR)
        for kind in (User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL)
    ]
    consultation = make_consultation(staff)
    said = contribute(gone, consultation, title="Lampadaire de la rue Haute")

    counts = services.forget_inactive_citizens(now=now)

    assert counts == {"forgotten": 2, "kept": 0}
    assert not exists(gone)
    assert not exists(never_signed_in)
    assert all(exists(u) for u in (recent, new, *old_agents))
    said = Contribution.objects.get(pk=said.pk)
    assert said.author_id is None
    assert said.author_display == "un habitant"
    # Again: nothing more to do.
    assert services.forget_inactive_citizens(now=now) == {"forgotten": 0, "kept": 0}
    assert exists(recent)


def test_the_job_goes_through_every_batch_and_logs_its_counts(person, now, caplog):
    old = [person(last_login=now - 4 * YEAR) for _ in range(5)]
    with caplog.at_level(logging.INFO, logger="accounts.services"):
        counts = services.forget_inactive_citizens(now=now, batch_size=2)
    assert counts == {"forgotten": 5, "kept": 0}
    assert not any(exists(u) for u in old)
    assert "5 inactive citizen account(s) forgotten, 0 kept" in caplog.text


def test_an_account_something_still_holds_is_kept_and_the_others_go(person, now, caplog):
    held = person(last_login=now - 4 * YEAR)
    Post.objects.create(author=held, body="Bonjour")  # a post protects its author
    other = person(last_login=now - 4 * YEAR)
    with caplog.at_level(logging.WARNING, logger="accounts.services"):
        counts = services.forget_inactive_citizens(now=now)
    assert counts == {"forgotten": 1, "kept": 1}
    assert exists(held)
    assert Post.objects.filter(author=held).exists()  # nothing half-done
    assert not exists(other)
    assert f"citizen account {held.pk} is still referenced" in caplog.text


def test_the_beat_runs_the_task_daily_and_it_warns_then_forgets(person, now):
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "accounts.tasks.forget_inactive_citizens" in schedule
    gone = person(last_login=now - 4 * YEAR)
    soon = person(last_login=now - 3 * YEAR + timedelta(days=10))
    tasks.forget_inactive_citizens.delay()
    assert not exists(gone)
    assert exists(soon)
    assert [m.to for m in mail.outbox] == [[soon.email]]


def test_a_warning_leaves_once_a_month_before_in_the_citizens_language(person, now):
    in_french = person(last_login=now - 3 * YEAR + timedelta(days=10), display_name="Rose")
    in_english = person(last_login=now - 3 * YEAR + timedelta(days=20), display_name="Ann")
    NotificationSettings.objects.create(user=in_english, language="en")
    person(last_login=now - 3 * YEAR + timedelta(days=40))  # not yet
    person(last_login=now - 4 * YEAR)  # too late: forgotten, not warned
    person(last_login=now - 3 * YEAR + timedelta(days=10), is_active=False)  # cannot sign in

    assert services.warn_inactive_citizens(now=now) == 2

    by_address = {m.to[0]: m for m in mail.outbox}
    french = by_address[in_french.email]
    deleted_on = in_french.last_login.replace(year=in_french.last_login.year + 3)
    day = timezone.localtime(deleted_on)
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
    # Retried, or run twice: nothing more.
    assert services.warn_inactive_citizens(now=now) == 0
    assert len(mail.outbox) == 2
    # Signing in starts a new period: a new warning when it too nears its end.
    User.objects.filter(pk=in_french.pk).update(last_login=now)
    assert services.warn_inactive_citizens(now=now + 3 * YEAR - timedelta(days=5)) == 1
    assert len(mail.outbox) == 3
