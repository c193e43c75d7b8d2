"""Small helpers of the web layer: an object or a Vietnamese 404, the acting user, the
URL converters of years and form numbers (at most four digits: a longer number is a
404, never a query with an integer the database cannot hold)."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils.functional import LazyObject

M = TypeVar("M", bound=Model)
NAMES = {"OrgUnit": "đơn vị", "Form": "biểu", "Indicator": "chỉ tiêu"}


def get_or_404(model: type[M], **lookup: object) -> M:
    """The object, or Http404 with a Vietnamese message ("Không có đơn vị «x»")."""
    found = model._default_manager.filter(**lookup).first()
    if found is None:
        what = NAMES.get(model.__name__, "dữ liệu")
        key = ", ".join(str(v) for v in lookup.values())
        raise Http404(f"Không có {what} «{key}»")
    return found


def acting_user(request: HttpRequest) -> User:
    """The logged-in user who acts, for the actions (PermissionDenied otherwise): the
    user object itself, not the lazy stand-in of ``request.user`` (the same object, but
    every use of the stand-in goes through a proxy)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Cần đăng nhập")
    wrapped = getattr(user, "_wrapped", user) if isinstance(user, LazyObject) else user
    return wrapped if isinstance(wrapped, User) else user


class SmallNumberConverter:
    """``<year:...>``, ``<form:...>`` in URLs: one to four ASCII digits."""

    regex = "[0-9]{1,4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
