"""Fixtures shared by the whole suite."""

from pathlib import Path

import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from django.core.files.storage import storages
from django.test import Client

from accounts.models import User
from tests.factories import OrganisationFactory, UserFactory

KINDS = [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN]


@pytest.fixture(autouse=True)
def _own_channel_layer():
    """A channel layer (still the real one) per test: each test runs its own event loop, and
    channels_redis keeps receive state bound to the loop that last used it."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and presence live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def file_storage(settings, tmp_path) -> Path:
    """Empty storage and staging folders for each test; returns the storage folder."""
    root, staging = tmp_path / "files", tmp_path / "uploads"
    root.mkdir()
    staging.mkdir()
    settings.FILES_ROOT, settings.FILES_STAGING_DIR = root, staging
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "files.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    storages._storages.pop("files", None)  # the handler caches backends by alias
    yield root
    storages._storages.pop("files", None)


@pytest.fixture
def make_user(db):
    def make(kind: str = User.Kind.STAFF, **fields) -> User:
        return UserFactory(kind=kind, **fields)

    return make


@pytest.fixture
def staff(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Agnès Agent")


@pytest.fixture
def elected(make_user) -> User:
    return make_user(User.Kind.ELECTED, display_name="Élise Élue")


@pytest.fixture
def external(make_user) -> User:
    return make_user(
        User.Kind.EXTERNAL,
        display_name="Ernest Externe",
        organisation=OrganisationFactory(name="Ferment & Co"),
    )


@pytest.fixture
def citizen(make_user) -> User:
    return make_user(User.Kind.CITIZEN, display_name="Cécile Citoyenne", job_title="")


@pytest.fixture
def people(staff, elected, external, citizen) -> dict[str, User]:
    """One person of each kind, keyed by kind."""
    return {
        User.Kind.STAFF: staff,
        User.Kind.ELECTED: elected,
        User.Kind.EXTERNAL: external,
        User.Kind.CITIZEN: citizen,
    }


@pytest.fixture
def client_for():
    """A browser-like client signed in as `user`, enforcing CSRF like a real browser."""

    def make(user: User | None = None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        return client

    return make
