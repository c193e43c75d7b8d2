"""Django settings of ktxh: the store (``ktxh.store``) and the web workspace.

The command line and the web use this one module, hence one database.
Configuration comes from the environment (a twelve-factor style, no file to
edit): ``DATABASE_URL`` (PostgreSQL, ``postgresql://user@host:port/name``),
else ``KTXH_DATABASE`` (the path of a SQLite file), else the SQLite file
``ktxh.sqlite3`` in the user's data directory (``~/.local/share/ktxh`` on
Linux: :func:`default_database`); ``KTXH_SECRET_KEY``, ``KTXH_DEBUG`` (1 to
turn on), ``KTXH_ALLOWED_HOSTS`` (comma separated), ``KTXH_DB_POOL`` (PostgreSQL
connections a process keeps, default 4; 0: no pool). Nothing the web keeps is on one
server's disk or in one process's memory only (sessions, uploads waiting for
confirmation, locks: the database), so several application servers can serve one
PostgreSQL database (docs/deploy.md).

Deployment behind HTTPS is one switch, ``KTXH_HTTPS=1`` (docs/security.md): secure
cookies, HSTS (``KTXH_HSTS_SECONDS``, default a year), the redirect of plain HTTP,
the reverse proxy's ``X-Forwarded-Proto`` and ``X-Forwarded-For`` trusted
(``KTXH_PROXIES``, the number of proxies in front, default 1 in this mode), and
``KTXH_SECRET_KEY`` required (the same on every application server). Without
``KTXH_SECRET_KEY`` and outside that mode (a demo, one machine), a random key is
made once and kept beside the SQLite store (:func:`secret_key`); the old public demo
key is refused unless ``KTXH_DEBUG=1``. Failed logins lock an account and an address
out for a while (django-axes: ``KTXH_LOGIN_FAILURES``, default 10, and
``KTXH_LOCKOUT_MINUTES``, default 15). Every page is served with a
Content-Security-Policy (django-csp) that allows the application's own scripts and
styles only.
"""

from __future__ import annotations

import functools
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from platformdirs import user_data_path

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip() == "1"


def _number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise ImproperlyConfigured(f"{name} phải là một số nguyên không âm, không phải «{raw}»")
    return int(raw)


DEBUG = _flag("KTXH_DEBUG")
HTTPS = _flag("KTXH_HTTPS")  # served over HTTPS only (behind a TLS-terminating proxy)
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
    "axes",
    "csp",
    "ktxh.store",
    "ktxh.web.plan",
]

MIDDLEWARE = [
    # outermost: errors as problem+json under /api/, the database going away as a 503
    "ktxh.web.plan.errors.ErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ktxh.web.plan.security.CSPMiddleware",  # django-csp's, the policy built once
    "ktxh.web.plan.security.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the user read with the session (one query: ktxh.web.plan.sessions)
    "ktxh.web.plan.sessions.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
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
        **database_pool(),
    }


