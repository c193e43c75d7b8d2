"""The dataset directory as the store of imports (the CLI's; the web keeps its own).

Files it adds to a dataset directory (docs/dataset.md, docs/excel.md):

    locks.csv        approved periods no import may overwrite (optional)
    audit.csv        every change an import made, with the file and cell it came from
                     (optional; created by the first import)
    departments.csv  the departments of the top unit and the forms each fills (optional)

:func:`import_files` reads the files, plans the import with
:mod:`ktxh.domain.importing`, and, when nothing blocks it and it is not a dry
run, writes ``audit.csv`` and ``values.csv`` each through a temporary file
and ``os.replace``: either all the changes are written or none.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import stat
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from ktxh.domain.catalog import MEASURES
from ktxh.domain.checks import CheckContext, Finding, run_checks
from ktxh.domain.consolidate import consolidate
from ktxh.domain.importing import (
    AUDIT_COLUMNS,
    LOCK_COLUMNS,
    CellRef,
    Change,
    Department,
    Entry,
    Expectation,
    ImportPlan,
    Issue,
    Lock,
    Problem,
    SourceInfo,
    apply_changes,
    audit_records,
    lock_check,
    plan_import,
)
from ktxh.domain.numbers import plain_number
from ktxh.io.dataset import Dataset, DatasetError, read_dataset
from ktxh.io.xlsx_safety import DEFAULT_LIMITS, Limits, mib_text
from ktxh.io.xlsx_template import dataset_name, read_workbook

VALUES_FILE = "values.csv"
LOCKS_FILE = "locks.csv"
AUDIT_FILE = "audit.csv"
DEPARTMENTS_FILE = "departments.csv"
DEPARTMENT_COLUMNS = ("code", "name", "forms")


def _rows(path: Path, columns: Sequence[str] = ()) -> list[dict[str, str]]:
    """The rows of a CSV file; :class:`DatasetError` when one of ``columns`` is missing."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path.name}: thiếu cột {', '.join(missing)}")
        return list(reader)


def read_locks(directory: Path) -> list[Lock]:
    """The locks of a dataset directory; none when ``locks.csv`` is absent."""
    path = directory / LOCKS_FILE
    if not path.exists():
        return []
    out = []
    for n, r in enumerate(_rows(path, LOCK_COLUMNS), start=2):
        where = f"{LOCKS_FILE}, dòng {n}"
        try:
            measure = (r.get("measure") or "").strip() or None
            if measure is not None and measure not in MEASURES:
                raise ValueError(f"số đo «{measure}» không hợp lệ")
            out.append(
                Lock(
                    year=int(r["year"]),
                    orgunit=(r.get("orgunit") or "").strip() or None,
                    form=int(r["form"]) if (r.get("form") or "").strip() else None,
                    measure=measure,
                    approved_by=(r.get("approved_by") or "").strip(),
                    approved_at=(r.get("approved_at") or "").strip(),
                    note=(r.get("note") or "").strip(),
                )
            )
        except (KeyError, ValueError) as exc:
            raise DatasetError(f"{where}: {exc}") from None
    return out


def read_departments(directory: Path) -> list[Department]:
    """The departments of a dataset directory; none when ``departments.csv`` is absent."""
    path = directory / DEPARTMENTS_FILE
    if not path.exists():
        return []
    out = []
    for n, r in enumerate(_rows(path, DEPARTMENT_COLUMNS), start=2):
        try:
            forms = tuple(int(f) for f in r["forms"].replace(",", " ").split())
            out.append(Department(r["code"].strip(), r["name"].strip(), forms))
        except (KeyError, ValueError) as exc:
            raise DatasetError(f"{DEPARTMENTS_FILE}, dòng {n}: {exc}") from None
    return out


def read_audit(directory: Path) -> list[dict[str, str]]:
    """The audit trail of a dataset directory, oldest first; [] when there is none."""
    path = directory / AUDIT_FILE
    return _rows(path) if path.exists() else []


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file and ``os.replace``."""
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def values_text(directory: Path, changes: Sequence[Change]) -> str:
    """``values.csv`` with the changes applied: rows kept in place and byte for byte,
    updated in place, deleted, or added at the end in the changes' order."""
    path = directory / VALUES_FILE
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    col = {name: n for n, name in enumerate(header)}
    position = {
        (r[col["indicator"]], r[col["orgunit"]], int(r[col["year"]]), r[col["measure"]]): n
        for n, r in enumerate(rows)
    }
    deleted: set[int] = set()
    added: list[list[str]] = []
    for c in changes:
        n = position.get(c.key)
        if not c.new.present:
            if n is not None:
                deleted.add(n)
            continue
        fields = {
            "indicator": c.key[0],
            "orgunit": c.key[1],
            "year": str(c.key[2]),
            "measure": c.key[3],
            "value": plain_number(c.new.value),
            "printed": c.new.printed if c.new.value is not None else (c.new.printed or "-"),
        }
        row = [fields.get(name, "") for name in header]
        if n is None:
            added.append(row)
        else:
            rows[n] = row
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(r for n, r in enumerate(rows) if n not in deleted)
    w.writerows(added)
    return buf.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text a spreadsheet opening the CSV file would take for a formula, made plain text
    with a leading apostrophe (the file name of an upload is chosen by its sender)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def audit_text(directory: Path, records: Sequence[dict[str, str]]) -> str:
    """``audit.csv`` with ``records`` appended (the file is created with its header).

    The two fields that come from outside, ``file`` and ``user``, never start
    with a formula character (:func:`csv_safe`); the others are ktxh's own."""
    path = directory / AUDIT_FILE
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
    if not existing:
        w.writeheader()
    w.writerows({**r, "file": csv_safe(r["file"]), "user": csv_safe(r["user"])} for r in records)
    return existing + buf.getvalue()


