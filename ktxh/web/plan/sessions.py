"""Who is asking: the session and its user, read in plain queries (one, most of the time).

Sessions live in the database (``django_session``) and nowhere else, so that every
application server sees a login, a logout or an expiry at once (docs/deploy.md);
reading them and the user is part of every request, the grid's saves included, so
both are read with plain SQL instead of the ORM (which costs several times the CPU
of the query itself). Behaviour is Django's own: :class:`SessionStore` is Django's
database session store with a cheaper ``load``; :class:`StoreBackend` is Django's
``ModelBackend`` with a cheaper ``get_user`` (inactive users are refused as before).

The user's query also reads what nearly every request asks next, so that none of it
costs a round trip of its own: the user's profile (its scope:
:func:`ktxh.store.permissions.scope_of`) and the plan's stamp with the reporting
rounds (:func:`ktxh.store.lookup.lookup`). They are kept on the user object, which
lives as long as the request. And once a process has seen a session, it reads the
session and its user in the same query (:class:`AuthenticationMiddleware`): a
request's identity is one round trip, everything read afresh from the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.backends import db
from django.core.signals import setting_changed
from django.db import connection, models
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from ktxh.store import lookup, permissions
from ktxh.store.models import Department, OrgUnit, Plan, Profile, Round
from ktxh.store.sql import db_datetime, hot_cursor

_SESSION_SQL = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"
_USER_FIELDS = list(User._meta.concrete_fields)
_USER_WIDTH = len(_USER_FIELDS)


def _identity_sql() -> tuple[str, str]:
    """The columns and the joins that read a user (``u``, joined by the caller), its
    profile (a department's forms as "2,5"), the plan's stamp and the rounds
    ("2023:open,2024:closed")."""
    qn = connection.ops.quote_name

    def joined(expression: str) -> str:  # the values of a column as "a,b"
        if connection.vendor == "postgresql":
            return f"string_agg({expression}, ',')"
        return f"group_concat({expression}, ',')"

    forms = Department.forms.through._meta.db_table
    rounds = joined("CAST(r.year AS TEXT) || ':' || r.status")
    columns = (
        f"{', '.join('u.' + qn(str(f.column)) for f in _USER_FIELDS)}, "
        "p.role, p.orgunit_id, o.path, p.title, "
        f"(SELECT {joined('CAST(df.form_id AS TEXT)')} FROM {qn(forms)} df "
        "WHERE df.department_id = p.department_id), "
        f"pl.id, pl.loaded_at, (SELECT {rounds} FROM {qn(Round._meta.db_table)} r)"
    )
    joins = (
        f"LEFT JOIN {qn(Profile._meta.db_table)} p ON p.user_id = u.id "
        f"LEFT JOIN {qn(OrgUnit._meta.db_table)} o ON o.code = p.orgunit_id "
        f"LEFT JOIN (SELECT id, loaded_at FROM {qn(Plan._meta.db_table)} ORDER BY id LIMIT 1) pl "
        "ON 1 = 1"
    )
    return columns, joins


_IDENTITY_COLUMNS, _IDENTITY_JOINS = _identity_sql()
_USER_TABLE = connection.ops.quote_name(User._meta.db_table)
# the user by its id: one row, or none when there is no such user
_USER_SQL = f"SELECT {_IDENTITY_COLUMNS} FROM {_USER_TABLE} u {_IDENTITY_JOINS} WHERE u.id = %s"
# the session and the user it was found to be of before: the user's columns are nulls
# when there is no such user, and no row when there is no such session (or it expired)
_SESSION_USER_SQL = (
    f"SELECT s.session_data, {_IDENTITY_COLUMNS} FROM django_session s "
    f"LEFT JOIN {_USER_TABLE} u ON u.id = %s {_IDENTITY_JOINS} "
    "WHERE s.session_key = %s AND s.expire_date > %s"
)

# session key -> the id of the user the session was last found to be of, in this process:
# which user to read with the session. A guess only: the session read with it decides
# (a guess that turns out wrong costs the user's query of its own).
_user_hints: dict[str, int] = {}
MAX_HINTS = 20_000
# session data -> its decoded content, when every value is a plain one: decoding
# (checking the signature) is a pure function of the text and the secret key
_decoded: dict[str, dict[str, Any]] = {}
MAX_DECODED = 5_000
_lock = threading.Lock()
_prefetched: ContextVar[tuple[int, tuple[Any, ...]] | None] = ContextVar(
    "ktxh_prefetched_user", default=None
)


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    """The secret key or the user model may have changed (tests): guess nothing."""
    _decoded.clear()
    _user_hints.clear()


def _remember(cache: dict[str, Any], key: str, value: Any, limit: int) -> None:
    with _lock:
        if len(cache) >= limit:
            cache.clear()  # a crude bound: the active sessions come back at once
        cache[key] = value


class SessionStore(db.SessionStore):
    """Django's database sessions (``SESSION_ENGINE = "ktxh.web.plan.sessions"``)."""

    _ktxh_user: tuple[int, tuple[Any, ...]] | None = None  # (id, row) read with it

    def load(self) -> dict[str, Any]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        key = self.session_key
        hint = _user_hints.get(key) if key else None
        with hot_cursor() as cursor:
            if hint is None:
                cursor.execute(_SESSION_SQL, [key, now])
            else:
                cursor.execute(_SESSION_USER_SQL, [hint, key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        found: dict[str, Any] = self.decode(row[0])
        user_id = found.get(SESSION_KEY)
        if hint is not None and str(user_id) == str(hint):
            self._ktxh_user = (hint, row[1:])
        elif key and isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
            _remember(_user_hints, key, int(user_id), MAX_HINTS)
        return found

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        text = session_data if isinstance(session_data, str) else ""
        known = _decoded.get(text) if text else None
        if known is not None:
            return dict(known)
        found: dict[str, Any] = super().decode(session_data)
        if text and found and all(isinstance(v, str | int | float | bool) for v in found.values()):
            _remember(_decoded, text, dict(found), MAX_DECODED)
        return found


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(f, models.DateTimeField):
        return db_datetime
    if isinstance(f, models.BooleanField):
        return bool
    return None


_USER_CONVERTERS = [_converter(f) for f in _USER_FIELDS]
_USER_ATTNAMES = [f.attname for f in _USER_FIELDS]


def _user_from_row(row: tuple[Any, ...]) -> User:
    values = [
        raw if convert is None else convert(raw)
        for convert, raw in zip(_USER_CONVERTERS, row[:_USER_WIDTH], strict=True)
    ]
    return User.from_db(connection.alias, _USER_ATTNAMES, values)


class StoreBackend(ModelBackend):
    """Django's user table; the request's user read in one plain query, or with its
    session (:class:`AuthenticationMiddleware`)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        read = _prefetched.get()
        row: tuple[Any, ...] | None
        if read is not None and read[0] == pk:
            row = read[1] if read[1][0] is not None else None
        else:
            with hot_cursor() as cursor:
                cursor.execute(_USER_SQL, [pk])
                row = cursor.fetchone()
        if row is None:
            return None
        user = _user_from_row(row)
        # a new object for each request: what is cached on it (the scope, the catalog's
        # index: ktxh.store.lookup) lives as long as the request
        setattr(user, "_ktxh_per_request", True)  # noqa: B010
        role, orgunit, path, title, forms, plan_id, loaded_at, rounds = row[_USER_WIDTH:]
        permissions.hold_profile(user, role, orgunit, path, title, forms)
        lookup.hold(user, plan_id, loaded_at, rounds)
        return user if self.user_can_authenticate(user) else None


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, whose user is the one read with the session when it is the session's
    (``django.contrib.auth.get_user`` decides as ever: the backend, the session's hash)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user_of(request))  # type: ignore[assignment]


def _user_of(request: HttpRequest) -> Any:
    cached = getattr(request, "_cached_user", None)
    if cached is not None:
        return cached
    session = request.session
    session.get(SESSION_KEY)  # loaded (auth.get_user reads it first thing anyway)
    read = getattr(session, "_ktxh_user", None)
    token = _prefetched.set(read)
    try:
        user = auth.get_user(request)
    finally:
        _prefetched.reset(token)
    setattr(request, "_cached_user", user)  # noqa: B010 (as Django's middleware does)
    return user
