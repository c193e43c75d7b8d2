"""Excel in: input templates out, filled workbooks (and annexes) back in.

The command line (``ktxh template``, ``ktxh import``) and the web (the
template download, the upload page) call these same functions, so an import
checks the same locks, meets the same version conflicts and writes the same
audit rows whichever way it came in:

* :func:`template_for` writes the input workbook of a unit (a department's
  forms, for a department officer) from the store;
* :func:`preview` reads workbooks (``read_workbook``, with the container
  limits of :mod:`ktxh.io.xlsx_safety`) and plans the import (``plan_import``)
  with the store's locks and the account's scope: a unit officer imports their
  own unit only, a department officer their forms. Nothing is written;
* :func:`commit` writes a preview's changes through
  :func:`~ktxh.store.actions.write_values` (``source=Source.IMPORT``, each
  cell's ``file!sheet!cell`` as its provenance, one batch id): all or nothing,
  refused as a conflict when a cell changed since the preview read it;
* :func:`apply` plans again from the same bytes and commits only the plan that
  was shown (the web's confirmation);
* :func:`impact` says what an import does to the totals and the checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from django.core.exceptions import PermissionDenied

from ktxh.domain.checks import CheckContext, Finding, run_checks
from ktxh.domain.consolidate import consolidate
from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import ACTION_LABELS as CHANGE_LABELS
from ktxh.domain.importing import (
    CellRef,
    Department,
    Entry,
    Expectation,
    ImportPlan,
    Issue,
    Key,
    Lock,
    LockCheck,
    Problem,
    SourceInfo,
    Stored,
    apply_changes,
    describe_key,
    plan_import,
)
from ktxh.io.xlsx_safety import DEFAULT_LIMITS, Budget, Limits, UnsafeFile, mib_text
from ktxh.io.xlsx_template import (
    TemplateError,
    read_workbook,
    template_filename,
    write_template,
)
from ktxh.store import actions
from ktxh.store.frames import current_plan, dataset_from_store
from ktxh.store.models import OrgUnit, Role, Source, Value
from ktxh.store.permissions import Scope, require, scope_of
from ktxh.store.sql import KEYS_PER_QUERY

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LIMITS: Limits = DEFAULT_LIMITS  # 20 MiB a file, zip bombs refused
MAX_NAME = 120  # a file's name, as kept in the provenance of its values
SHOWN_CHANGES = 5000  # a preview lists at most this many changes cell by cell


# --- templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFile:
    name: str
    data: bytes


def template_for(
    user: User,
    orgunit: OrgUnit,
    forms: Sequence[int] = (),
    *,
    year: int | None = None,
    department: Department | None = None,
) -> TemplateFile:
    """The input workbook of ``orgunit`` for a round (default: the plan's reference
    year): the forms the account enters for it (``forms`` to choose among them, or a
    ``department``'s). Raises PermissionDenied outside the account's scope and
    :class:`TemplateError` when there is nothing to fill."""
    scope = require(user, "edit", orgunit)
    if department is not None:
        forms = department.forms
    for n in forms:
        require(user, "edit", orgunit, n)
    plan = current_plan()
    ds = dataset_from_store()
    is_top = orgunit.code == ds.top_orgunit
    wanted = sorted(set(forms))
    if not wanted and scope.forms is not None:
        wanted = sorted(
            n
            for n in scope.forms
            if n in ds.catalog.forms and (is_top or ds.catalog.forms[n].has_unit_breakdown)
        )
        if not wanted:
            raise TemplateError(f"Không có biểu nào để {orgunit.full_name} nhập số liệu")
    if department is None and scope.role is Role.DEPARTMENT and is_top:
        department = Department(user.get_username(), scope.title or user.get_username(), ())
    buf = io.BytesIO()
    layout = write_template(
        ds,
        buf,
        orgunit=orgunit.code,
        year=plan.reference_year if year is None else year,
        forms=wanted or None,
        department=department,
        dataset=plan.name,
    )
    return TemplateFile(template_filename(layout), buf.getvalue())


# --- files in ------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One file to import: its name as shown, its size, and its bytes (None when it is
    above the size limit, or could not be read: ``error`` says why)."""

    name: str
    size: int
    data: bytes | None
    error: str = ""


def upload_name(raw: str, taken: set[str]) -> str:
    """A file's name as shown and kept in provenance: without a path, at most
    :data:`MAX_NAME` characters, made unique among the batch ("a.xlsx (2)")."""
    base = re.split(r"[\\/]", raw or "")[-1].strip() or "tệp.xlsx"
    base = base[:MAX_NAME]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base} ({n})"
    taken.add(name)
    return name


