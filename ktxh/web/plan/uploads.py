"""Excel in and out on the web: input templates to download, filled workbooks to upload.

The same functions as ``ktxh template`` and ``ktxh import`` (docs/excel.md),
with the database as the store:

* :func:`template_for` writes the input workbook of a unit (a department's
  forms, for a department officer) from :func:`~ktxh.web.plan.frames.dataset_from_db`
  into memory;
* :func:`preview` reads uploaded workbooks (``read_workbook``, with the same
  container limits as the command line) and plans the import
  (``plan_import``) with the workflow's locks and the account's scope: a unit
  officer imports their own unit only, a department officer their forms.
  Nothing is written;
* :func:`apply` plans again from the same bytes and, when nothing blocks and
  the plan is the one previewed, writes every change through
  :func:`~ktxh.web.plan.actions.write_values` (``source=Source.IMPORT``, each
  cell's ``file!sheet!cell`` as its provenance): all or nothing.

Between the preview and the confirmation the uploaded bytes stay on the
server in a private temporary directory named by a random token that only the
uploader's session holds (:func:`stash`, :func:`unstash`, :func:`discard`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from ktxh.domain.checks import Finding
from ktxh.domain.importing import ACTION_LABELS as CHANGE_LABELS
from ktxh.domain.importing import (
    CellRef,
    Change,
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
    describe_key,
    plan_import,
)
from ktxh.io.dataset import Dataset
from ktxh.io.xlsx_safety import DEFAULT_LIMITS, Limits, mib_text
from ktxh.io.xlsx_template import (
    TemplateError,
    read_workbook,
    template_filename,
    write_template,
)
from ktxh.web.plan import actions
from ktxh.web.plan.findings import cell_findings, checked
from ktxh.web.plan.frames import current_plan, dataset_from_db
from ktxh.web.plan.models import (
    LOCKING_STATUSES,
    OrgUnit,
    Role,
    Source,
    Status,
    Submission,
    Value,
)
from ktxh.web.plan.permissions import Scope, require, scope_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LIMITS: Limits = DEFAULT_LIMITS  # the command line's: 20 MiB a file, zip bombs refused
MAX_NAME = 120  # an uploaded file's name, as kept in the provenance of its values
SHOWN_CHANGES = 5000  # a preview lists at most this many changes cell by cell
STASH_HOURS = 24  # uploads never confirmed are removed after this


# --- templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFile:
    name: str
    data: bytes


def template_for(user: User, orgunit: OrgUnit, forms: Sequence[int] = ()) -> TemplateFile:
    """The input workbook of ``orgunit`` for the plan's reference year: the forms the
    account enters for it (``forms`` to choose among them). Raises PermissionDenied
    outside the account's scope and :class:`TemplateError` when there is nothing to fill."""
    scope = require(user, "edit", orgunit)
    for n in forms:
        require(user, "edit", orgunit, n)
    plan = current_plan()
    ds = dataset_from_db()
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
    department = None
    if scope.role is Role.DEPARTMENT and is_top:
        department = Department(user.get_username(), scope.title or user.get_username(), ())
    buf = io.BytesIO()
    layout = write_template(
        ds,
        buf,
        orgunit=orgunit.code,
        year=plan.reference_year,
        forms=wanted or None,
        department=department,
        dataset=plan.name,
    )
    return TemplateFile(template_filename(layout), buf.getvalue())


# --- uploads kept between the preview and the confirmation --------------------------


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as shown, its size, and its bytes (None when it is
    above the size limit: such a file is never read)."""

    name: str
    size: int
    data: bytes | None


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


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def stash_dir() -> Path:
    configured = getattr(settings, "KTXH_UPLOAD_DIR", None)
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "ktxh-tai-len"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def stash(uploads: Sequence[Upload]) -> str:
    """Keep the uploads on the server; return the token that names them."""
    root = stash_dir()
    _sweep(root)
    token = secrets.token_urlsafe(18)
    folder = root / token
    folder.mkdir(mode=0o700)
    manifest = []
    for n, u in enumerate(uploads):
        if u.data is not None:
            (folder / f"{n}.xlsx").write_bytes(u.data)
        manifest.append({"name": u.name, "size": u.size, "stored": u.data is not None})
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return token


def unstash(token: str) -> list[Upload] | None:
    """The uploads a token names, or None when they are gone (confirmed, expired)."""
    if not _TOKEN.match(token or ""):
        return None
    folder = stash_dir() / token
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        return [
            Upload(
                m["name"],
                int(m["size"]),
                (folder / f"{n}.xlsx").read_bytes() if m["stored"] else None,
            )
            for n, m in enumerate(manifest)
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(stash_dir() / token, ignore_errors=True)


def _sweep(root: Path) -> None:
    """Remove the uploads left unconfirmed for more than :data:`STASH_HOURS`."""
    limit = time.time() - STASH_HOURS * 3600
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


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
    """The workflow's locks (a form submitted or approved for a round) as the
    importer's predicate."""
    forms = {e.key[0]: ds.catalog.indicators[e.key[0]].form for e in entries if _known(ds, e)}
    locks = actions.locking_submissions(
        {(e.key[1], forms[e.key[0]], e.key[2], e.key[3]) for e in entries if e.key[0] in forms}
    )
    if not locks:
        return lambda key: None
    subs = {
        (s.orgunit_id, s.form_id, s.year): s
        for s in Submission.objects.filter(
            status__in=LOCKING_STATUSES, orgunit_id__in={k[0] for k in locks}
        ).select_related("updated_by")
    }

    def check(key: Key) -> Lock | None:
        form = forms.get(key[0])
        if form is None:
            return None
        found = actions.lock_of(locks, key[1], form, key[2], key[3])
        if found is None:
            return None
        sub = subs.get((found.orgunit, found.form, found.year))
        approved = found.status == Status.APPROVED
        who = sub.updated_by.get_username() if sub and sub.updated_by else ""
        when = f"{timezone.localtime(sub.updated_at):%d/%m/%Y}" if sub and sub.updated_at else ""
        return Lock(
            year=key[2],
            orgunit=found.orgunit,
            form=found.form,
            approved_by=who if approved else "",
            approved_at=when if approved else "",
            note=f"Biểu số {found.form}, kỳ báo cáo năm {found.year}",
            state="đã được duyệt" if approved else "đã nộp, đang chờ duyệt",
        )

    return check


