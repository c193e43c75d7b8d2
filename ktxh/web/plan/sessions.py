"""Who is asking: the session and its user, each read in one plain query.

Sessions live in the database (``django_session``) and nowhere else, so that every
application server sees a login, a logout or an expiry at once (docs/deploy.md);
reading them and the user is part of every request, the grid's saves included, so
both are read with plain SQL instead of the ORM (which costs several times the CPU
of the query itself). Behaviour is Django's own: :class:`SessionStore` is Django's
database session store with a cheaper ``load``; :class:`StoreBackend` is Django's
``ModelBackend`` with a cheaper ``get_user`` (inactive users are refused as before).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.backends import db
from django.db import connection, models
from django.utils import timezone

from ktxh.store.sql import db_datetime

_SESSION_SQL = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"
_USER_FIELDS = list(User._meta.concrete_fields)
_USER_SQL = (
    f"SELECT {', '.join(connection.ops.quote_name(str(f.column)) for f in _USER_FIELDS)} "
    f"FROM {connection.ops.quote_name(User._meta.db_table)} WHERE id = %s"
)


class SessionStore(db.SessionStore):
    """Django's database sessions (``SESSION_ENGINE = "ktxh.web.plan.sessions"``)."""

    def load(self) -> dict[str, Any]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_SESSION_SQL, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        found: dict[str, Any] = self.decode(row[0])
        return found


def _user_from_row(row: tuple[Any, ...]) -> User:
    values: list[Any] = []
    for f, raw in zip(_USER_FIELDS, row, strict=True):
        if isinstance(f, models.DateTimeField):
            values.append(db_datetime(raw))
        elif isinstance(f, models.BooleanField):
            values.append(bool(raw))
        else:
            values.append(raw)
    return User.from_db(connection.alias, [f.attname for f in _USER_FIELDS], values)


class StoreBackend(ModelBackend):
    """Django's user table; the request's user read in one plain query."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        with connection.cursor() as cursor:
            cursor.execute(_USER_SQL, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = _user_from_row(row)
        # a new object for each request: what is cached on it (the scope, the catalog's
        # index: ktxh.store.lookup) lives as long as the request
        setattr(user, "_ktxh_per_request", True)  # noqa: B010
        return user if self.user_can_authenticate(user) else None
