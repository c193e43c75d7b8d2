"""Who may do what, in one place.

Three roles (``Profile.role``):

* city planner (``planner``): every form of every unit in the subtree of their
  org unit (the city); enters, submits, reviews (approves, returns, reopens);
* department officer (``department``): the forms of their department
  (``Profile.department``), every unit of the city; enters and submits, does not review;
* unit officer (``unit``): their own ward or commune, the forms that have a
  unit breakdown; enters and submits.

The city overview (dashboard, status board, downloads of the whole report) is
for planners and department officers. Querysets offer ``restrict(user, action)``
built from :class:`Scope`; single objects are checked with :func:`can`.
Whether a cell is locked by the workflow is the actions' business, not this
module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q

from ktxh.store.lookup import lookup
from ktxh.store.models import Department, OrgUnit, Profile, Role

if TYPE_CHECKING:
    from ktxh.store.models import AnyUser

ACTIONS = ("view", "edit", "submit", "review")


@dataclass(frozen=True, slots=True)
class Scope:
    """What one user reaches: a subtree of org units and a set of forms."""

    user_id: int
    role: Role
    orgunit: str
    path: str
    forms: frozenset[int] | None  # None: every form
    title: str = ""

    def orgunit_q(self, prefix: str, action: str = "view") -> Q:
        """Rows whose org unit (``prefix`` + "path") is in this scope's subtree."""
        if action == "review" and self.role is not Role.PLANNER:
            return Q(pk__in=[])
        return Q(**{f"{prefix}path": self.path}) | Q(
            **{f"{prefix}path__startswith": self.path + "/"}
        )

    def form_q(self, field: str) -> Q:
        return Q() if self.forms is None else Q(**{f"{field}__in": sorted(self.forms)})

    def reaches(self, orgunit: OrgUnit, form: int | None = None) -> bool:
        return self.reaches_path(orgunit.path, form)

    def reaches_path(self, path: str, form: int | None = None) -> bool:
        in_tree = path == self.path or path.startswith(self.path + "/")
        return in_tree and (form is None or self.forms is None or form in self.forms)

    @property
    def sees_city(self) -> bool:
        """Planners and department officers see the city overview."""
        return self.role in (Role.PLANNER, Role.DEPARTMENT)


# Every request that checks a permission runs this: one plain query (the ORM's costs
# several times its CPU) for the role, the unit's path, the title and a department's forms.
_SCOPE_SQL = (
    f"SELECT p.role, p.orgunit_id, o.path, p.title, df.form_id "
    f"FROM {Profile._meta.db_table} p JOIN {OrgUnit._meta.db_table} o ON o.code = p.orgunit_id "
    f"LEFT JOIN {Department.forms.through._meta.db_table} df "
    f"ON df.department_id = p.department_id WHERE p.user_id = %s"
)


ProfileRow = tuple[str, str, str, str, tuple[int, ...]]
"""A profile as read: role, org unit, the unit's path, title, a department's forms."""


def scope_of(user: AnyUser) -> Scope | None:
    """The user's scope, or None for anonymous users and users without a profile.
    Cached on the user object for the request; a web request's user comes with its
    profile, read with it (:func:`hold_profile`)."""
    if not user.is_authenticated:
        return None
    cached: Scope | None = getattr(user, "_ktxh_scope", None)
    if cached is not None:
        return cached
    profile: ProfileRow | None
    if hasattr(user, "_ktxh_profile"):
        profile = getattr(user, "_ktxh_profile")  # noqa: B009
    else:
        with connection.cursor() as cursor:
            cursor.execute(_SCOPE_SQL, [user.pk])
            rows = cursor.fetchall()
        profile = None
        if rows:
            forms = tuple(int(r[4]) for r in rows if r[4] is not None)
            profile = (rows[0][0], rows[0][1], rows[0][2], rows[0][3], forms)
    if profile is None:
        return None
    role = Role(profile[0])
    scope_forms: frozenset[int] | None
    if role is Role.PLANNER:
        scope_forms = None
    elif role is Role.DEPARTMENT:
        scope_forms = frozenset(profile[4])
    else:
        scope_forms = lookup(user).unit_forms
    scope = Scope(int(user.pk), role, profile[1], profile[2], scope_forms, profile[3])
    setattr(user, "_ktxh_scope", scope)  # noqa: B010 (a per-request cache on the user)
    return scope


def hold_profile(
    user: AnyUser,
    role: str | None,
    orgunit: str | None,
    path: str | None,
    title: str | None,
    forms_text: str | None,
) -> None:
    """Keep on a request's user its profile as read with it (``forms_text``: a
    department's forms, "2,5"; None everywhere: no profile, or one whose unit is
    gone), so that :func:`scope_of` needs no query of its own."""
    profile: ProfileRow | None = None
    if role is not None and orgunit is not None and path is not None:
        forms = tuple(int(f) for f in (forms_text or "").split(",") if f)
        profile = (role, orgunit, path, title or "", forms)
    setattr(user, "_ktxh_profile", profile)  # noqa: B010 (a per-request cache on the user)


def can(user: AnyUser, action: str, orgunit: OrgUnit, form: int | None = None) -> bool:
    """May ``user`` do ``action`` (view, edit, submit, review) on ``form`` of ``orgunit``?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    scope = scope_of(user)
    if scope is None:
        return False
    if action == "review" and scope.role is not Role.PLANNER:
        return False
    return scope.reaches(orgunit, form)


def require(user: AnyUser, action: str, orgunit: OrgUnit, form: int | None = None) -> Scope:
    """:func:`can` or raise PermissionDenied with a Vietnamese reason."""
    if not can(user, action, orgunit, form):
        what = {
            "view": "xem",
            "edit": "nhập số liệu",
            "submit": "nộp",
            "review": "duyệt",
        }[action]
        where = f"biểu số {form} của {orgunit.full_name}" if form else orgunit.full_name
        raise PermissionDenied(f"Tài khoản không có quyền {what} {where}")
    scope = scope_of(user)
    assert scope is not None
    return scope


def require_city(user: AnyUser) -> Scope:
    """Planners and department officers only (dashboard, status board, downloads)."""
    scope = scope_of(user)
    if scope is None or not scope.sees_city:
        raise PermissionDenied("Trang này dành cho chuyên viên thành phố và các phòng chuyên môn")
    return scope


def is_administrator(user: AnyUser) -> bool:
    """An administrator of the system (a user flagged staff: ``ktxh user admin``): starts
    a new plan (ktxh.store.plans); needs no role in a plan."""
    staff = getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)
    return bool(user.is_authenticated and user.is_active and staff)


def require_administrator(user: AnyUser) -> None:
    if not is_administrator(user):
        raise PermissionDenied("Trang này dành cho quản trị hệ thống")
