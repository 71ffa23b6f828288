"""Test settings: PostgreSQL and Redis when they answer (required when CI is set)."""

import os
import socket
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "true")
_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKER_INDEX = int(_WORKER.removeprefix("gw") or 0)


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _service(variable: str, default_url: str, default_port: int) -> str:
    url = os.environ.get(variable) or default_url
    if _answers(url, default_port):
        return url
    if _CI:
        raise ImproperlyConfigured(f"CI is set but {variable} ({url}) does not answer.")
    return ""


_database = _service("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/maillage", 5432)
if _database:
    os.environ["DATABASE_URL"] = _database
else:
    os.environ.pop("DATABASE_URL", None)

_redis = _service("REDIS_URL", "redis://127.0.0.1:6379/0", 6379)
if _redis:
    # One Redis database per xdist worker, so flushing the cache in one never disturbs another.
    _base = int(os.environ.get("TEST_REDIS_DB_BASE", "1"))
    os.environ["REDIS_URL"] = _redis.rsplit("/", 1)[0] + f"/{_base + _WORKER_INDEX}"
    os.environ["CHANNEL_PREFIX"] = f"maillage-test-{_WORKER}"
else:
    os.environ.pop("REDIS_URL", None)
os.environ.setdefault("CELERY_BROKER_URL", "")

from config.settings import *  # noqa: E402, F403

if _CI and (DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not REDIS_URL):  # noqa: F405
    raise ImproperlyConfigured("CI runs on PostgreSQL and Redis only.")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{_WORKER}"  # noqa: F405
# Each test gets its own empty folders (tests/conftest.py), so "nothing left on disk" can be
# checked; these are the fallbacks for code that runs outside a test (the live server's).
FILES_ROOT = BASE_DIR / "var" / f"test-files-{_WORKER}"  # noqa: F405
FILES_STAGING_DIR = BASE_DIR / "var" / f"test-uploads-{_WORKER}"  # noqa: F405
STORAGES["files"] = {  # noqa: F405
    "BACKEND": "files.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": FILES_ROOT},
}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Rate limits are exercised by their own tests; elsewhere they would only add noise.
API_RATE_LIMIT = ""
ANONYMOUS_PAGE_RATE_LIMIT = ""
