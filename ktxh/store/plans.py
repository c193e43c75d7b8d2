"""Starting a plan: a new locality's plan made in the store in one action.

:func:`start_plan` makes a plan from what an office adopting ktxh has: the list
of its units (code, name, level, parent, valid from), a catalog (the Lai Châu
catalog without its values, an empty one with the common units of measure, or
the office's own catalog workbook: :mod:`ktxh.io.catalog_xlsx`), its
departments and their forms (in the catalog), and its first reporting round.
The plan is built as the data package it would be, validated by the package's
own validation with every fault named by the file, sheet, row and column people
gave, and loaded (:func:`ktxh.store.packages.load`): all or nothing, with the
record of who started it, when, and from what.

The store holds one plan. Starting one in a store that holds another is
refused unless ``replace`` says to replace it (its values and history go), as
``ktxh load`` does.

:func:`replace_catalog` changes the catalog of the plan in the store (an
office's catalog workbook after the start): the plan's values, history and
workflow are kept; a change that would orphan a stored value is refused.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from ktxh.domain.years import has_placeholders, to_placeholders
from ktxh.io.catalog_xlsx import (
    CATALOG_RESOURCES,
    CatalogRead,
    OrgList,
    catalog_warnings,
)
from ktxh.io.datapackage import (
    FORMAT_VERSION,
    NAME_PATTERN,
    RESOURCES,
    Locate,
    PackageError,
    check_tables,
    read_package,
    shipped_package,
    write_package,
)
from ktxh.store import models
from ktxh.store.accounts import Account, save_account
from ktxh.store.packages import Loaded, StoreError, dump, load
from ktxh.store.permissions import is_administrator

STARTERS = {
    "laichau": "danh mục của Lai Châu (13 biểu, không có số liệu)",
    "empty": "danh mục trống (chỉ có các đơn vị tính thông dụng)",
}
# the columns of the Lai Châu catalog that describe its source report, not a catalog
SEED_COLUMNS = ("seed_line", "values_line", "unplaced", "note")


class PlanError(ValueError):
    """A plan that cannot be started (or a catalog that cannot replace the one in the
    store); ``problems`` lists every fault, located; the message is Vietnamese."""

    def __init__(self, problems: Sequence[str], title: str = "Chưa tạo được kế hoạch") -> None:
        self.problems = list(problems)
        text = "\n".join(f"- {p}" for p in self.problems[:200])
        more = len(self.problems) - 200
        if more > 0:
            text += f"\n- ... và {more} lỗi khác"
        super().__init__(f"{title} ({len(self.problems)} lỗi):\n{text}")


@dataclass
class StartSpec:
    """What a new plan is made of."""

    name: str  # the plan's name (a package name: "tinh-son-la-2026")
    title: str  # for people: "Tỉnh Sơn La 2026"
    year: int  # the reference year of its first round
    orgunits: OrgList
    catalog: CatalogRead | str  # a workbook read, or a starter: "laichau", "empty"
    top: str = ""  # the top unit; by default the one unit without a parent
    due: date | None = None  # when the units' forms of the first round are due
    planners: list[str] = field(default_factory=list)  # accounts made planners of the top
    source: str = ""  # the files it was made from, for the record


@dataclass(frozen=True)
class Started:
    loaded: Loaded
    top: str
    warnings: list[str]
    planners: list[str]


def starter_tables(starter: str) -> dict[str, list[dict[str, str]]]:
    """The catalog resources of a starter: ``laichau`` (the shipped plan's catalog
    without its values and without what describes its source report; titles with
    their years as placeholders) or ``empty`` (its units of measure only)."""
    if starter not in STARTERS:
        raise PlanError(
            [
                f"không có danh mục mẫu «{starter}»; chọn: "
                + ", ".join(f"{k} ({v})" for k, v in STARTERS.items())
            ]
        )
    pkg = read_package(shipped_package())
    year = int(pkg.meta.get("reference_year") or 0)
    tables = {name: [dict(r) for r in pkg.rows.get(name, [])] for name in CATALOG_RESOURCES}
    if starter == "empty":
        return {name: (tables[name] if name == "units" else []) for name in CATALOG_RESOURCES}
    for r in tables["indicators"]:
        for c in SEED_COLUMNS:
            r[c] = ""
    titles = [r["title"] for r in tables["forms"]]
    for r in tables["forms"]:
        r["seed_line"] = ""
        if not has_placeholders(titles):
            r["title"] = to_placeholders(r["title"], year)
    return tables


def slug(text: str) -> str:
    """A plan's name from its title: "Tỉnh Sơn La 2026" -> "tinh-son-la-2026"."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:60] or "ke-hoach"