def database_pool() -> dict[str, Any]:
    """Each process keeps its PostgreSQL connections in a pool (psycopg_pool through
    Django's "pool" option) of at most ``KTXH_DB_POOL`` connections (default 4; a
    worker's threads share it); ``KTXH_DB_POOL=0`` keeps one persistent connection per
    thread instead. The pool hands a request a connection that is already open and
    takes it back at the end of the request (docs/deploy.md).

    The pooled connections go straight to PostgreSQL, so they keep the statements
    every request runs prepared (``prepare_threshold``: only those of
    :func:`ktxh.store.sql.hot_cursor`, since Django's own queries are bound on the
    client and never prepared); without the pool (a pooler such as PgBouncer in
    transaction mode may stand in front) nothing is prepared."""
    size = _number("KTXH_DB_POOL", 4)
    if not size:
        return {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    return {
        "CONN_MAX_AGE": 0,  # the pool, not Django, keeps the connections
        "OPTIONS": {
            "pool": {
                "min_size": 1,
                "max_size": size,
                "timeout": _number("KTXH_DB_POOL_TIMEOUT", 10),  # seconds to wait for one
                "max_idle": 300,
            },
            "prepare_threshold": 0,
        },
    }


def default_database() -> Path:
    """Where the SQLite store lives when nothing says otherwise."""
    configured = os.environ.get("KTXH_DATABASE")
    if configured:
        return Path(configured).expanduser().resolve()
    return user_data_path("ktxh", appauthor=False) / "ktxh.sqlite3"


SQLITE_PATH = default_database()

# --- the secret key ----------------------------------------------------------------------

# Public (it was the demo's default): refused unless KTXH_DEBUG=1.
DEMO_SECRET_KEY = "ktxh-demo-only-not-secret-change-me-0123456789"


@functools.cache
def stored_secret_key(path: Path) -> str:
    """The key kept in ``path``, made (random, readable by its owner only) the first
    time. Two processes starting at once agree: the file appears whole (a hard link of
    a finished temporary file) or not at all."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
        return _read_key(path)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Không tạo được khóa bí mật ở {path} ({exc.strerror or exc}); hãy đặt biến môi "
            "trường KTXH_SECRET_KEY (một chuỗi ngẫu nhiên dài ít nhất 50 ký tự)"
        ) from None


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"Khóa bí mật trong {path} quá ngắn; hãy xóa tệp để tạo lại")
    return key


def secret_key() -> str:
    """KTXH_SECRET_KEY; else (not in HTTPS mode) a key made once beside the SQLite store."""
    given = os.environ.get("KTXH_SECRET_KEY", "").strip()
    if given == DEMO_SECRET_KEY and not DEBUG:
        raise ImproperlyConfigured(
            "KTXH_SECRET_KEY là khóa công khai của bản dùng thử: hãy đặt một chuỗi ngẫu nhiên "
            "dài ít nhất 50 ký tự (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if given:
        return given
    if HTTPS:
        raise ImproperlyConfigured(
            "KTXH_HTTPS=1 cần KTXH_SECRET_KEY: một chuỗi ngẫu nhiên dài ít nhất 50 ký tự, giống "
            "nhau trên mọi máy chủ ứng dụng (docs/security.md)"
        )
    # made when first used, not when the settings are read (type checks, --help)
    return lazy(stored_secret_key, str)(SQLITE_PATH.with_name(SQLITE_PATH.name + ".secret-key"))


SECRET_KEY = secret_key()

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
AUTHENTICATION_BACKENDS = [
    # locked-out accounts and addresses first (django-axes), then the user table
    "ktxh.web.plan.security.LockoutBackend",
    "ktxh.web.plan.sessions.StoreBackend",  # Django's ModelBackend, the user read in plain SQL
]

# Repeated failed logins (the login page and POST /api/session): an account, and an
# address, with KTXH_LOGIN_FAILURES failures is locked out for KTXH_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = _number("KTXH_LOGIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=_number("KTXH_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ktxh.web.plan.security.lockout"
AXES_CLIENT_IP_CALLABLE = "ktxh.web.plan.security.client_ip"
AXES_VERBOSE = False
# how many reverse proxies stand in front (their X-Forwarded-For is trusted)
KTXH_PROXIES = _number("KTXH_PROXIES", 1 if HTTPS else 0)
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

# Sessions live in the database only: every application server sees a login, a logout
# and an expiry at once (a per-process cache would keep serving a session that another
# server has ended; docs/deploy.md).
SESSION_ENGINE = "ktxh.web.plan.sessions"  # Django's "db" engine, read in plain SQL
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "ktxh.web.plan.errors.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # the grid's script reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _number("KTXH_SSL_REDIRECT", 1) == 1
    SECURE_HSTS_SECONDS = _number("KTXH_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if KTXH_PROXIES:
        # the proxy must set (not pass on) X-Forwarded-Proto
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Scripts, styles, images and requests from the application itself only: no inline
# script or style (the pages' data travel in json_script blocks and data attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # refusals (403, 404) are answers, not incidents
    "loggers": {"django.request": {"level": "ERROR"}},
}
