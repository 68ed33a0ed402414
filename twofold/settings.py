"""Twofold's one settings module: everything that varies comes from the environment.

Local runs need nothing set: SQLite under ``var/``, a secret key generated once and kept in
``var/secret_key``, DEBUG off. Production sets ``TWOFOLD_PRODUCTION=1``, ``SECRET_KEY``,
``DATABASE_URL`` (PostgreSQL) and ``ALLOWED_HOSTS``; then ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from twofold.dburl import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TWOFOLD_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = _flag("TWOFOLD_PRODUCTION")
DEBUG = _flag("DEBUG")


def _secret_key() -> str:
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when TWOFOLD_PRODUCTION=1.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "twofold.core",
    "twofold.accounts",
    "twofold.calendars",
    "twofold.projects",
    "twofold.operations",
    "twofold.risks",
    "twofold.capacity",
    "twofold.improvement",
    "twofold.customfields",
    "twofold.attachments",
    "twofold.search",
    "twofold.project_templates",
    "twofold.interchange",
    "twofold.quality",
    "twofold.closeout",
    "twofold.work",
    "twofold.notifications",
    "twofold.comments",
    "twofold.activity",
    "twofold.costs",
    "twofold.evm",
    "twofold.changes",
    "twofold.reports",
    "twofold.demo",
]

MIDDLEWARE = [
    "twofold.core.middleware.ServerTimingMiddleware",
    "twofold.activity.middleware.LiveCheckMiddleware",  # live pages' change check, no session
    "twofold.core.middleware.RequestSizeLimitMiddleware",
    "twofold.core.middleware.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "twofold.core.middleware.CurrentOrganisationMiddleware",
    "twofold.core.middleware.ViewerTimeMiddleware",
    "twofold.accounts.middleware.FirstRunMiddleware",
    "twofold.core.middleware.SecurityHeadersMiddleware",
    "twofold.core.middleware.IntegrityConflictMiddleware",
]

ROOT_URLCONF = "twofold.urls"
WSGI_APPLICATION = "twofold.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "twofold.core.context_processors.shell",
            ],
            # Everywhere: the organisation's date filters (|day, |day_short, |daytime, |month)
            # and {{ user|person }}, a name linked to the person's page; {% url %} with its
            # results cached (twofold/core/urlcache.py).
            "builtins": [
                "twofold.core.templatetags.fast_url",
                "twofold.core.templatetags.twofold_dates",
                "twofold.accounts.templatetags.people",
            ],
        },
    },
]
# <select> written in Python (same markup as Django's templates), not a template per option.
FORM_RENDERER = "twofold.core.form_renderer.FastSelectRenderer"

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", ""), default_sqlite=VAR_DIR / "twofold.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["twofold.accounts.auth.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "projects:portfolio"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Per-process memory cache: the portfolio's cards and their earned-value figures (one entry per
# project each, keyed on what they are made of). Django's default keeps 300 entries and then
# drops a third of them: an organisation with 300 projects had both caches evicting each other,
# and its front page recomputed every card's earned value on every view (3.5 s on the large
# demo instead of ~0.1 s).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "twofold",
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "TWOFOLD_STATIC_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG

# E-mail: SMTP when EMAIL_HOST is set (production), else one file per message under var/mail
# (so `make run` shows what would be sent). Notification e-mails go through the outbox that
# `twofold worker` sends (twofold/notifications/outbox.py); EMAIL_BACKEND overrides the choice.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1" if EMAIL_PORT == 587 else "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "1" if EMAIL_PORT == 465 else "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "twofold@localhost")

SESSION_ENGINE = "twofold.core.sessions"  # Django's db sessions, the read compiled once
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Days a trashed project, task, process, … can be restored before `twofold worker` deletes it
# for good (docs/security.md, "Trash").
TWOFOLD_TRASH_DAYS = int(os.environ.get("TWOFOLD_TRASH_DAYS", "30"))
# Minutes a comment's author may edit it (docs/collaboration.md).
TWOFOLD_COMMENT_EDIT_MINUTES = int(os.environ.get("TWOFOLD_COMMENT_EDIT_MINUTES", "15"))
# Spreadsheet imports of more rows than this run as a background job (docs/interchange.md).
TWOFOLD_SHEET_INLINE_ROWS = int(os.environ.get("TWOFOLD_SHEET_INLINE_ROWS", "2000"))
# The address people use to reach Twofold: links in e-mails (invitations) point here.
TWOFOLD_BASE_URL = os.environ.get("TWOFOLD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: the client's address is
# taken that many entries from the right. 0 (default) trusts only the socket's address.
TWOFOLD_TRUSTED_PROXY_COUNT = int(os.environ.get("TWOFOLD_TRUSTED_PROXY_COUNT", "0"))
# Largest request body accepted (uploads included), in bytes; larger requests answer 413.
TWOFOLD_MAX_REQUEST_BYTES = int(os.environ.get("TWOFOLD_MAX_REQUEST_MB", "20")) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Fields one form may post (Django's default, 1,000, answered 400 to the schedule-risk form of a
# 2,000-task plan: three estimates per task). 40,000 covers a 10,000-task plan; the request's
# size stays capped by TWOFOLD_MAX_REQUEST_BYTES.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 40_000
# Webhooks and other outbound requests refuse internal addresses (twofold/core/outbound.py);
# these host names (comma-separated, exact) may be internal anyway, e.g. an on-premises receiver.
TWOFOLD_OUTBOUND_ALLOW_HOSTS = [
    h.strip() for h in os.environ.get("TWOFOLD_OUTBOUND_ALLOW_HOSTS", "").split(",") if h.strip()
]
# A webhook endpoint is switched off after this many failed attempts in a row.
TWOFOLD_WEBHOOK_DISABLE_AFTER = int(os.environ.get("TWOFOLD_WEBHOOK_DISABLE_AFTER", "20"))

# Sign-in throttling: this many failures for one e-mail (or from one address) within the
# window lock further attempts until the window has passed.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
