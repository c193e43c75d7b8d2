"""Data packages in and out of the store: :func:`load` and :func:`dump`.

``load`` takes a package that :func:`ktxh.io.datapackage.read_package` has
validated completely and writes it in one transaction: the catalog, the tree,
the departments, the rounds, every value with its version and provenance, the
workflow and the audit trail of the package (its history stays history), and
one :class:`~ktxh.store.models.LoadEvent` saying who loaded what. Values and the
audit trail go in as whole columns (``COPY`` on PostgreSQL), not row by row.

``dump`` writes the store back out as a package. Load → dump → load is
lossless, and two dumps of one store differ exactly where its data differ: rows
keep a fixed order (values by key, history by time), and nothing is written
that the store does not hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ktxh.io.datapackage import (
    DESCRIPTOR,
    RESOURCES,
    Package,
    read_package,
    shipped_package,
    write_package,
)
from ktxh.store import models
from ktxh.store.sql import analyze, binary_order, insert_frame, reset_sequences, table


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message is Vietnamese."""


@dataclass(frozen=True, slots=True)
class Loaded:
    name: str
    counts: dict[str, int]
    replaced: str | None = None  # the plan the load replaced


def checksum(directory: Path) -> str:
    """SHA-256 over the package's descriptor and resource files, in name order."""
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.is_file() and (path.name == DESCRIPTOR or path.suffix == ".csv"):
            digest.update(path.name.encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- load ---------------------------------------------------------------------------

PLAN_TABLES: tuple[type[Any], ...] = (
    models.TargetEvent,
    models.Target,
    models.Document,
    models.DraftItem,
    models.DraftValue,
    models.Draft,
    models.RoundEvent,
    models.SubmissionEvent,
    models.Submission,
    models.ValueChange,
    models.Value,
    models.Department.forms.through,
    models.Department,
    models.OrgEvent,
    models.Round,
    models.Plan,
    models.Indicator,
    models.MeasureUnit,
    models.Form,
)


Kept = list[tuple[int, str, str, str | None, str]]


def _wipe() -> Kept:
    """Empty every plan table; return the accounts' profiles to put back after."""
    kept: Kept = list(
        models.Profile.objects.values_list(
            "user_id", "role", "orgunit_id", "department_id", "title"
        )
    )
    models.Profile.objects.all().delete()
    with connection.cursor() as cursor:
        for m in PLAN_TABLES:
            cursor.execute(f"DELETE FROM {table(m)}")
        # the tree, children before parents
        cursor.execute(f"UPDATE {table(models.OrgUnit)} SET parent_id = NULL")
        cursor.execute(f"DELETE FROM {table(models.OrgUnit)}")
    return kept


def load(package: Package | Path | str, *, user: str = "", replace: bool = False) -> Loaded:
    """Load a package into the store, all or nothing. The store must be empty, or
    ``replace`` says to replace the plan it holds (its values and history go;
    accounts stay, with their roles where their unit still exists)."""
    pkg = package if isinstance(package, Package) else read_package(package)
    with transaction.atomic():
        existing = models.Plan.objects.first()
        if existing is not None and not replace:
            raise StoreError(
                f"Kho số liệu đã có kế hoạch «{existing.name}»: dùng --replace để thay bằng "
                f"«{pkg.name}» (số liệu và nhật ký của kế hoạch cũ sẽ bị xóa)"
            )
        if models.Plan.objects.count() == 0 and models.OrgUnit.objects.exists():
            existing = None  # a half-made store of an older version: replaced below
        profiles = _wipe() if (existing is not None or models.OrgUnit.objects.exists()) else []
        counts = _insert(pkg)
        _restore_profiles(profiles)
        models.LoadEvent.objects.create(
            at=timezone.now(),
            username=user,
            package=pkg.name,
            source=str(pkg.path),
            checksum=checksum(pkg.path),
            counts=counts,
        )
    return Loaded(pkg.name, counts, existing.name if existing else None)


def _restore_profiles(profiles: Kept) -> None:
    units = set(models.OrgUnit.objects.values_list("code", flat=True))
    departments = set(models.Department.objects.values_list("code", flat=True))
    models.Profile.objects.bulk_create(
        models.Profile(
            user_id=user,
            role=role,
            orgunit_id=org,
            department_id=dept if dept in departments else None,
            title=title,
        )
        for user, role, org, dept, title in profiles
        if org in units
    )


def _insert(pkg: Package) -> dict[str, int]:
    rows = pkg.rows
    counts = {name: len(rows.get(name, [])) for name in RESOURCES}
    models.Form.objects.bulk_create(
        models.Form(number=int(r["form"]), title=r["title"], columns=r["columns"], row=r)
        for r in rows["forms"]
    )
    models.MeasureUnit.objects.bulk_create(
        models.MeasureUnit(
            name=r["unit"],
            dimension=r["dimension"],
            scale=r["scale"],
            base=r["base"],
            share=r["share"] == "1",
            order=n,
        )
        for n, r in enumerate(rows["units"])
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
        for r in rows["indicators"]
    )
    order = {r["code"]: n for n, r in enumerate(rows["orgunits"])}
    models.OrgUnit.objects.bulk_create(
        models.OrgUnit(
            code=u.code,
            name=u.name,
            level=u.level,
            parent_id=u.parent,
            path=pkg.tree.paths[u.code],
            order=order[u.code],
            valid_from=u.valid_from,
            valid_to=u.valid_to,
        )
        for u in sorted(pkg.tree, key=lambda u: pkg.tree.depth(u.code))
    )
    models.OrgEvent.objects.bulk_create(
        models.OrgEvent(code=r["id"], day=r["date"], kind=r["kind"], row=r, order=n)
        for n, r in enumerate(rows["orgunit_events"])
    )
    for n, r in enumerate(rows["departments"]):
        dept = models.Department.objects.create(code=r["code"], name=r["name"], order=n)
        dept.forms.set(int(f) for f in r["forms"].split())
    now = timezone.now()
    models.Plan.objects.create(
        name=pkg.name,
        head_text=json.dumps(
            {k: v for k, v in pkg.head.items() if k != "resources"}, ensure_ascii=False
        ),
        claims=rows["claims"],
        rules=rows["rules"],
        loaded_at=now,
    )
    rounds = rows["rounds"] or [
        {"year": str(pkg.meta.get("reference_year")), "due": "", "status": "open"}
    ]
    counts["rounds"] = len(rounds)
    models.Round.objects.bulk_create(
        models.Round(
            year=int(r["year"]),
            due=date.fromisoformat(r["due"]) if r["due"] else None,
            status=r["status"],
            report_number=r.get("report_number", ""),
            report_date=date.fromisoformat(r["report_date"]) if r.get("report_date") else None,
        )
        for r in rounds
    )
    models.RoundEvent.objects.bulk_create(
        models.RoundEvent(
            year=int(r["year"]),
            action=r["action"],
            at=_at(r["at"]),
            username=r["user"],
            note=r["note"],
        )
        for r in rows["round_events"]
    )
    values = _value_rows(pkg.frames["values"])
    counts["values"] = insert_frame(models.Value, values)
    counts["audit"] = insert_frame(
        models.ValueChange, _audit_rows(pkg.frames["audit"], values.select("id", *KEY))
    )
    reset_sequences(models.Value, models.ValueChange)
    _insert_workflow(rows["submissions"], rows["submission_events"])
    _insert_targets(rows)
    analyze(models.Value, models.ValueChange, models.Target)
    return counts


KEY = ("indicator_id", "orgunit_id", "year", "measure")


def _stamp(column: str) -> pl.Expr:
    """An ISO timestamp column (text, offsets included) as UTC datetimes."""
    return (
        pl.when(pl.col(column) == "")
        .then(None)
        .otherwise(pl.col(column))
        .str.replace(r"Z$", "+00:00")
        .str.to_datetime(time_zone="UTC", time_unit="us", strict=True)
    )


def _number(column: str) -> pl.Expr:
    return pl.when(pl.col(column) == "").then(None).otherwise(pl.col(column)).cast(pl.Float64)


def _value_rows(values: pl.DataFrame) -> pl.DataFrame:
    """The package's values (text) as rows of the value table, ids counted from 1."""
    return values.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("id"),
        pl.col("indicator").alias("indicator_id"),
        pl.col("orgunit").alias("orgunit_id"),
        pl.col("year").cast(pl.Int32),
        "measure",
        _number("value").alias("value"),
        "printed",
        pl.when(pl.col("source") != "")
        .then(pl.col("source"))
        .when(pl.col("seed_line") != "")
        .then(pl.lit("seed"))
        .otherwise(pl.lit("package"))
        .alias("source"),
        pl.when(pl.col("source_ref") != "")
        .then(pl.col("source_ref"))
        .when((pl.col("seed_line") != "") & (pl.col("source").is_in(["", "seed"])))
        .then(pl.format("line {}", pl.col("seed_line")))
        .otherwise(pl.lit(""))
        .alias("source_ref"),
        pl.when(pl.col("seed_line") == "")
        .then(None)
        .otherwise(pl.col("seed_line"))
        .cast(pl.Int32)
        .alias("seed_line"),
        "confidence",
        "note",
        pl.when(pl.col("version") == "")
        .then(1)
        .otherwise(pl.col("version"))
        .cast(pl.Int32)
        .alias("version"),
        _stamp("updated_at").alias("updated_at"),
        "updated_by",
    )


