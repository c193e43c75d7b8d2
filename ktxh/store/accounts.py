"""Accounts: who may act on the store, with which role, where.

Every state change names the person who made it, on the web and on the command
line alike. A person is a Django user with a :class:`~ktxh.store.models.Profile`
(a role, an org unit, a department for a department officer). The command line
acts as a named user too (``--user`` or ``KTXH_USER``; docs/store.md): an
import from the command line is refused for a name the store does not know,
and is held to that user's scope like an upload on the web.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from ktxh.store import models
from ktxh.store.frames import current_plan

DEMO_PASSWORD = "ktxh-demo"  # demo only: printed by `ktxh demo`
PLANNER = "admin"

ROLE_WORDS = {
    "planner": models.Role.PLANNER,
    "ke-hoach": models.Role.PLANNER,
    "department": models.Role.DEPARTMENT,
    "phong": models.Role.DEPARTMENT,
    "unit": models.Role.UNIT,
    "don-vi": models.Role.UNIT,
}


class AccountError(ValueError):
    """An account that cannot be made or used; the message is Vietnamese."""


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: str
    title: str
    orgunit: str
    department: str | None = None


def parse_role(text: str) -> models.Role:
    try:
        return ROLE_WORDS[text.strip().lower()]
    except KeyError:
        raise AccountError(
            f"Vai trò «{text}» không hợp lệ; chọn planner (chuyên viên kế hoạch), "
            "department (phòng chuyên môn) hoặc unit (cán bộ xã, phường)"
        ) from None


def _check_text(text: str, what: str, limit: int) -> None:
    """No control characters (a NUL cannot be stored by PostgreSQL), bounded length."""
    from ktxh.store.actions import text_problem

    reason = text_problem(text, limit)
    if reason:
        raise AccountError(f"{what} không hợp lệ: {reason}")


def save_account(account: Account, password: str | None = None) -> User:
    """Create or update a user and its role. ``password`` None keeps the one it has
    (a new user without one cannot log in on the web: a command-line user)."""
    _check_text(account.username, "Tên đăng nhập", models.USER_NAME)
    if not account.username.strip():
        raise AccountError("Tên đăng nhập không được để trống")
    _check_text(account.title, "Chức danh", 200)
    plan = current_plan()
    if not models.OrgUnit.objects.filter(code=account.orgunit).exists():
        raise AccountError(f"Không có đơn vị «{account.orgunit}»")
    role = models.Role(account.role)
    dept = None
    if role is models.Role.DEPARTMENT:
        dept = models.Department.objects.filter(code=account.department or "").first()
        if dept is None:
            names = ", ".join(models.Department.objects.values_list("code", flat=True))
            raise AccountError(
                f"Phòng, ban «{account.department or ''}» không có; các phòng, ban: {names}"
            )
        if account.orgunit != plan.top_orgunit:
            raise AccountError("Cán bộ phòng chuyên môn thuộc đơn vị cấp cao nhất")
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=account.username)
        if password is not None:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        models.Profile.objects.update_or_create(
            user=user,
            defaults={
                "role": role,
                "orgunit_id": account.orgunit,
                "department": dept,
                "title": account.title,
            },
        )
    assert isinstance(user, User)
    return user


def demo_accounts() -> list[Account]:
    """The accounts of the demo: the planner, one per department (named by its
    code), one per unit below the top (named by the unit's code)."""
    plan = current_plan()
    top = plan.top_orgunit
    out = [Account(PLANNER, models.Role.PLANNER, "Phòng Tài chính - Kế hoạch", top)]
    out += [
        Account(d.code, models.Role.DEPARTMENT, d.name, top, d.code)
        for d in models.Department.objects.all()
    ]
    out += [
        Account(o.code, models.Role.UNIT, f"UBND {o.full_name}", o.code)
        for o in models.OrgUnit.objects.exclude(code=top).order_by("order")
    ]
    return out


def create_demo_accounts(password: str = DEMO_PASSWORD) -> list[Account]:
    """Create (or reset) the demo accounts, all with ``password``."""
    accounts = demo_accounts()
    with transaction.atomic():
        for a in accounts:
            save_account(a, password)
    return accounts


def acting_user(username: str) -> User:
    """The store's user of that name, with a role; :class:`AccountError` otherwise."""
    _check_text(username, "Tên người dùng", models.USER_NAME)
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not models.Profile.objects.filter(user=user).exists():
        raise AccountError(
            f"Người dùng «{username}» chưa có trong kho số liệu (hoặc chưa có vai trò): "
            f"tạo bằng «ktxh user add {username} --role planner» hoặc chọn người khác bằng "
            "--user (hay biến môi trường KTXH_USER)"
        )
    assert isinstance(user, User)
    return user