def _rows(name: str, rows: Sequence[Mapping[str, str]]) -> list[list[str]]:
    return [[r.get(c, "") or "" for c in RESOURCES[name].columns] for r in rows]


def _actor_name(actor: AbstractBaseUser | str) -> str:
    if isinstance(actor, str):
        return actor
    if not is_administrator(actor):
        raise PermissionDenied("Chỉ quản trị hệ thống mới được tạo kế hoạch mới")
    return actor.get_username()


def start_plan(actor: AbstractBaseUser | str, spec: StartSpec, *, replace: bool = False) -> Started:
    """Start a new plan in the store, all or nothing; :class:`PlanError` lists every
    fault of the inputs, :class:`StoreError` refuses a store that holds a plan
    (without ``replace``). ``actor`` is the acting administrator (the web), or the
    name of the person at the command line (as ``ktxh load``)."""
    who = _actor_name(actor)
    problems: list[str] = []
    if not re.match(NAME_PATTERN, spec.name or ""):
        problems.append(
            f"mã kế hoạch «{spec.name}» không hợp lệ: chữ thường không dấu, chữ số, «-», «_», «.» "
            "(ví dụ tinh-son-la-2026)"
        )
    if not 1900 <= spec.year <= 2200:
        problems.append(f"năm «{spec.year}» không phải một năm")
    if not spec.title.strip():
        problems.append("chưa có tên kế hoạch")
    units = spec.orgunits.rows
    top = spec.top.strip()
    roots = [u["code"] for u in units if not u.get("parent")]
    if not top:
        if len(roots) == 1:
            top = roots[0]
        elif not roots:
            problems.append(
                "danh sách đơn vị không có đơn vị nào ở cấp cao nhất (không có cấp trên)"
            )
        else:
            problems.append(
                f"danh sách có {len(roots)} đơn vị không có cấp trên ({', '.join(roots[:5])}): hãy "
                "cho biết đơn vị cấp cao nhất của kế hoạch"
            )
    elif top not in {u["code"] for u in units}:
        problems.append(f"đơn vị cấp cao nhất «{top}» không có trong danh sách đơn vị")
    if isinstance(spec.catalog, str):
        try:
            catalog = starter_tables(spec.catalog)
        except PlanError as exc:
            problems.extend(exc.problems)
            catalog = {}
        catalog_locate: Locate | None = None
    else:
        catalog = spec.catalog.tables
        catalog_locate = spec.catalog.locate
    if problems:
        raise PlanError(problems)
    head: dict[str, Any] = {
        "name": spec.name,
        "title": spec.title.strip(),
        "ktxh": {
            "format_version": FORMAT_VERSION,
            "title": spec.title.strip(),
            "reference_year": spec.year,
            "top_orgunit": top,
        },
    }
    rounds = [
        {"year": str(spec.year), "due": spec.due.isoformat() if spec.due else "", "status": "open"}
    ]
    tables: dict[str, list[dict[str, str]]] = {**catalog, "orgunits": units, "rounds": rounds}

    def locate(path: str, rows: Sequence[int], column: str | None) -> str:
        name = path.removesuffix(".csv")
        if name == "orgunits":
            return spec.orgunits.locate(path, rows, column)
        if name in CATALOG_RESOURCES and catalog_locate is not None:
            return catalog_locate(path, rows, column)
        where = [f"danh mục mẫu, {path}"]
        if rows:
            where.append("dòng " + ", ".join(str(r) for r in rows))
        if column:
            where.append(f"cột «{column}»")
        return ", ".join(where)

    try:
        pkg = check_tables(head, tables, locate=locate)
    except PackageError as exc:
        raise PlanError(exc.problems) from None
    warnings = catalog_warnings(pkg.catalog) if isinstance(spec.catalog, str) else []
    if not isinstance(spec.catalog, str):
        warnings = list(spec.catalog.warnings)
    with tempfile.TemporaryDirectory(prefix="ktxh-start-") as tmp:
        write_package(Path(tmp), head, {k: _rows(k, v) for k, v in tables.items()})
        with transaction.atomic():
            loaded = load(Path(tmp), user=who, replace=replace)
            event = models.LoadEvent.objects.order_by("-id").first()
            assert event is not None
            catalog_text = (
                f"danh mục mẫu «{spec.catalog}»" if isinstance(spec.catalog, str) else "sổ tính"
            )
            event.source = f"ktxh start: {spec.source or catalog_text}"
            event.save(update_fields=["source"])
            made = []
            for name in spec.planners:
                save_account(
                    Account(name, models.Role.PLANNER, "Phòng Tài chính - Kế hoạch", top),
                    password=None,
                )
                made.append(name)
    return Started(loaded, top, warnings, made)