def write_changes(
    directory: Path, changes: Sequence[Change], records: Sequence[dict[str, str]]
) -> None:
    """Write the changes and their audit rows; both texts are made before either is written."""
    values = values_text(directory, changes)
    audit = audit_text(directory, records)
    _atomic_write(directory / AUDIT_FILE, audit)
    _atomic_write(directory / VALUES_FILE, values)


@dataclass
class ImportOutcome:
    """What :func:`import_files` did (or, in a dry run or when refused, would do)."""

    dataset: Dataset
    plan: ImportPlan
    sources: list[SourceInfo] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # display name -> cells read
    applied: bool = False
    batch: str = ""
    totals_changed: int = 0
    findings_before: list[Finding] = field(default_factory=list)
    findings_after: list[Finding] = field(default_factory=list)
    checked: bool = False

    @property
    def new_findings(self) -> list[Finding]:
        def key(f: Finding) -> tuple[object, ...]:
            return (f.rule, f.indicator, f.orgunit, f.year, f.measure, f.message)

        before = {key(f) for f in self.findings_before}
        return [f for f in self.findings_after if key(f) not in before]


def _display_names(files: Sequence[Path]) -> list[str]:
    counts = Counter(p.name for p in files)
    return [p.name if counts[p.name] == 1 else str(p) for p in files]


def _totals_changed(before: pl.DataFrame, after: pl.DataFrame, ds: Dataset) -> int:
    key = ["indicator", "orgunit", "year", "measure"]
    a = consolidate(before, ds.catalog, ds.tree).select(*key, pl.col("value").alias("a"))
    b = consolidate(after, ds.catalog, ds.tree).select(*key, pl.col("value").alias("b"))
    joined = a.join(b, on=key, how="full", coalesce=True)
    differs = (pl.col("a").is_null() != pl.col("b").is_null()) | (
        (pl.col("a") - pl.col("b")).abs() > 1e-9
    )
    return joined.filter(differs.fill_null(False)).height


def import_files(
    directory: Path,
    files: Sequence[Path],
    *,
    dry_run: bool = False,
    year: int | None = None,
    orgunits: frozenset[str] | None = None,
    user: str = "",
    limits: Limits = DEFAULT_LIMITS,
    checks: bool = True,
    now: datetime | None = None,
) -> ImportOutcome:
    """Import filled templates and annex workbooks into a dataset directory, all or nothing.

    ``year`` is the period expected (default: the dataset's reference year);
    ``orgunits`` the only units whose files are accepted (default: any).
    Raises :class:`DatasetError` when the dataset itself cannot be read.
    """
    ds = read_dataset(directory)
    name = dataset_name(ds)
    expected = Expectation(name, ds.reference_year if year is None else year, orgunits)
    problems: list[Problem] = []
    entries: list[Entry] = []
    sources: list[SourceInfo] = []
    counts: dict[str, int] = {}
    for path, shown in zip(files, _display_names(files), strict=True):
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                problems.append(
                    Problem(
                        CellRef(shown),
                        f"tệp quá lớn ({mib_text(size)}); giới hạn là "
                        f"{mib_text(limits.max_file_bytes)}",
                        Issue.TOO_LARGE,
                    )
                )
                continue
            data = path.read_bytes()
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                why = "không tìm thấy tệp"
            elif isinstance(exc, IsADirectoryError):
                why = "đây là thư mục, không phải tệp"
            elif isinstance(exc, PermissionError):
                why = "không có quyền đọc tệp"
            else:
                why = f"không đọc được tệp ({exc.strerror or exc})"
            problems.append(Problem(CellRef(shown), why, Issue.NOT_WORKBOOK))
            continue
        result = read_workbook(data, shown, ds, dataset=name, expected=expected, limits=limits)
        problems.extend(result.problems)
        entries.extend(result.entries)
        counts[shown] = len(result.entries)
        if result.source is not None:
            sources.append(result.source)
    locks = lock_check(read_locks(directory), ds.catalog)
    plan = plan_import(
        entries, ds.values.frame, ds.catalog, ds.tree, locked=locks, problems=problems
    )
    outcome = ImportOutcome(ds, plan, sources, counts)
    if not plan.ok:
        return outcome
    now = now or datetime.now().astimezone()
    outcome.batch = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    before = ds.values.frame
    after = apply_changes(before, plan.changes)
    if plan.changes and not dry_run:
        records = audit_records(
            plan.changes,
            at=now.isoformat(timespec="seconds"),
            batch=outcome.batch,
            user=user,
        )
        write_changes(directory, plan.changes, records)
        outcome.applied = True
    if plan.changes:
        outcome.totals_changed = _totals_changed(before, after, ds)
    if checks:

        def check(frame: pl.DataFrame) -> list[Finding]:
            ctx = CheckContext(
                ds.catalog, ds.tree, frame, ds.reference_year, ds.top_orgunit, ds.claims
            )
            return run_checks(ctx, ds.rules)

        outcome.findings_after = check(after)
        outcome.findings_before = check(before) if plan.changes else outcome.findings_after
        outcome.checked = True
    return outcome
