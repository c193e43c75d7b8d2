"""Django settings of ktxh: the store (``ktxh.store``) and the web workspace.

The command line and the web use this one module, hence one database.
Configuration comes from the environment (a twelve-factor style, no file to
edit): ``DATABASE_URL`` (PostgreSQL, ``postgresql://user@host:port/name``),
else ``KTXH_DATABASE`` (the path of a SQLite file), else the SQLite file
``ktxh.sqlite3`` in the user's data directory (``~/.local/share/ktxh`` on
Linux: :func:`default_database`); ``KTXH_SECRET_KEY``, ``KTXH_DEBUG`` (1 to
turn on), ``KTXH_ALLOWED_HOSTS`` (comma separated), ``KTXH_UPLOAD_DIR``
(where uploads wait for confirmation).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from platformdirs import user_data_path

BASE_DIR = Path(__file__).resolve().parent

DEBUG = os.environ.get("KTXH_DEBUG", "") == "1"
# The demo key is public: set KTXH_SECRET_KEY on any server that is not a demo.
SECRET_KEY = os.environ.get("KTXH_SECRET_KEY", "ktxh-demo-only-not-secret-change-me-0123456789")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("KTXH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ktxh.store",
    "ktxh.web.plan",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ktxh.web.urls"
WSGI_APPLICATION = "ktxh.web.wsgi.application"

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
                "ktxh.web.plan.views.workspace_context",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, Any]:
    """A Django DATABASES entry from ``postgresql://user:password@host:port/name``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL: chỉ hỗ trợ postgresql://, không phải «{parsed.scheme}»")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def default_database() -> Path:
    """Where the SQLite store lives when nothing says otherwise."""
    configured = os.environ.get("KTXH_DATABASE")
    if configured:
        return Path(configured).expanduser().resolve()
    return user_data_path("ktxh", appauthor=False) / "ktxh.sqlite3"


SQLITE_PATH = default_database()

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
    if os.environ.get("KTXH_TEST_RUN"):  # two test runs on one server use two databases
        name = DATABASES["default"]["NAME"]
        DATABASES["default"]["TEST"] = {"NAME": f"test_{name}_{os.environ['KTXH_TEST_RUN']}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write
                # lock when a transaction starts, so that two writers queue (up to
                # "timeout" seconds) instead of failing with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA mmap_size=268435456;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            "TEST": {"NAME": os.environ.get("KTXH_TEST_SQLITE") or None},
            # keep each worker's connection: opening one (and its PRAGMAs) per request
            # cost more than the save itself
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "plan:login"
LOGIN_REDIRECT_URL = "plan:home"
LOGOUT_REDIRECT_URL = "plan:login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Django's "vi" locale sets the separators ("." and ",") but not the grouping.
USE_THOUSAND_SEPARATOR = True
NUMBER_GROUPING = 3

STATIC_URL = "/static/"
STORAGES = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve the app's static files straight from the package (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions are read from the process's memory after the first request, and kept in the DB.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "ktxh.web.plan.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # the grid's script reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"

# Uploaded workbooks wait here between the preview and the confirmation (docs/web.md);
# default: ktxh-tai-len in the system's temporary directory.
KTXH_UPLOAD_DIR = os.environ.get("KTXH_UPLOAD_DIR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # refusals (403, 404) are answers, not incidents
    "loggers": {"django.request": {"level": "ERROR"}},
}