# --- the catalog of the plan in the store ------------------------------------------------


@dataclass(frozen=True)
class CatalogReplaced:
    loaded: Loaded
    counts: dict[str, int]
    warnings: list[str]


def replace_catalog(actor: AbstractBaseUser | str, catalog: CatalogRead) -> CatalogReplaced:
    """Replace the catalog (forms, units, indicators, rules, departments) of the plan in
    the store, keeping its tree, rounds, values, history and workflow: the plan is
    written out, its catalog swapped, validated as a package and loaded back in one
    transaction. Refused (:class:`PlanError`) when a stored value, submission or
    account would lose its indicator, form or department."""
    if not isinstance(actor, str):
        scope_ok = (
            is_administrator(actor)
            or models.Profile.objects.filter(user_id=actor.pk, role=models.Role.PLANNER).exists()
        )
        if not scope_ok:
            raise PermissionDenied(
                "Chỉ quản trị hệ thống hoặc chuyên viên kế hoạch được đổi danh mục"
            )
        who = actor.get_username()
    else:
        who = actor
    plan = models.Plan.objects.first()
    if plan is None:
        raise StoreError("Kho số liệu chưa có kế hoạch nào: hãy tạo kế hoạch bằng «ktxh start»")
    codes = {r["code"] for r in catalog.tables["indicators"]}
    forms = {int(r["form"]) for r in catalog.tables["forms"]}
    departments = {r["code"] for r in catalog.tables["departments"]}
    problems = []
    lost = (
        models.Value.objects.exclude(indicator_id__in=codes)
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    for code in sorted(lost)[:50]:
        n = models.Value.objects.filter(indicator_id=code).count()
        problems.append(
            f"chỉ tiêu {code} đã có {n} giá trị trong kho nhưng không có trong trang «Chỉ tiêu» "
            "của sổ tính (giữ lại dòng đó, hoặc xóa các giá trị trước)"
        )
    gone = sorted(
        set(models.Submission.objects.exclude(form_id__in=forms).values_list("form_id", flat=True))
    )
    for f in gone:
        problems.append(f"biểu số {f} đã có biểu nộp trong kho nhưng không có trong trang «Biểu»")
    for p in models.Profile.objects.filter(department__isnull=False).exclude(
        department_id__in=departments
    ):
        problems.append(
            f"tài khoản «{p.user.get_username()}» thuộc phòng, ban «{p.department_id}», không có "
            "trong trang «Phòng ban»"
        )
    open_drafts = _open_drafts()
    if open_drafts:
        problems.append(
            f"có {open_drafts} bản nháp đọc báo cáo cũ chưa xong: xác nhận hoặc bỏ trước khi đổi "
            "danh mục"
        )
    if problems:
        raise PlanError(problems, "Chưa đổi được danh mục")
    with tempfile.TemporaryDirectory(prefix="ktxh-catalog-") as tmp, transaction.atomic():
        dump(Path(tmp))
        head = plan.head
        pkg = read_package(Path(tmp))
        tables: dict[str, Any] = {
            name: _rows(name, pkg.rows[name])
            for name in RESOURCES
            if name not in ("values", "audit")
        }
        for name in CATALOG_RESOURCES:
            tables[name] = _rows(name, catalog.tables[name])
        tables["values"] = [pkg.frames["values"].drop("_row")]
        tables["audit"] = [pkg.frames["audit"].drop("_row")]
        write_package(Path(tmp), head, tables)
        kept_drafts = list(models.Draft.objects.all())
        kept_values = list(models.DraftValue.objects.all())
        kept_items = list(models.DraftItem.objects.all())
        try:
            loaded = load(Path(tmp), user=who, replace=True)
        except PackageError as exc:
            raise PlanError(exc.problems, "Chưa đổi được danh mục") from None
        # the drafts of the plan stay with it
        models.Draft.objects.bulk_create(kept_drafts)
        models.DraftValue.objects.bulk_create(kept_values)
        models.DraftItem.objects.bulk_create(kept_items)
        event = models.LoadEvent.objects.order_by("-id").first()
        assert event is not None
        event.source = "ktxh catalog import"
        event.save(update_fields=["source"])
    counts = {name: len(catalog.tables[name]) for name in CATALOG_RESOURCES}
    return CatalogReplaced(loaded, counts, list(catalog.warnings))


def _open_drafts() -> int:
    return models.Draft.objects.filter(status=models.DraftStatus.OPEN).count()


def catalog_tables_from_store() -> dict[str, list[dict[str, str]]]:
    """The catalog of the plan in the store as package rows (for the catalog workbook)."""
    plan = models.Plan.objects.first()
    if plan is None:
        raise StoreError("Kho số liệu chưa có kế hoạch nào")
    dept_forms: dict[str, list[int]] = {}
    for code, form in models.Department.forms.through.objects.values_list(
        "department_id", "form_id"
    ):
        dept_forms.setdefault(code, []).append(form)
    return {
        "forms": [dict(f.row) for f in models.Form.objects.all()],
        "units": [
            {
                "unit": u.name,
                "dimension": u.dimension,
                "scale": u.scale,
                "base": u.base,
                "share": "1" if u.share else "0",
            }
            for u in models.MeasureUnit.objects.all()
        ],
        "indicators": [dict(i.row) for i in models.Indicator.objects.all()],
        "rules": [dict(r) for r in plan.rules],
        "departments": [
            {
                "code": d.code,
                "name": d.name,
                "forms": " ".join(str(f) for f in sorted(dept_forms.get(d.code, []))),
            }
            for d in models.Department.objects.all()
        ],
    }


def save_administrator(username: str, password: str | None) -> User:
    """Create or update an administrator (who may start a plan on the web): a user
    flagged staff, with no role in a plan. ``password`` None keeps the one it has."""
    from ktxh.store.accounts import AccountError, _check_text

    _check_text(username, "Tên đăng nhập", models.USER_NAME)
    if not username.strip():
        raise AccountError("Tên đăng nhập không được để trống")
    user, created = get_user_model().objects.get_or_create(username=username)
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.is_staff = True
    user.save()
    assert isinstance(user, User)
    return user