def read_paths(paths: Sequence[Path], limits: Limits = LIMITS) -> list[Upload]:
    """Files on disk as uploads, each named as given (the full path where two share a
    name); a file that cannot be read carries the reason instead of bytes. Files are
    not read past the request's budget (``limits.max_request_bytes`` in all):
    :func:`preview` refuses those."""
    names = [p.name for p in paths]
    out = []
    total = 0
    for path in paths:
        shown = path.name if names.count(path.name) == 1 else str(path)
        try:
            size = path.stat().st_size
            readable = size <= limits.max_file_bytes and total + size <= limits.max_request_bytes
            data = path.read_bytes() if readable and path.is_file() else None
            total += size if data is not None else 0
            error = "" if data is not None or not readable else _why(path)
        except OSError as exc:
            size, data, error = 0, None, _why(path, exc)
        out.append(Upload(shown, size, data, error))
    return out


def _why(path: Path, exc: OSError | None = None) -> str:
    if isinstance(exc, FileNotFoundError) or (exc is None and not path.exists()):
        return "không tìm thấy tệp"
    if isinstance(exc, IsADirectoryError) or (exc is None and path.is_dir()):
        return "đây là thư mục, không phải tệp"
    if isinstance(exc, PermissionError):
        return "không có quyền đọc tệp"
    return f"không đọc được tệp ({exc.strerror or exc})" if exc else "không đọc được tệp"


# --- the preview ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """A change as the preview lists it."""

    file: str
    sheet: str
    cell: str
    indicator: str
    name: str
    orgunit: str
    column: str
    action: str
    old: str
    new: str


@dataclass(frozen=True)
class ProblemRow:
    file: str
    sheet: str
    cell: str
    message: str
    issue: str
    blocking: bool


@dataclass(frozen=True)
class FileRow:
    name: str
    what: str  # "biểu mẫu nhập của phường Đoàn Kết, năm 2023 (biểu 2, 3, ...)"
    cells: int
    changes: int
    problems: int


