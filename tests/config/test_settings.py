"""Settings come from the environment: production refuses development defaults, and the
Redis-backed services are used exactly when REDIS_URL is set.

Each case runs in a fresh interpreter with an environment built from scratch, so nothing of
the test run (DATABASE_URL, REDIS_URL, CI, DEBUG, DJANGO_SETTINGS_MODULE) leaks into it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "maillage.example",
    "FILES_ACCEL_REDIRECT_PREFIX": "/protected-files/",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run("manage.py", *args, **env)


def secret_key() -> str:
    key = secrets.token_urlsafe(48)
    assert len(key) == 64
    return key


def test_production_settings_pass_the_deploy_check_without_any_warning():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secret_key(), **PRODUCTION
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output
    assert "?:" not in output  # every system-check message starts with "?: (id)"


def test_the_deploy_check_catches_a_weakened_production_setting():
    # Proves the check above has teeth: turning HTTPS redirection off is reported.
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secret_key(),
        SECURE_SSL_REDIRECT="false",
        **PRODUCTION,
    )

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "key",
    [None, "", "trop-courte", "django-insecure-maillage-development-only"],
    ids=["unset", "empty", "short", "development-key"],
)
def test_production_refuses_to_start_without_a_real_secret_key(key):
    env = dict(PRODUCTION)
    if key is not None:
        env["SECRET_KEY"] = key

    result = manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DEBUG="false", SECRET_KEY=secret_key())

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


SHOW_BACKENDS = """
import json
from django.conf import settings
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "channel_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "database": settings.DATABASES["default"]["ENGINE"],
}))
"""


def backends(**env: str) -> dict:
    result = run("-c", SHOW_BACKENDS, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_redis_url_the_embedded_in_memory_backends_are_used():
    used = backends()

    assert used["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert used["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert used["celery_eager"] is True
    assert used["database"] == "django.db.backends.sqlite3"


def test_with_redis_url_the_cache_and_channel_layer_use_redis():
    url = "redis://redis.internal:6379/3"

    used = backends(REDIS_URL=url)

    assert used["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert used["cache_location"] == url
    assert used["channel_layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert used["channel_hosts"] == [url]
    assert used["celery_eager"] is False


def test_shared_files_go_to_a_private_local_folder_by_default():
    done = run(
        "-c",
        "import django; django.setup();"
        "from django.core.files.storage import storages; s = storages['files'];"
        "print(type(s).__name__, s.location);"
        "s.url('2026/12/x')",
        DEBUG="true",
        FILES_ROOT="/srv/maillage-files",
    )
    assert done.stdout.split() == ["PrivateFileSystemStorage", "/srv/maillage-files"]
    assert "Shared files have no public URL" in done.stderr


def test_shared_files_go_to_s3_compatible_storage_when_a_bucket_is_configured():
    done = run(
        "-c",
        "import django; django.setup();"
        "from django.core.files.storage import storages; s = storages['files'];"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.location, s.default_acl,"
        " s.querystring_auth)",
        DEBUG="true",
        FILES_S3_BUCKET="maillage-fichiers",
        FILES_S3_ENDPOINT_URL="https://s3.fr-par.example",
        FILES_S3_ACCESS_KEY_ID="key",
        FILES_S3_SECRET_ACCESS_KEY="secret",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "S3Storage",
        "maillage-fichiers",
        "https://s3.fr-par.example",
        "maillage",
        "private",
        "True",
    ]


def test_the_deploy_check_asks_for_nginx_to_send_downloads():
    production = {k: v for k, v in PRODUCTION.items() if k != "FILES_ACCEL_REDIRECT_PREFIX"}
    result = manage("check", "--deploy", SECRET_KEY=secret_key(), **production)
    assert "files.W001" in result.stdout + result.stderr