def _known(ds: Dataset, e: Entry) -> bool:
    return e.key[0] in ds.catalog.indicators


def _stored(v: Value | None) -> Stored:
    if v is None or (v.value is None and not v.printed):
        return Stored()
    return Stored(True, v.value, v.printed or ("-" if v.value is None else ""))


def _rows_of(keys: Sequence[Key]) -> dict[Key, Value]:
    out: dict[Key, Value] = {}
    keys = list(keys)
    for start in range(0, len(keys), actions.KEYS_PER_QUERY):
        q = Q()
        for ind, org, year, measure in keys[start : start + actions.KEYS_PER_QUERY]:
            q |= Q(indicator_id=ind, orgunit_id=org, year=year, measure=measure)
        for v in Value.objects.filter(q).only(
            "indicator_id", "orgunit_id", "year", "measure", "value", "printed", "version"
        ):
            out[(v.indicator_id, v.orgunit_id, v.year, v.measure)] = v
    return out


def preview(user: User, uploads: Sequence[Upload]) -> Preview:
    """Read the uploaded workbooks and plan their import; write nothing."""
    scope = scope_of(user)
    if scope is None:
        raise PermissionDenied("Tài khoản chưa được phân quyền trong hệ thống")
    plan = current_plan()
    ds = dataset_from_db()
    expected = Expectation(plan.name, plan.reference_year, _allowed_units(scope, plan.top_orgunit))
    problems: list[Problem] = []
    entries: list[Entry] = []
    sources: dict[str, SourceInfo | None] = {}
    for u in uploads:
        sources[u.name] = None
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
    out = Preview(ds, planned, [])
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


# --- the confirmation ---------------------------------------------------------------


@dataclass(frozen=True)
class FormChecks:
    """The checks of one form after an import, for the units it changed."""

    form: int
    label: str
    units: list[tuple[str, str]]  # (code, full name) of the units changed
    errors: int
    warnings: int
    notices: int
    findings: list[Finding]  # errors and warnings first, at most a few


@dataclass
class Applied:
    """What a confirmation did."""

    preview: Preview
    applied: bool = False
    stale: bool = False  # the plan differs from the one shown: shown again, not applied
    written: int = 0
    checks: list[FormChecks] = field(default_factory=list)


def _text(new: Stored) -> str:
    """A change's new content as typed text for :func:`actions.write_values`."""
    if not new.present:
        return ""
    if new.value is None:
        return "-"
    return new.printed


def apply(user: User, uploads: Sequence[Upload], fingerprint: str) -> Applied:
    """Plan the uploads again and, when nothing blocks and the plan is the one shown
    (``fingerprint``), write every change at once; nothing otherwise."""
    shown = preview(user, uploads)
    out = Applied(shown)
    if not shown.ok:
        return out
    if shown.fingerprint() != fingerprint:
        out.stale = True
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
        issues = {
            "forbidden": Issue.FORBIDDEN,
            "locked": Issue.LOCKED,
            "conflict": Issue.CONFLICT,
        }
        shown.plan.problems.extend(
            Problem(
                refs.get(p.write.key, CellRef("")),
                p.message,
                issues.get(p.reason, Issue.UNKNOWN_KEY),
            )
            for p in refused.problems
        )
        return out
    out.applied = True
    out.written = written.changed
    out.checks = checks_after(shown.dataset, shown.plan.changes)
    return out


def checks_after(ds: Dataset, changes: Sequence[Change], shown: int = 10) -> list[FormChecks]:
    """The findings of each form an import changed, for the units it changed (and the
    totals their values no longer add up to)."""
    touched: dict[int, set[str]] = {}
    for c in changes:
        touched.setdefault(ds.catalog.indicators[c.key[0]].form, set()).add(c.key[1])
    out = []
    for form in sorted(touched):
        result = checked(form)
        seen: set[int] = set()
        found: list[Finding] = []
        for unit in sorted(touched[form]):
            for f, _ in cell_findings(result.dataset, result.findings, unit):
                if id(f) not in seen:
                    seen.add(id(f))
                    found.append(f)
        found.sort(key=lambda f: -f.severity.rank)
        units = sorted(touched[form], key=lambda u: ds.tree[u].full_name)
        out.append(
            FormChecks(
                form,
                ds.catalog.forms[form].label,
                [(u, ds.tree[u].full_name) for u in units],
                sum(1 for f in found if f.severity.rank == 3),
                sum(1 for f in found if f.severity.rank == 2),
                sum(1 for f in found if f.severity.rank == 1),
                [f for f in found if f.severity.rank >= 2][:shown],
            )
        )
    return out
