"""Maillage settings: every value comes from the environment, with a safe embedded default."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=False)
_INSECURE_KEY = "django-insecure-maillage-development-only"
SECRET_KEY = env("SECRET_KEY") or (_INSECURE_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

if not DEBUG:
    # Refuse to run in production on development defaults.
    if not SECRET_KEY or SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_ID = 1
SITE_NAME = "Maillage"
# The public host name, used in links of e-mails sent outside a request.
SITE_DOMAIN = env("SITE_DOMAIN", ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "localhost")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "accounts",
    "groups",
    "social",
    "files",
    "messaging",
    "realtime",
    "meetings",
    "consultations",
    "search",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LoginRequiredMiddleware",
    "config.middleware.AnonymousRateLimitMiddleware",
    "config.middleware.ApiMethodNotAllowedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "accounts.context_processors.navigation",
            ],
            "builtins": ["django.templatetags.i18n", "django.templatetags.static"],
        },
    }
]

# --- Data -----------------------------------------------------------------------------------

if not env("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'maillage.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
# PostgreSQL connections come from a pool per process. Under ASGI every request runs its sync
# code in a thread of its own, so a connection per request costs a PostgreSQL backend start
# (several ms), and persistent connections (DB_CONN_MAX_AGE) would keep one per thread ever
# made until PostgreSQL refuses more. DB_POOL_SIZE=0 turns the pool off.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_SIZE),
        "max_size": DB_POOL_SIZE,
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: PostgreSQL costs a correlated EXISTS (the policies' row-by-row
    # checks) as if run for every row, so a list of files crossed jit_above_cost and spent two
    # seconds compiling a query that runs in a few milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL")
CHANNEL_PREFIX = env("CHANNEL_PREFIX", "maillage")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "maillage"),
            # One connection pool per process, not one per request (see the class).
            "OPTIONS": {"pool_class": "realtime.connections.SharedConnectionPool"},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub, not the core layer: measured (docs/benchmarks.md, WebSocket fan-out), the
            # core layer dropped thousands of messages at 20 msg/s (each process's inbox holds
            # 100 messages; a 50-member message is 50 of them), pub/sub none.
            "BACKEND": env(
                "CHANNEL_LAYER_BACKEND", "channels_redis.pubsub.RedisPubSubChannelLayer"
            ),
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_PREFIX},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)

# --- Files ----------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside the static tree and have no public URL: every download goes
# through a view that checks policy.
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# Shared files (files/): a local folder by default, S3-compatible object storage when
# FILES_S3_BUCKET is set (django-storages). Blobs are named by generated keys, never by the
# uploaded name, and have no public URL.
FILES_ROOT = Path(env("FILES_ROOT") or BASE_DIR / "var" / "files")
FILES_S3_BUCKET = env("FILES_S3_BUCKET")
if FILES_S3_BUCKET:
    _files_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FILES_S3_BUCKET,
            "endpoint_url": env("FILES_S3_ENDPOINT_URL") or None,
            "region_name": env("FILES_S3_REGION") or None,
            "access_key": env("FILES_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("FILES_S3_SECRET_ACCESS_KEY") or None,
            "location": env("FILES_S3_PREFIX", "maillage"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _files_storage = {
        "BACKEND": "files.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": FILES_ROOT},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "files": _files_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 25_000_000)
AVATAR_SIZE = 256
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Largest shared file (bytes), and the types accepted, as sniffed from the content.
FILES_MAX_SIZE = env_int("FILES_MAX_SIZE", 100 * 1024 * 1024)
FILES_ALLOWED_TYPES = env_list(
    "FILES_ALLOWED_TYPES",
    ",".join(
        [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "text/plain",
            "text/csv",
            "application/zip",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
        ]
    ),
)
# Browsers send big files in chunks (one request each), so that no server process ever holds
# more than a chunk: daphne queues a whole request body in memory before the view runs.
FILES_CHUNK_SIZE = env_int("FILES_CHUNK_SIZE", 8 * 1024 * 1024)
# A request body above this is refused from its Content-Length, before it is read.
MAX_REQUEST_BODY = env_int("MAX_REQUEST_BODY", FILES_CHUNK_SIZE + 1024 * 1024)
FILES_STAGING_DIR = Path(env("FILES_STAGING_DIR") or BASE_DIR / "var" / "uploads")
FILES_UPLOAD_TTL_HOURS = env_int("FILES_UPLOAD_TTL_HOURS", 24)
# Optional per-person quota in bytes (0: none); deleted files stay this many days, then go.
FILES_USER_QUOTA = env_int("FILES_USER_QUOTA", 0)
FILES_RETENTION_DAYS = env_int("FILES_RETENTION_DAYS", 30)
FILES_THUMBNAIL_SIZE = 480
FILES_MAX_PIXELS = env_int("FILES_MAX_PIXELS", 50_000_000)
# Text extracted from PDFs and office documents for search (files.extraction): bounded input,
# unzipped size of office documents (zip bombs), pages or slides, sheets and rows, characters
# (keep those under 250,000: PostgreSQL's tsvector holds 1 MB of words at most).
FILES_TEXT_MAX_BYTES = env_int("FILES_TEXT_MAX_BYTES", 50 * 1024 * 1024)
FILES_TEXT_MAX_UNZIPPED = env_int("FILES_TEXT_MAX_UNZIPPED", 64 * 1024 * 1024)
FILES_TEXT_MAX_PAGES = env_int("FILES_TEXT_MAX_PAGES", 500)
FILES_TEXT_MAX_SHEETS = env_int("FILES_TEXT_MAX_SHEETS", 20)
FILES_TEXT_MAX_ROWS = env_int("FILES_TEXT_MAX_ROWS", 5000)
FILES_TEXT_MAX_CHARS = env_int("FILES_TEXT_MAX_CHARS", 200_000)
# Production: nginx sends the bytes (X-Accel-Redirect to this internal location).
FILES_ACCEL_REDIRECT_PREFIX = env("FILES_ACCEL_REDIRECT_PREFIX")
# Serve downloads from another origin (see docs/deploy.md): the app redirects there with a
# short-lived signed link, and checks policy again when the link is used.
FILES_DOWNLOAD_ORIGIN = env("FILES_DOWNLOAD_ORIGIN").rstrip("/")
FILES_DOWNLOAD_LINK_SECONDS = env_int("FILES_DOWNLOAD_LINK_SECONDS", 60)

# --- Consultations ----------------------------------------------------------------------------

# Per citizen, counted in the database over the last hour (the same across every process).
CONSULTATION_CONTRIBUTIONS_PER_HOUR = env_int("CONSULTATION_CONTRIBUTIONS_PER_HOUR", 5)
CONSULTATION_COMMENTS_PER_HOUR = env_int("CONSULTATION_COMMENTS_PER_HOUR", 20)
CONSULTATION_PHOTO_MAX_BYTES = env_int("CONSULTATION_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
# Words that send a contribution or comment to the moderation queue, with ForbiddenWord rows.
CONSULTATION_FORBIDDEN_WORDS = env_list("CONSULTATION_FORBIDDEN_WORDS", "")

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Authentication -------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "display_name", "handle")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Citizens sign up by themselves; turn off to close public registration.
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", default=True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.CitizenSignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Maillage] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_RATE_LIMITS = {
    # Sign-in: N failures per window, per address and per account.
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", "5/30m/ip,5/30m/key"),
}
if env_bool("RATE_LIMITS_DISABLED"):
    ACCOUNT_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Maillage"
# Sessions are recorded at sign-in; tracking every request would cost a write per request.
USERSESSIONS_TRACK_ACTIVITY = False

# Our own limits (per minute). Empty or 0 turns one off.
API_RATE_LIMIT = env("API_RATE_LIMIT", "200/m")
ANONYMOUS_PAGE_RATE_LIMIT = env("ANONYMOUS_PAGE_RATE_LIMIT", "100/m")
if env_bool("RATE_LIMITS_DISABLED"):
    API_RATE_LIMIT = ANONYMOUS_PAGE_RATE_LIMIT = ""
RATELIMIT_VIEW = "config.views.rate_limited"
# Trusted reverse proxies in front of daphne (nginx: 1), so limits apply per real client.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES

# --- E-mail ---------------------------------------------------------------------------------

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Maillage <ne-pas-repondre@maillage.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs ------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
# Without a broker, tasks run inline so the embedded defaults need nothing else.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# --- Security -------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # TOTP set-up shows its QR code as a data: image.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
