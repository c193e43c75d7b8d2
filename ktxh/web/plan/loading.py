"""Load a dataset directory into the database and create the demo accounts.

The catalog, the tree (with materialised paths), the plan's metadata, claims
and declared rules, and every value with its provenance (the source report's
line, or the file) are written in one transaction; each loaded value gets its
first audit record (source "load"). A submission row in "Chưa nộp" is made for
every form each unit is expected to submit for the reference year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model

from ktxh.io.dataset import read_dataset, read_rows
from ktxh.web.plan import models
from ktxh.web.plan.actions import expected

DEMO_PASSWORD = "ktxh-demo"  # demo only: printed by `make demo`


@dataclass(frozen=True, slots=True)
class Department:
    username: str
    title: str
    forms: tuple[int, ...]


# The sector departments of a city People's Committee and the forms each one
# fills in (docs/web.md). Biểu 1, the key indicators, is the planning office's.
DEPARTMENTS = (
    Department("phong-kinh-te", "Phòng Kinh tế", (2, 3, 4, 5, 6)),
    Department("phong-lao-dong", "Phòng Lao động - Thương binh và Xã hội", (7,)),
    Department("phong-tai-nguyen", "Phòng Tài nguyên và Môi trường", (8,)),
    Department("phong-y-te", "Phòng Y tế", (9, 10)),
    Department("phong-giao-duc", "Phòng Giáo dục và Đào tạo", (11,)),
    Department("phong-van-hoa", "Phòng Văn hóa và Thông tin", (12, 13)),
)
PLANNER = ("admin", "Phòng Tài chính - Kế hoạch")


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: str
    title: str


@dataclass(frozen=True, slots=True)
class Loaded:
    name: str
    values: int
    indicators: int
    orgunits: int
    skipped: bool = False


class LoadError(RuntimeError):
    pass


def wipe() -> None:
    """Remove every plan table's rows (the audit trail included: this is a
    reload of a demo or test database, not something the application offers)."""
    tables: list[type[Model]] = [
        models.SubmissionEvent,
        models.Submission,
        models.ValueChange,
        models.Value,
        models.Profile.forms.through,
        models.Profile,
        models.Period,
        models.Plan,
        models.Indicator,
        models.MeasureUnit,
        models.Form,
    ]
    with transaction.atomic(), connection.cursor() as cur:
        for m in tables:
            cur.execute(f"DELETE FROM {m._meta.db_table}")
        # children before parents
        while models.OrgUnit.objects.exists():
            models.OrgUnit.objects.filter(children__isnull=True).delete()


def load(path: Path, *, replace: bool = False, due: date | None = None) -> Loaded:
    ds = read_dataset(path)
    existing = models.Plan.objects.first()
    if existing is not None:
        if not replace:
            return Loaded(existing.name, models.Value.objects.count(), 0, 0, skipped=True)
        wipe()
    with transaction.atomic():
        forms = {
            f.number: models.Form.objects.create(
                number=f.number, title=f.title, columns=" ".join(f.columns), seed_line=f.seed_line
            )
            for f in ds.catalog.forms.values()
        }
        models.MeasureUnit.objects.bulk_create(
            models.MeasureUnit(
                name=u.name,
                dimension=u.dimension,
                scale=str(u.scale),
                base=u.base,
                share=u.is_share,
            )
            for u in ds.catalog.units.values()
        )
        models.Indicator.objects.bulk_create(
            models.Indicator(
                code=r["code"],
                form_id=int(r["form"]),
                position=int(r["position"]),
                stt=r["stt"],
                name=r["name"],
                full_name=r["full_name"],
                kind=r["kind"],
                parent_code=r["parent"],
                unit=r["unit"],
                unit_printed=r["unit_printed"],
                direction=r["direction"],
                decimals=int(r["decimals"] or 0),
                row=r,
            )
            for r in read_rows(ds.path / "indicators.csv")
        )
        orgs: dict[str, models.OrgUnit] = {}
        for n, u in enumerate(ds.tree):
            orgs[u.code] = models.OrgUnit.objects.create(
                code=u.code,
                name=u.name,
                level=u.level,
                parent=orgs.get(u.parent) if u.parent else None,
                path=ds.tree.paths[u.code],
                order=n,
                valid_from=u.valid_from,
                valid_to=u.valid_to,
            )
        models.Plan.objects.create(
            name=ds.path.name,
            meta=ds.meta,
            claims=read_rows(ds.path / "claims.csv"),
            rules=read_rows(ds.path / "rules.csv"),
        )
        year = ds.reference_year
        models.Period.objects.create(year=year, due=due or date(year, 7, 15))
        ref = f"{ds.path.name}/values.csv"
        values = models.Value.objects.bulk_create(
            models.Value(
                indicator_id=r["indicator"],
                orgunit_id=r["orgunit"],
                year=r["year"],
                measure=r["measure"],
                value=r["value"],
                printed=r["printed"] or "",
                source=models.Source.LOAD,
                source_ref=ref,
                seed_line=r["seed_line"],
                confidence=r["confidence"] or "",
                note=r["note"] or "",
                version=1,
            )
            for r in ds.values.frame.iter_rows(named=True)
        )
        if values and values[0].pk is None:  # backends that do not return ids
            by_key = {
                (v.indicator_id, v.orgunit_id, v.year, v.measure): v.pk
                for v in models.Value.objects.all()
            }
            for v in values:
                v.pk = by_key[(v.indicator_id, v.orgunit_id, v.year, v.measure)]
        models.ValueChange.objects.bulk_create(
            models.ValueChange(
                value_id=v.pk,
                indicator_id=v.indicator_id,
                orgunit_id=v.orgunit_id,
                year=v.year,
                measure=v.measure,
                new_value=v.value,
                new_printed=v.printed,
                version=1,
                source=models.Source.LOAD,
                source_ref=ref,
            )
            for v in values
        )
        top = ds.top_orgunit
        models.Submission.objects.bulk_create(
            models.Submission(orgunit=o, form=f, year=year)
            for o in orgs.values()
            for f in forms.values()
            if expected(o, f, top)
        )
    return Loaded(ds.path.name, len(values), len(ds.catalog), len(ds.tree))


def departments(dataset: Path | None = None) -> tuple[Department, ...]:
    """The dataset's departments (its ``departments.csv``, read by ktxh.io.store),
    or the default table above when it declares none."""
    if dataset is not None:
        from ktxh.io.store import read_departments

        declared = read_departments(dataset)
        if declared:
            return tuple(Department(d.code, d.name, d.forms) for d in declared)
    return DEPARTMENTS


def demo_accounts(dataset: Path | None = None) -> list[Account]:
    """The accounts `make demo` creates: the planner, one per department, one per
    unit below the top (named by the unit's code)."""
    plan = models.Plan.objects.first()
    if plan is None:
        raise LoadError("Chưa nạp bộ dữ liệu")
    out = [Account(PLANNER[0], models.Role.PLANNER, PLANNER[1])]
    out += [Account(d.username, models.Role.DEPARTMENT, d.title) for d in departments(dataset)]
    for o in models.OrgUnit.objects.exclude(code=plan.top_orgunit).order_by("order"):
        out.append(Account(o.code, models.Role.UNIT, f"UBND {o.full_name}"))
    return out


def create_accounts(password: str = DEMO_PASSWORD, dataset: Path | None = None) -> list[Account]:
    """Create (or reset) the demo accounts with ``password``; the departments are
    those of ``dataset`` when it declares any."""
    plan = models.Plan.objects.first()
    if plan is None:
        raise LoadError("Chưa nạp bộ dữ liệu")
    user_model = get_user_model()
    accounts = demo_accounts(dataset)
    forms_of = {d.username: d.forms for d in departments(dataset)}
    with transaction.atomic():
        for a in accounts:
            user, _ = user_model.objects.get_or_create(username=a.username)
            user.set_password(password)
            user.save()
            org = a.username if a.role == models.Role.UNIT else plan.top_orgunit
            profile, _ = models.Profile.objects.update_or_create(
                user=user, defaults={"role": a.role, "orgunit_id": org, "title": a.title}
            )
            profile.forms.set(forms_of.get(a.username, ()))
    return accounts