def _audit_rows(audit: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """The package's audit trail as rows of the audit table, each tied to its value."""
    if audit.is_empty():
        return pl.DataFrame()
    keyed = audit.with_columns(
        pl.col("indicator").alias("indicator_id"),
        pl.col("orgunit").alias("orgunit_id"),
        pl.col("year").cast(pl.Int32),
    ).join(ids.rename({"id": "value_id"}), on=list(KEY), how="left")
    return keyed.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("id"),
        "value_id",
        "indicator_id",
        "orgunit_id",
        "year",
        "measure",
        _number("old_value").alias("old_value"),
        "old_printed",
        _number("new_value").alias("new_value"),
        "new_printed",
        pl.col("version").cast(pl.Int32),
        pl.col("user").alias("username"),
        _stamp("at").alias("at"),
        "source",
        "source_ref",
        "batch",
    )


def _when(text: str) -> datetime | None:
    return _at(text) if text else None


def _at(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _insert_workflow(subs: list[dict[str, str]], events: list[dict[str, str]]) -> None:
    made = models.Submission.objects.bulk_create(
        models.Submission(
            orgunit_id=r["orgunit"],
            form_id=int(r["form"]),
            year=int(r["year"]),
            status=r["status"],
            note=r["note"],
            note_by=r["note_by"],
            opinion=r["opinion"],
            opinion_by=r["opinion_by"],
            submitted_at=_when(r["submitted_at"]),
            updated_at=_when(r["updated_at"]),
            updated_by=r["updated_by"],
        )
        for r in subs
    )
    ids = {(s.orgunit_id, s.form_id, s.year): s.pk for s in made}
    if made and made[0].pk is None:  # a backend that does not return ids
        ids = {(s.orgunit_id, s.form_id, s.year): s.pk for s in models.Submission.objects.all()}
    models.SubmissionEvent.objects.bulk_create(
        models.SubmissionEvent(
            submission_id=ids[(r["orgunit"], int(r["form"]), int(r["year"]))],
            action=r["action"],
            status=r["status"],
            comment=r["comment"],
            username=r["user"],
            at=_at(r["at"]),
        )
        for r in events
    )


# --- dump ---------------------------------------------------------------------------


def dump(directory: Path | str) -> dict[str, int]:
    """Write the store's plan as a package into ``directory`` (created if needed; an
    earlier dump there is replaced). Refused for the packages shipped with ktxh
    and for a directory that holds other things than a package."""
    target = Path(directory).resolve()
    shipped = shipped_package().parent.resolve()
    if target == shipped or shipped in target.parents:
        raise StoreError(
            f"{target} là dữ liệu mẫu đi kèm ktxh (chỉ đọc): hãy ghi ra một thư mục khác"
        )
    if target.exists() and not target.is_dir():
        raise StoreError(f"{target} là một tệp, không phải thư mục")
    if target.is_dir():
        foreign = [
            p.name
            for p in target.iterdir()
            if not (p.name == DESCRIPTOR or p.suffix == ".csv" or p.name.startswith("."))
        ]
        if foreign or (any(target.iterdir()) and not (target / DESCRIPTOR).exists()):
            raise StoreError(
                f"Thư mục {target} đã có tệp khác (không phải gói dữ liệu ktxh): "
                "hãy chọn một thư mục trống"
            )
    plan = models.Plan.objects.first()
    if plan is None:
        raise StoreError("Kho số liệu chưa có kế hoạch nào để ghi ra")
    with transaction.atomic():  # one consistent snapshot of every table
        tables: dict[str, Any] = {
            "forms": (
                [f.row.get(c, "") for c in RESOURCES["forms"].columns]
                for f in models.Form.objects.all()
            ),
            "units": (
                (u.name, u.dimension, u.scale, u.base, int(u.share))
                for u in models.MeasureUnit.objects.all()
            ),
            "orgunits": (
                (o.code, o.name, o.level, o.parent_id, o.valid_from, o.valid_to)
                for o in models.OrgUnit.objects.order_by("order")
            ),
            "orgunit_events": (
                [e.row.get(c, "") for c in RESOURCES["orgunit_events"].columns]
                for e in models.OrgEvent.objects.all()
            ),
            "indicators": (
                [i.row.get(c, "") for c in RESOURCES["indicators"].columns]
                for i in models.Indicator.objects.all()
            ),
            "values": _frames(
                "SELECT indicator_id, orgunit_id, year, measure, value, printed, seed_line, "
                "confidence, note, source, source_ref, version, updated_at, updated_by "
                f"FROM {table(models.Value)} ORDER BY "
                + binary_order("indicator_id", "orgunit_id")
                + ", year, "
                + binary_order("measure"),
                RESOURCES["values"].columns,
                VALUE_TYPES,
            ),
            "claims": ([r.get(c, "") for c in RESOURCES["claims"].columns] for r in plan.claims),
            "rules": ([r.get(c, "") for c in RESOURCES["rules"].columns] for r in plan.rules),
            "departments": (
                (d.code, d.name, " ".join(str(f.number) for f in d.forms.order_by("number")))
                for d in models.Department.objects.all()
            ),
            "rounds": (
                (r.year, r.due, r.status, r.report_number, r.report_date)
                for r in models.Round.objects.all()
            ),
            "round_events": (
                (e.year, e.action, _local(e.at), e.username, e.note)
                for e in models.RoundEvent.objects.order_by("at", "id")
            ),
            "submissions": (
                (
                    s.orgunit_id,
                    s.form_id,
                    s.year,
                    s.status,
                    s.note,
                    s.note_by,
                    s.opinion,
                    s.opinion_by,
                    _local(s.submitted_at),
                    _local(s.updated_at),
                    s.updated_by,
                )
                for s in models.Submission.objects.order_by("year", "form_id", "orgunit_id")
            ),
            "submission_events": (
                (
                    e.submission.orgunit_id,
                    e.submission.form_id,
                    e.submission.year,
                    _local(e.at),
                    e.username,
                    e.action,
                    e.status,
                    e.comment,
                )
                for e in models.SubmissionEvent.objects.select_related("submission").order_by("id")
            ),
            "audit": _frames(
                "SELECT at, batch, username, source, source_ref, indicator_id, orgunit_id, "
                "year, measure, version, old_value, old_printed, new_value, new_printed "
                f"FROM {table(models.ValueChange)} ORDER BY id",
                RESOURCES["audit"].columns,
                AUDIT_TYPES,
            ),
            **_target_tables(),
        }
        return write_package(target, plan.head, tables, settings.TIME_ZONE)


VALUE_TYPES = {"year": pl.Int32, "value": pl.Float64, "seed_line": pl.Int32, "version": pl.Int64}
AUDIT_TYPES = {
    "year": pl.Int32,
    "version": pl.Int64,
    "old_value": pl.Float64,
    "new_value": pl.Float64,
}
STAMPS = ("updated_at", "at")


def _local(at: datetime | None) -> str:
    return timezone.localtime(at).isoformat() if at is not None else ""


def _frames(sql: str, columns: tuple[str, ...], types: dict[str, Any]) -> Iterator[pl.DataFrame]:
    """The rows of a query as typed frames of at most 100.000 rows, timestamps in UTC
    (SQLite gives them without their zone, PostgreSQL with it)."""
    naive = connection.vendor == "sqlite"
    stamp = pl.Datetime("us") if naive else pl.Datetime("us", "UTC")
    schema = {c: types.get(c, stamp if c in STAMPS else pl.String) for c in columns}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(100_000):
            frame = pl.DataFrame(batch, schema=schema, orient="row")
            if naive:
                frame = frame.with_columns(
                    pl.col(c).dt.replace_time_zone("UTC") for c in columns if c in STAMPS
                )
            yield frame


# --- targets and the documents that set them (ktxh.store.targets) ---------------------


def _insert_targets(rows: dict[str, list[dict[str, str]]]) -> None:
    """Documents, their targets and the targets' history, as the package holds them."""
    models.Document.objects.bulk_create(
        models.Document(
            code=r["code"],
            kind=r["kind"],
            number=r["number"],
            day=date.fromisoformat(r["date"]),
            issuer=r["issuer"],
            level=r["level"],
            title=r["title"],
            amends_id=r["amends"] or None,
            note=r["note"],
            recorded_at=_when(r["recorded_at"]),
            recorded_by=r["recorded_by"],
        )
        for r in rows.get("documents", [])
    )
    models.Target.objects.bulk_create(
        models.Target(
            indicator_id=r["indicator"],
            orgunit_id=r["orgunit"],
            year=int(r["year"]),
            measure=r["measure"] or "plan",
            document_id=r["document"] or None,
            **_target_structure(r),
            note=r["note"],
            recorded_at=_when(r["recorded_at"]),
            recorded_by=r["recorded_by"],
        )
        for r in rows.get("targets", [])
    )
    models.TargetEvent.objects.bulk_create(
        models.TargetEvent(
            at=_at(r["at"]),
            username=r["user"],
            action=r["action"],
            document=r["document"],
            indicator=r["indicator"],
            orgunit=r["orgunit"],
            year=int(r["year"]) if r["year"] else None,
            measure=r["measure"],
            old=r["old"],
            new=r["new"],
            source=r["source"],
        )
        for r in rows.get("target_events", [])
    )


def _target_structure(r: dict[str, str]) -> dict[str, Any]:
    """The text and structure of a target row (read from the text where not stated)."""
    from ktxh.domain.targets import parse_target, target_columns

    target = parse_target(r["text"])
    assert target is not None  # read_package has read it
    cols = target_columns(target)
    return {
        "text": r["text"],
        "kind": cols["kind"],
        "low": cols["low"],
        "high": cols["high"],
        "low_strict": target.low_strict,
        "high_strict": target.high_strict,
    }


def _target_tables() -> dict[str, Any]:
    """The dump's documents (by date), targets (by cell, then document) and their
    history (oldest first); the order is made in Python, the same on every database."""
    targets = sorted(
        models.Target.objects.all(),
        key=lambda t: (t.indicator_id, t.orgunit_id, t.year, t.measure, t.document_id or ""),
    )
    return {
        "documents": (
            (
                d.code,
                d.kind,
                d.number,
                d.day,
                d.issuer,
                d.level,
                d.title,
                d.amends_id or "",
                d.note,
                _local(d.recorded_at),
                d.recorded_by,
            )
            for d in sorted(models.Document.objects.all(), key=lambda d: (d.day, d.code))
        ),
        "targets": [
            (
                t.indicator_id,
                t.orgunit_id,
                t.year,
                t.measure,
                t.document_id or "",
                t.text,
                t.kind,
                t.low,
                t.high,
                int(t.low_strict),
                int(t.high_strict),
                t.note,
                _local(t.recorded_at),
                t.recorded_by,
            )
            for t in targets
        ],
        "target_events": (
            (
                _local(e.at),
                e.username,
                e.action,
                e.document,
                e.indicator,
                e.orgunit,
                e.year,
                e.measure,
                e.old,
                e.new,
                e.source,
            )
            for e in models.TargetEvent.objects.order_by("id")
        ),
    }