@dataclass
class Preview:
    """What an upload would do: the plan, and what a write needs (each cell's version)."""

    dataset: Dataset
    plan: ImportPlan
    files: list[FileRow]
    versions: dict[Key, int] = field(default_factory=dict)
    sources: list[SourceInfo] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.plan.ok

    def fingerprint(self) -> str:
        """The changes, old and new: a confirmation applies only the plan that was shown."""
        text = json.dumps(
            [
                [*c.key, c.ref.compact, c.old.present, c.old.value, c.new.present, c.new.value]
                for c in self.plan.changes
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def change_rows(self, limit: int = SHOWN_CHANGES) -> list[ChangeRow]:
        ds = self.dataset
        out = []
        for c in self.plan.changes[:limit]:
            ind = ds.catalog.indicators[c.key[0]]
            org = ds.tree[c.key[1]].full_name if c.key[1] in ds.tree.units else c.key[1]
            label = describe_key(ds.catalog, ds.tree, c.key).rsplit(", ", 1)[-1]
            out.append(
                ChangeRow(
                    c.ref.file,
                    c.ref.sheet,
                    c.ref.cell,
                    ind.code,
                    ind.label,
                    org,
                    label,
                    CHANGE_LABELS[c.action],
                    c.old.show(),
                    c.new.show(),
                )
            )
        return out

    def problem_rows(self) -> list[ProblemRow]:
        return [
            ProblemRow(p.ref.file, p.ref.sheet, p.ref.cell, p.message, p.issue.value, p.blocking)
            for p in self.plan.problems
        ]


def _allowed_units(scope: Scope, top: str) -> frozenset[str] | None:
    """The units whose files the account may import; None: any unit of the dataset."""
    if scope.orgunit == top:
        return None
    return frozenset(OrgUnit.objects.subtree(scope.path).values_list("code", flat=True))


def _lock_check(ds: Dataset, entries: Sequence[Entry]) -> LockCheck:
    """The store's locks (a form submitted or approved for a round, a closed round)
    as the importer's predicate."""
    forms = {e.key[0]: ds.catalog.indicators[e.key[0]].form for e in entries if _known(ds, e)}
    locks = actions.locks_for(
        {(e.key[1], forms[e.key[0]], e.key[2], e.key[3]) for e in entries if e.key[0] in forms}
    )
    if not locks:
        return lambda key: None

    def check(key: Key) -> Lock | None:
        form = forms.get(key[0])
        return None if form is None else actions.lock_of(locks, key[1], form, key[2], key[3])

    return check


def _known(ds: Dataset, e: Entry) -> bool:
    return e.key[0] in ds.catalog.indicators


def _stored(v: Value | None) -> Stored:
    if v is None or (v.value is None and not v.printed):
        return Stored()
    return Stored(True, v.value, v.printed or ("-" if v.value is None else ""))


def _rows_of(keys: Sequence[Key]) -> dict[Key, Value]:
    """The stored rows of ``keys``: one query per unit read (its years and measures),
    the keys picked out here (an OR of thousands of keys costs the ORM seconds)."""
    wanted = set(keys)
    by_org: dict[str, set[int]] = {}
    for _, org, year, _ in wanted:
        by_org.setdefault(org, set()).add(year)
    out: dict[Key, Value] = {}
    orgs = sorted(by_org)
    for start in range(0, len(orgs), KEYS_PER_QUERY):
        chunk = orgs[start : start + KEYS_PER_QUERY]
        years = sorted({y for o in chunk for y in by_org[o]})
        rows = Value.objects.filter(orgunit_id__in=chunk, year__in=years).values_list(
            "id", "indicator_id", "orgunit_id", "year", "measure", "value", "printed", "version"
        )
        for pk, ind, org, year, measure, value, printed, version in rows.iterator(chunk_size=5000):
            key = (ind, org, year, measure)
            if key in wanted:
                out[key] = Value(
                    id=pk,
                    indicator_id=ind,
                    orgunit_id=org,
                    year=year,
                    measure=measure,
                    value=value,
                    printed=printed,
                    version=version,
                )
    return out


def preview(
    user: User,
    uploads: Sequence[Upload],
    *,
    year: int | None = None,
    orgunits: frozenset[str] | None = None,
) -> Preview:
    """Read the workbooks and plan their import; write nothing. ``year`` is the round
    expected (default: the plan's reference year); ``orgunits`` narrows the units whose
    files are accepted below what the account may import."""
    scope = scope_of(user)
    if scope is None:
        raise PermissionDenied("Tài khoản chưa được phân quyền trong hệ thống")
    plan = current_plan()
    ds = dataset_from_store()
    allowed = _allowed_units(scope, plan.top_orgunit)
    if orgunits is not None:
        allowed = orgunits if allowed is None else allowed & orgunits
    expected = Expectation(plan.name, plan.reference_year if year is None else year, allowed)
    problems: list[Problem] = []
    entries: list[Entry] = []
    sources: dict[str, SourceInfo | None] = {}
    budget = Budget(LIMITS)  # the files of one request share it
    for u in uploads:
        sources[u.name] = None
        if u.error:
            problems.append(Problem(CellRef(u.name), u.error, Issue.NOT_WORKBOOK))
            continue
        try:
            if u.size <= LIMITS.max_file_bytes:
                budget.charge_bytes(u.size)
            if u.data is not None:
                budget.charge(u.data)
        except UnsafeFile as exc:
            problems.append(Problem(CellRef(u.name), exc.message, exc.issue))
            continue
        if u.data is None or u.size > LIMITS.max_file_bytes:
            problems.append(
                Problem(
                    CellRef(u.name),
                    f"tệp quá lớn ({mib_text(u.size)}); giới hạn là "
                    f"{mib_text(LIMITS.max_file_bytes)}",
                    Issue.TOO_LARGE,
                )
            )
            continue
        result = read_workbook(
            u.data, u.name, ds, dataset=plan.name, expected=expected, limits=LIMITS
        )
        problems.extend(result.problems)
        entries.extend(result.entries)
        sources[u.name] = result.source
    planned = plan_import(
        entries,
        ds.values.frame,
        ds.catalog,
        ds.tree,
        locked=_lock_check(ds, entries),
        problems=problems,
    )
    out = Preview(ds, planned, [], sources=[x for x in sources.values() if x is not None])
    _check_scope(out, scope)
    _read_versions(out)
    counts = {u.name: 0 for u in uploads}
    for e in entries:
        counts[e.ref.file] = counts.get(e.ref.file, 0) + 1
    for u in uploads:
        src = sources[u.name]
        out.files.append(
            FileRow(
                u.name,
                src.describe(ds.tree) if src is not None else "",
                counts.get(u.name, 0),
                sum(1 for c in planned.changes if c.ref.file == u.name),
                sum(1 for p in planned.problems if p.ref.file == u.name),
            )
        )
    return out


def _check_scope(out: Preview, scope: Scope) -> None:
    """A change outside the account's scope (a department officer's file holding
    another department's form) is refused, naming the cell."""
    ds = out.dataset
    paths = dict(OrgUnit.objects.values_list("code", "path"))
    for c in out.plan.changes:
        form = ds.catalog.indicators[c.key[0]].form
        path = paths.get(c.key[1], "")
        if not scope.reaches_path(path, form):
            org = ds.tree[c.key[1]].full_name if c.key[1] in ds.tree.units else c.key[1]
            out.plan.problems.append(
                Problem(
                    c.ref,
                    f"{describe_key(ds.catalog, ds.tree, c.key)}: tài khoản không có quyền "
                    f"nhập biểu số {form} của {org}",
                    Issue.FORBIDDEN,
                )
            )


def _read_versions(out: Preview) -> None:
    """Each changed cell's version now, for the write; a cell that changed since the
    values were read for the plan is a conflict."""
    ds = out.dataset
    rows = _rows_of([c.key for c in out.plan.changes])
    for c in out.plan.changes:
        row = rows.get(c.key)
        now = _stored(row)
        if not now.same(c.old):
            out.plan.problems.append(
                Problem(
                    c.ref,
                    f"{describe_key(ds.catalog, ds.tree, c.key)}: số liệu vừa được người "
                    f"khác sửa ({c.old.show()} → {now.show()}); hãy xem lại rồi gửi lại",
                    Issue.CONFLICT,
                )
            )
        out.versions[c.key] = row.version if row is not None else 0


# --- writing ---------------------------------------------------------------------------


@dataclass
class Applied:
    """What a commit (or a confirmation) did."""

    preview: Preview
    applied: bool = False
    stale: bool = False  # the plan differs from the one shown: shown again, not applied
    written: int = 0
    batch: str = ""


def _text(new: Stored) -> str:
    """A change's new content as typed text for :func:`actions.write_values`."""
    if not new.present:
        return ""
    if new.value is None:
        return "-"
    return new.printed


ISSUES = {"forbidden": Issue.FORBIDDEN, "locked": Issue.LOCKED, "conflict": Issue.CONFLICT}


def commit(user: User, shown: Preview) -> Applied:
    """Write the preview's changes, all or nothing, each cell guarded by the version
    the preview read: a cell changed since is a conflict and nothing is written."""
    out = Applied(shown)
    if not shown.ok or not shown.plan.changes:
        return out
    refs = {c.key: c.ref for c in shown.plan.changes}
    writes = [
        actions.CellWrite(
            *c.key,
            version=shown.versions[c.key],
            text=_text(c.new),
            source_ref=c.ref.compact,
        )
        for c in shown.plan.changes
    ]
    try:
        written = actions.write_values(user, writes, source=Source.IMPORT)
    except actions.WriteRefused as refused:
        shown.plan.problems.extend(
            Problem(
                refs.get(p.write.key, CellRef("")),
                p.message,
                ISSUES.get(p.reason, Issue.UNKNOWN_KEY),
            )
            for p in refused.problems
        )
        return out
    out.applied = True
    out.written = written.changed
    out.batch = written.batch
    return out


def apply(user: User, uploads: Sequence[Upload], fingerprint: str) -> Applied:
    """Plan the uploads again and, when nothing blocks and the plan is the one shown
    (``fingerprint``), write every change at once; nothing otherwise."""
    shown = preview(user, uploads)
    if shown.ok and shown.fingerprint() != fingerprint:
        return Applied(shown, stale=True)
    return commit(user, shown)


@dataclass
class Impact:
    """What an import does (or would do) to the totals and the checks."""

    totals_changed: int
    findings_before: list[Finding]
    findings_after: list[Finding]

    @property
    def new_findings(self) -> list[Finding]:
        def key(f: Finding) -> tuple[object, ...]:
            return (f.rule, f.indicator, f.orgunit, f.year, f.measure, f.message)

        before = {key(f) for f in self.findings_before}
        return [f for f in self.findings_after if key(f) not in before]


def impact(shown: Preview, checks: bool = True) -> Impact:
    """Consolidate and check the plan before and after the preview's changes."""
    ds = shown.dataset
    before = ds.values.frame
    after = apply_changes(before, shown.plan.changes)
    totals = _totals_changed(before, after, ds) if shown.plan.changes else 0
    if not checks:
        return Impact(totals, [], [])

    def check(frame: pl.DataFrame) -> list[Finding]:
        ctx = CheckContext(ds.catalog, ds.tree, frame, ds.reference_year, ds.top_orgunit, ds.claims)
        return run_checks(ctx, ds.rules)

    found_after = check(after)
    found_before = check(before) if shown.plan.changes else found_after
    return Impact(totals, found_before, found_after)


def _totals_changed(before: pl.DataFrame, after: pl.DataFrame, ds: Dataset) -> int:
    key = ["indicator", "orgunit", "year", "measure"]
    a = consolidate(before, ds.catalog, ds.tree).select(*key, pl.col("value").alias("a"))
    b = consolidate(after, ds.catalog, ds.tree).select(*key, pl.col("value").alias("b"))
    joined = a.join(b, on=key, how="full", coalesce=True)
    differs = (pl.col("a").is_null() != pl.col("b").is_null()) | (
        (pl.col("a") - pl.col("b")).abs() > 1e-9
    )
    return joined.filter(differs.fill_null(False)).height
