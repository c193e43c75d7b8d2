"""The data package: a plan as plain, diff-able CSV files with a Frictionless descriptor.

The package is ktxh's exchange format (docs/dataset.md): ``ktxh load DIR`` reads
one into the store, ``ktxh dump DIR`` writes the store back out, and
``--dataset DIR`` gives a read-only look without a store. It is never a store
itself: nothing but :func:`write_package` writes one.

Every resource is described once, in :data:`RESOURCES`: the descriptor that
:func:`descriptor` writes into ``datapackage.json`` (so that standard tools
such as ``frictionless validate`` check a package) and the validation that
:func:`read_package` runs before anything is used come from the same lines.
Validation is complete and located: every fault of every file is listed with
its file, row and column, in Vietnamese, and nothing is returned while one
remains. Tables are read with polars (every cell as text) and checked with
column expressions, so a package of a million values is validated in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from ktxh.domain.catalog import (
    MEASURES,
    Catalog,
    Children,
    Consolidation,
    Direction,
    Form,
    Indicator,
    Nature,
    RatioConvention,
    RowKind,
    Unit,
)
from ktxh.domain.checks import DeclaredRule, Severity
from ktxh.domain.dataset import Dataset, RoundInfo, catalog_for_round, meta_for_round
from ktxh.domain.importing import Department
from ktxh.domain.layout import LayoutError
from ktxh.domain.layout import parse as parse_layout
from ktxh.domain.narrative import Claim, ClaimKind
from ktxh.domain.orgunits import EventKind, OrgEvent, OrgTree, OrgUnit, check_events
from ktxh.domain.targets import (
    TARGET_ACTIONS,
    TARGET_MEASURES,
    DocumentKind,
    TargetBook,
    TargetKind,
    book_from_rows,
    clean_text,
)
from ktxh.domain.values import SCHEMA, ValueTable
from ktxh.domain.years import YEAR_FIELD, render, resolve

FORMAT_VERSION = 2
DEFAULT_PACKAGE = "laichau-2024"
DESCRIPTOR = "datapackage.json"
# Codes are keys in files, URLs and formulas: ASCII letters, digits, ".", "-", "_".
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"  # the package's name (Frictionless: lower case)
MAX_PROBLEMS = 200  # listed in one refusal; the rest are counted


# --- the resources ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a resource.

    ``kind``: ``text``, ``code`` (:data:`CODE_PATTERN`), ``codes`` (codes separated
    by spaces), ``integer``, ``integers`` (separated by spaces), ``number`` ("."
    decimal point, finite), ``date`` (ISO), ``datetime`` (ISO with its offset),
    ``flag`` ("1" or empty) or ``bit`` ("0" or "1").
    """

    name: str
    kind: str = "text"
    required: bool = False
    enum: tuple[str, ...] = ()
    description: str = ""
    minimum: int | None = None
    outside: bool = False  # text from outside (names, files, comments): see escape_cell

    def schema(self) -> dict[str, Any]:
        """The field as Frictionless Table Schema."""
        types = {
            "text": "string",
            "code": "string",
            "codes": "string",
            "integer": "integer",
            "integers": "string",
            "number": "number",
            "date": "date",
            "datetime": "datetime",
            "flag": "string",
            "bit": "integer",
            "year": "string",
        }
        out: dict[str, Any] = {"name": self.name, "type": types[self.kind]}
        if self.description:
            out["description"] = self.description
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.kind == "code":
            constraints["pattern"] = CODE_PATTERN.strip("^$")
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.kind == "year":
            constraints["pattern"] = YEAR_FIELD.pattern.strip("^$")
        if self.kind == "flag":
            constraints["enum"] = ["", "1"]
        if self.kind == "bit":
            constraints["enum"] = [0, 1]
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True, slots=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the resource itself
    reference: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    required: bool = False  # a package without it is refused; an optional one is empty
    description: str = ""

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": [f.schema() for f in self.fields]}
        if self.primary_key:
            out["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            out["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference)},
                }
                for fk in self.foreign_keys
            ]
        return out


SUBMISSION_STATUSES = ("draft", "submitted", "approved", "returned", "reopened")
SUBMISSION_ACTIONS = ("submit", "approve", "return", "reopen")
VALUE_SOURCES = ("seed", "package", "import", "web", "api", "report", "forecast")

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "forms",
            (
                Field("form", "integer", required=True, minimum=1),
                Field("title", required=True),
                Field(
                    "columns",
                    required=True,
                    description="the form's columns in order, space-separated (docs/dataset.md): "
                    "MEASURE@YEAR (plan@Y, h1@Y, estimate@Y, actual@Y-1, plan@Y+1, plan@2027), "
                    "':units' for a breakdown by the units below, NEW/OLD for a comparison "
                    "(estimate@Y/plan@Y), rating@Y for the rating against the target",
                ),
                Field("seed_line", "integer"),
                Field(
                    "ratio_convention",
                    enum=("", *(c.value for c in RatioConvention)),
                    description="how the comparison columns compute: new_old (empty, the "
                    "default: new ÷ old, as the headers say) or old_new_when_lower_is_better "
                    "(old ÷ new for the rows where lower is better)",
                ),
            ),
            ("form",),
            required=True,
        ),
        Resource(
            "units",
            (
                Field("unit", required=True),
                Field("dimension", required=True),
                Field("scale", "number", required=True, description="one unit in the base"),
                Field("base", required=True),
                Field("share", "bit", description="1 for % and ‰"),
            ),
            ("unit",),
            required=True,
        ),
        Resource(
            "orgunits",
            (
                Field("code", "code", required=True),
                Field("name", required=True),
                Field("level", required=True),
                Field("parent", "code"),
                Field("valid_from", "date"),
                Field("valid_to", "date", description="exclusive; empty: still valid"),
            ),
            ("code",),
            (ForeignKey(("parent",), "", ("code",)),),
            required=True,
            description="each unit as it began (its first name and parent); later changes "
            "are orgunit_events",
        ),
        Resource(
            "orgunit_events",
            (
                Field("id", "code", required=True),
                Field("date", "date", required=True, description="the first day of the new state"),
                Field("kind", required=True, enum=tuple(k.value for k in EventKind)),
                Field(
                    "sources", "codes", description="the units before (merge, split, rename, move)"
                ),
                Field("targets", "codes", description="the units after (merge, split)"),
                Field("shares", description="a split's shares, one per target, space-separated"),
                Field("new_name"),
                Field("new_parent", "code"),
                Field("level", description="the level abolished"),
                Field("basis", description="the legal basis: kind, number, date, issuer"),
                Field("source", description="where the fact comes from: a citation or an address"),
                Field("note"),
                Field("recorded_at", "datetime", description="when it was recorded in a store"),
                Field("recorded_by", outside=True),
            ),
            ("id",),
            (ForeignKey(("new_parent",), "orgunits", ("code",)),),
            description="dated changes of the org-unit tree: merges, splits, renames, moves, "
            "levels abolished (docs/orgunits.md)",
        ),
        Resource(
            "indicators",
            (
                Field("code", "code", required=True),
                Field("form", "integer", required=True),
                Field("position", "integer", required=True, minimum=1),
                Field("stt"),
                Field("name", required=True),
                Field("full_name"),
                Field("of_which", "flag"),
                Field("kind", required=True, enum=tuple(k.value for k in RowKind)),
                Field("parent", "code"),
                Field("children", enum=tuple(c.value for c in Children)),
                Field("unit"),
                Field("unit_printed"),
                Field(
                    "nature",
                    enum=tuple(n.value for n in Nature),
                    description="flow (accumulates over the year), stock (a level), rate "
                    "(share, rate, average); empty for headings",
                ),
                Field("direction", required=True, enum=tuple(d.value for d in Direction)),
                Field("consolidation", required=True, enum=tuple(c.value for c in Consolidation)),
                Field(
                    "basis",
                    "codes",
                    description="space-separated codes: numerator denominator (rate) or "
                    "weight (weighted_mean)",
                ),
                Field("comparable", "bit"),
                Field("decimals", "integer", minimum=0),
                Field("seed_line", "integer"),
                Field("values_line", "integer"),
                Field(
                    "unplaced",
                    description="printed tokens of the row not placed in any column, "
                    "' ; '-separated",
                ),
                Field("note"),
                Field(
                    "parts",
                    description="complete sets of parts beyond the sub-items: codes "
                    "separated by spaces, sets by ' ; '; each set adds up to this row (a "
                    "rate lies within the range of its parts' rates)",
                ),
            ),
            ("code",),
            (
                ForeignKey(("parent",), "", ("code",)),
                ForeignKey(("form",), "forms", ("form",)),
                ForeignKey(("unit",), "units", ("unit",)),
            ),
            required=True,
        ),
        Resource(
            "values",
            (
                Field("indicator", "code", required=True),
                Field("orgunit", "code", required=True),
                Field("year", "integer", required=True),
                Field("measure", required=True, enum=MEASURES),
                Field("value", "number", description="'.' decimal point; empty for a '-'"),
                Field(
                    "printed",
                    description="the cell as written (2.731,1; -); empty with an empty "
                    "value for a cell that was cleared",
                ),
                Field("seed_line", "integer"),
                Field("confidence", enum=("", "high", "medium", "low")),
                Field("note"),
                Field(
                    "source",
                    enum=("", *VALUE_SOURCES),
                    description="seed (a line of the source report), package, import "
                    "(a workbook), web, api; empty: seed when seed_line is set, else package",
                ),
                Field("source_ref", description="line N, or file!sheet!cell", outside=True),
                Field("version", "integer", minimum=1, description="empty: 1"),
                Field("updated_at", "datetime"),
                Field("updated_by", outside=True),
            ),
            ("indicator", "orgunit", "year", "measure"),
            (
                ForeignKey(("indicator",), "indicators", ("code",)),
                ForeignKey(("orgunit",), "orgunits", ("code",)),
            ),
            required=True,
        ),
        Resource(
            "claims",
            (
                Field("id", required=True),
                Field("section", required=True),
                Field("item"),
                Field("seed_line", "integer"),
                Field("text", required=True),
                Field("printed", required=True),
                Field("unit_printed"),
                Field("kind", required=True, enum=tuple(k.value for k in ClaimKind)),
                Field("indicator", "code"),
                Field("measure", enum=("", "plan", "h1", "estimate", "actual")),
                Field(
                    "year",
                    "year",
                    required=True,
                    description="the claim's year, relative to the round: {Y}, {Y+1}, {Y-1}",
                ),
                Field("value", "number"),
                Field("note"),
            ),
            ("id",),
            (ForeignKey(("indicator",), "indicators", ("code",)),),
        ),
        Resource(
            "rules",
            (
                Field("id", "code", required=True),
                Field("title", required=True),
                Field("left", required=True),
                Field("operator", required=True),
                Field("right", required=True),
                Field("tolerance", "number"),
                Field("severity", required=True),
                Field("scope", enum=("", "all", "top")),
                Field("message", required=True),
            ),
            ("id",),
            description="declared check rules (docs/checks.md)",
        ),
        Resource(
            "departments",
            (
                Field("code", "code", required=True),
                Field("name", required=True),
                Field("forms", "integers", description="space-separated form numbers"),
            ),
            ("code",),
            description="the departments of the top unit and the forms each fills",
        ),
        Resource(
            "rounds",
            (
                Field("year", "integer", required=True),
                Field("due", "date", description="when the units' forms are due"),
                Field("status", required=True, enum=("open", "closed")),
                Field("report_number", description="the number of the round's report (2547)"),
                Field("report_date", "date", description="the date of the round's report"),
            ),
            ("year",),
            description=(
                "reporting rounds: round Y holds plan, h1, estimate of Y, plan of Y+1 "
                "and the actual of Y-1"
            ),
        ),
        Resource(
            "round_events",
            (
                Field("year", "integer", required=True),
                Field("action", required=True, enum=("open", "close")),
                Field("at", "datetime", required=True),
                Field("user", outside=True),
                Field("note", outside=True),
            ),
            (),
            (ForeignKey(("year",), "rounds", ("year",)),),
            description="every opening and closing of a round, oldest first",
        ),
        Resource(
            "submissions",
            (
                Field("orgunit", "code", required=True),
                Field("form", "integer", required=True),
                Field("year", "integer", required=True),
                Field("status", required=True, enum=SUBMISSION_STATUSES),
                Field("note", description="the submitting unit's note", outside=True),
                Field("note_by", outside=True),
                Field("opinion", description="the reviewer's opinion", outside=True),
                Field("opinion_by", outside=True),
                Field("submitted_at", "datetime"),
                Field("updated_at", "datetime"),
                Field("updated_by", outside=True),
            ),
            ("orgunit", "form", "year"),
            (
                ForeignKey(("orgunit",), "orgunits", ("code",)),
                ForeignKey(("form",), "forms", ("form",)),
                ForeignKey(("year",), "rounds", ("year",)),
            ),
            description="where each unit's form stands in a round; absent: not submitted",
        ),
        Resource(
            "submission_events",
            (
                Field("orgunit", "code", required=True),
                Field("form", "integer", required=True),
                Field("year", "integer", required=True),
                Field("at", "datetime", required=True),
                Field("user", outside=True),
                Field("action", required=True, enum=SUBMISSION_ACTIONS),
                Field("status", required=True, enum=SUBMISSION_STATUSES),
                Field("comment", outside=True),
            ),
            (),
            (ForeignKey(("orgunit", "form", "year"), "submissions", ("orgunit", "form", "year")),),
            description="every submit, approve, return and reopen, oldest first",
        ),
        Resource(
            "audit",
            (
                Field("at", "datetime", required=True),
                Field("batch", description="one id per import or save"),
                Field("user", outside=True),
                Field("source", required=True, enum=VALUE_SOURCES),
                Field("source_ref", description="file!sheet!cell of an import", outside=True),
                Field("indicator", "code", required=True),
                Field("orgunit", "code", required=True),
                Field("year", "integer", required=True),
                Field("measure", required=True, enum=MEASURES),
                Field("version", "integer", required=True, minimum=1),
                Field("old_value", "number"),
                Field("old_printed"),
                Field("new_value", "number"),
                Field("new_printed"),
            ),
            (),
            (
                ForeignKey(
                    ("indicator", "orgunit", "year", "measure"),
                    "values",
                    ("indicator", "orgunit", "year", "measure"),
                ),
            ),
            description="every change of a value, oldest first; appended, never rewritten",
        ),
        # --- targets and the documents that set them (docs/targets.md) ---
        Resource(
            "documents",
            (
                Field("code", "code", required=True),
                Field(
                    "kind",
                    required=True,
                    enum=tuple(k.value for k in DocumentKind),
                    description="nghi_quyet_hdnd, quyet_dinh_ubnd, ke_hoach_ubnd, "
                    "giao_chi_tieu (an assignment from the level above), khac",
                ),
                Field("number", description="the document's number and symbol: 12/NQ-HĐND"),
                Field("date", "date", required=True, description="issued; in force from then"),
                Field("issuer", description="HĐND thành phố Lai Châu"),
                Field("level", description="the issuer's level: tỉnh, thành phố, xã"),
                Field("title"),
                Field("amends", "code", description="the code of the document it amends"),
                Field("note"),
                Field("recorded_at", "datetime"),
                Field("recorded_by", outside=True),
            ),
            ("code",),
            (ForeignKey(("amends",), "", ("code",)),),
            description="documents that set targets: resolutions, decisions, assignments",
        ),
        Resource(
            "targets",
            (
                Field("indicator", "code", required=True),
                Field("orgunit", "code", required=True),
                Field("year", "integer", required=True),
                Field("measure", enum=("", *TARGET_MEASURES), description="empty: plan"),
                Field(
                    "document",
                    "code",
                    description="the document that set it; empty: the target typed into the "
                    "plan cell (its text is the value's printed text)",
                ),
                Field("text", required=True, description="as written: 6,5-7%; trên 90"),
                Field(
                    "kind",
                    enum=("", *(k.value for k in TargetKind)),
                    description="exact, range, at_least, at_most, approximate; empty (with low, "
                    "high, low_strict, high_strict): read from the text",
                ),
                Field("low", "number", description="empty: no lower bound"),
                Field("high", "number", description="empty: no upper bound"),
                Field("low_strict", "bit", description="1: the lower bound is excluded (trên)"),
                Field("high_strict", "bit", description="1: the upper bound is excluded (dưới)"),
                Field("note"),
                Field("recorded_at", "datetime"),
                Field("recorded_by", outside=True),
            ),
            ("indicator", "orgunit", "year", "measure", "document"),
            (
                ForeignKey(("indicator",), "indicators", ("code",)),
                ForeignKey(("orgunit",), "orgunits", ("code",)),
                ForeignKey(("document",), "documents", ("code",)),
            ),
            description="targets as documents set them (ranges, bounds, approximations)",
        ),
        Resource(
            "target_events",
            (
                Field("at", "datetime", required=True),
                Field("user", outside=True),
                Field("action", required=True, enum=TARGET_ACTIONS),
                Field("document", "code"),
                Field("indicator", "code"),
                Field("orgunit", "code"),
                Field("year", "integer"),
                Field("measure", enum=("", *TARGET_MEASURES)),
                Field("old", description="before: a target's text, or a document's fields"),
                Field("new", description="after"),
                Field("source", enum=("", *VALUE_SOURCES)),
            ),
            (),
            description="every change of a document or of a target it set, oldest first",
        ),
    )
}

# Resources whose rows are many: kept as polars frames, never as Python rows.
BULK = ("values", "audit")


def descriptor(head: Mapping[str, Any]) -> dict[str, Any]:
    """``datapackage.json``: the package's head (name, title, licenses, "ktxh") and
    every resource with its schema."""
    out = {k: v for k, v in head.items() if k != "resources"}
    out["resources"] = [
        {
            "name": r.name,
            "path": r.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "encoding": "utf-8",
            **({"description": r.description} if r.description else {}),
            "schema": r.schema(),
        }
        for r in RESOURCES.values()
    ]
    return out


# --- reading ------------------------------------------------------------------------


class PackageError(ValueError):
    """A package that cannot be used; ``problems`` lists every fault, located."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        text = "\n".join(f"- {p}" for p in shown)
        if more:
            text += f"\n- ... và {more} lỗi khác"
        super().__init__(f"Gói dữ liệu có {len(self.problems)} lỗi, chưa dùng được:\n{text}")


# Kept as the old name: callers that only need "the dataset cannot be read".
DatasetError = PackageError


@dataclass
class Package:
    """A validated package: its head, the small resources as rows of text, the
    bulk ones (values, audit) as frames of text. ``path`` is where it was read."""

    path: Path
    head: dict[str, Any]
    rows: dict[str, list[dict[str, str]]]
    frames: dict[str, pl.DataFrame]
    catalog: Catalog
    tree: OrgTree
    claims: list[Claim] = field(default_factory=list)
    rules: list[DeclaredRule] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)
    targets: TargetBook = field(default_factory=TargetBook)

    @property
    def name(self) -> str:
        return str(self.head.get("name") or self.path.name)

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.head.get("ktxh") or {})

    def rounds(self) -> dict[int, RoundInfo]:
        """The package's reporting rounds by year (its reference year when it lists none)."""
        out = {
            int(r["year"]): RoundInfo(
                int(r["year"]),
                r.get("status") or "open",
                _opt_date(r.get("due", "")),
                r.get("report_number", ""),
                _opt_date(r.get("report_date", "")),
            )
            for r in self.rows.get("rounds", [])
        }
        year = int(self.meta.get("reference_year") or 0)
        return out or {year: RoundInfo(year)}

    def dataset(self, year: int | None = None) -> Dataset:
        """The plan as the rest of ktxh takes it (cleared cells left out), for round
        ``year`` (the package's reference year by default)."""
        meta = self.meta
        head_year = int(meta.get("reference_year") or 0)
        year = head_year if year is None else year
        info = self.rounds().get(year, RoundInfo(year))
        printed_in = int(meta.get("claims_year") or head_year)
        claims = (
            list(self.claims)
            if year == head_year == printed_in
            else [claim_from_row(r, year, printed_in) for r in self.rows["claims"]]
        )
        return Dataset(
            self.name,
            meta_for_round(meta, info),
            catalog_for_round(self.catalog, year),
            self.tree,
            ValueTable(value_frame(self.frames["values"])),
            claims,
            dict(self.unplaced),
            list(self.rules),
            list(self.departments),
            self.targets,
        )


class _Problems:
    """Collects located problems; stops collecting (but keeps counting) past the cap."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS * 2:
            self.items.append(text)

    def __bool__(self) -> bool:
        return self.count > 0


Locate = Callable[[str, Sequence[int], str | None], str]
"""Names a place of tables given as frames (:func:`check_tables`): resource file
("indicators.csv"), rows (as a package counts them: the header is row 1) and column
-> the place in the input people gave (a sheet, its row, its column)."""

_locate: ContextVar[Locate | None] = ContextVar("ktxh_package_locate", default=None)


def _where(path: str, row: int | None = None, column: str | None = None) -> str:
    custom = _locate.get()
    if custom is not None:
        return custom(path, [] if row is None else [row], column)
    parts = [path]
    if row is not None:
        parts.append(f"dòng {row}")
    if column is not None:
        parts.append(f"cột «{column}»")
    return ", ".join(parts)


def _read_head(directory: Path, problems: _Problems) -> dict[str, Any] | None:
    path = directory / DESCRIPTOR
    if not directory.is_dir():
        problems.add(f"{directory}: không phải thư mục")
        return None
    if not path.exists():
        problems.add(f"{directory}: không phải gói dữ liệu ktxh (thiếu {DESCRIPTOR})")
        return None
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.add(f"{DESCRIPTOR}: không phải văn bản UTF-8")
        return None
    except json.JSONDecodeError as exc:
        problems.add(f"{DESCRIPTOR}, dòng {exc.lineno}, cột {exc.colno}: JSON sai ({exc.msg})")
        return None
    if not isinstance(head, dict):
        problems.add(f"{DESCRIPTOR}: phải là một đối tượng JSON")
        return None
    name = head.get("name")
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        problems.add(
            f"{DESCRIPTOR}, trường «name»: «{name}» không hợp lệ (chữ thường không dấu, "
            "chữ số, «.», «-», «_»)"
        )
    meta = head.get("ktxh")
    if not isinstance(meta, dict):
        problems.add(f"{DESCRIPTOR}: thiếu đối tượng «ktxh» (reference_year, top_orgunit ...)")
    else:
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            problems.add(
                f"{DESCRIPTOR}, trường «ktxh.format_version»: là {version!r}; ktxh này đọc "
                f"định dạng {FORMAT_VERSION}"
            )
        year = meta.get("reference_year")
        if not isinstance(year, int) or not 1900 <= year <= 2200:
            problems.add(f"{DESCRIPTOR}, trường «ktxh.reference_year»: «{year}» không phải một năm")
    if not isinstance(head.get("resources"), list):
        problems.add(f"{DESCRIPTOR}: thiếu danh sách «resources»")
    return head


def _resource_paths(directory: Path, head: dict[str, Any], problems: _Problems) -> dict[str, Path]:
    """Each listed resource's file, checked: a known name, a plain file inside the package."""
    out: dict[str, Path] = {}
    listed = head.get("resources")
    for n, res in enumerate(listed if isinstance(listed, list) else [], start=1):
        where = f"{DESCRIPTOR}, tài nguyên thứ {n}"
        if not isinstance(res, dict):
            problems.add(f"{where}: phải là một đối tượng JSON")
            continue
        name, rel = res.get("name"), res.get("path")
        if name not in RESOURCES:
            problems.add(
                f"{where}: tên «{name}» không phải tài nguyên ktxh biết; các tên: "
                + ", ".join(RESOURCES)
            )
            continue
        if name in out:
            problems.add(f"{where}: tài nguyên «{name}» được khai báo hai lần")
            continue
        if not isinstance(rel, str) or not rel or "/" in rel or "\\" in rel or rel.startswith("."):
            problems.add(f"{where} («{name}»): đường dẫn «{rel}» phải là tên một tệp trong gói")
            continue
        path = directory / rel
        if not path.is_file():
            problems.add(f"{where} («{name}»): không có tệp {rel}")
            continue
        out[name] = path
    for res in RESOURCES.values():
        declared = isinstance(listed, list) and any(
            isinstance(r, dict) and r.get("name") == res.name for r in listed
        )
        if res.required and res.name not in out and isinstance(listed, list) and not declared:
            problems.add(f"{DESCRIPTOR}: thiếu tài nguyên bắt buộc «{res.name}» ({res.path})")
    return out


def _read_table(path: Path, res: Resource, problems: _Problems) -> pl.DataFrame | None:
    """A CSV file as a frame of text (empty cells ""), with a ``_row`` column (the
    line number people see: the header is line 1)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(f"{_where(path.name, line)}: không phải văn bản UTF-8")
        return None
    ragged = _ragged(data)
    if ragged is not None:
        problems.add(
            f"{_where(path.name, ragged)}: không đọc được dạng CSV "
            "(số ô của dòng khác dòng tiêu đề)"
        )
        return None
    try:
        frame = pl.read_csv(data, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        problems.add(f"{path.name}: không đọc được dạng CSV ({exc})")
        return None
    header = frame.columns
    if header and header[0].startswith("\ufeff"):
        frame = frame.rename({header[0]: header[0].lstrip("\ufeff")})
    unknown = [c for c in frame.columns if c not in res.columns]
    if unknown:
        problems.add(
            f"{path.name}, dòng 1: cột không có trong định dạng: "
            + ", ".join(f"«{c}»" for c in unknown)
            + "; các cột: "
            + ", ".join(res.columns)
        )
    missing = [f.name for f in res.fields if f.required and f.name not in frame.columns]
    if missing:
        problems.add(f"{path.name}, dòng 1: thiếu cột " + ", ".join(f"«{c}»" for c in missing))
    if unknown or missing:
        return None
    for c in res.columns:
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(c))
    frame = frame.with_columns(pl.col(c).fill_null("") for c in res.columns)
    return frame.select(*res.columns).with_row_index("_row", offset=2)


def _ragged(data: bytes) -> int | None:
    """The first line (1-based) whose number of cells differs from the header's."""
    reader = csv.reader(data.decode("utf-8").splitlines())
    width = None
    for n, row in enumerate(reader, start=1):
        if width is None:
            width = len(row)
        elif row and len(row) != width:
            return reader.line_num if reader.line_num else n
    return None


_INTEGER = r"^-?[0-9]{1,9}$"
_NUMBER = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[-+][0-9]{2}:[0-9]{2})?$"
)


def _check_fields(name: str, frame: pl.DataFrame, res: Resource, problems: _Problems) -> None:
    """Every cell against its field: required, kind, enum, minimum."""
    for f in res.fields:
        col = pl.col(f.name)
        empty = col == ""
        checks: list[tuple[pl.Expr, str]] = []
        if f.required:
            checks.append((empty, "thiếu giá trị (bắt buộc)"))
        bad: pl.Expr | None = None
        what = ""
        if f.kind == "code":
            bad = ~col.str.contains(CODE_PATTERN)
            what = (
                "không phải mã hợp lệ (chữ cái không dấu, chữ số, «.», «-», «_»; tối đa 64 ký tự)"
            )
        elif f.kind == "codes":
            bad = (
                ~col.str.split(" ")
                .list.eval((pl.element() == "") | pl.element().str.contains(CODE_PATTERN))
                .list.all()
            )
            what = "phải là các mã cách nhau bởi dấu cách"
        elif f.kind == "integer":
            bad, what = ~col.str.contains(_INTEGER), "không phải số nguyên"
        elif f.kind == "integers":
            bad = ~col.str.contains(r"^([0-9]{1,9}( +[0-9]{1,9})*)?$")
            what = "phải là các số nguyên cách nhau bởi dấu cách"
        elif f.kind == "number":
            as_float = col.cast(pl.Float64, strict=False)
            bad = ~col.str.contains(_NUMBER) | as_float.is_null() | ~as_float.is_finite()
            what = "không phải số (dấu chấm thập phân, không phân cách hàng nghìn: 2731.1)"
        elif f.kind == "date":
            bad = ~col.str.contains(_DATE) | col.str.to_date("%Y-%m-%d", strict=False).is_null()
            what = "không phải ngày dạng YYYY-MM-DD"
        elif f.kind == "datetime":
            bad, what = (
                ~col.str.contains(_DATETIME),
                "không phải thời điểm ISO (2024-07-15T08:30:00+07:00)",
            )
        elif f.kind == "year":
            bad = ~col.str.contains(YEAR_FIELD.pattern)
            what = "không phải năm: {Y}, {Y+1}, {Y-1} ... (theo kỳ báo cáo) hoặc một năm (2026)"
        elif f.kind == "flag":
            bad, what = ~col.is_in(["", "1"]), "chỉ được để trống hoặc 1"
        elif f.kind == "bit":
            bad, what = ~col.is_in(["", "0", "1"]), "chỉ được là 0 hoặc 1"
        if bad is not None:
            checks.append((~empty & bad, what))
        if f.enum:
            allowed = ", ".join(e for e in f.enum if e) or "(trống)"
            checks.append((~col.is_in(list(f.enum)) & ~empty, f"phải là một trong: {allowed}"))
        if f.minimum is not None:
            as_int = col.cast(pl.Int64, strict=False)
            checks.append(
                (~empty & as_int.is_not_null() & (as_int < f.minimum), f"nhỏ hơn {f.minimum}")
            )
        for expr, message in checks:
            hits = frame.filter(expr).select("_row", f.name).head(20)
            total = frame.select(expr.sum()).item() if hits.height == 20 else hits.height
            for row, text in hits.iter_rows():
                problems.add(f"{_where(name, row, f.name)}: «{text}» {message}")
            if total > hits.height:
                more = total - hits.height
                problems.add(f"{_where(name, None, f.name)}: thêm {more} ô sai như trên")
        if f.kind == "datetime":
            for text in frame.filter(~empty).get_column(f.name).unique().head(100_000):
                try:
                    _parse_datetime(text)
                except ValueError:
                    rows = frame.filter(col == text).get_column("_row").head(3).to_list()
                    problems.add(
                        f"{_where(name, rows[0], f.name)}: «{text}» không phải thời điểm có thật"
                    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """Text from outside (a file's name, a user's, a comment) as written in a package:
    with a leading apostrophe when a spreadsheet opening the CSV file would take it for
    a formula, or when it starts with an apostrophe itself (so that reading it back,
    :func:`unescape_cell`, gives exactly the text)."""
    return f"'{text}" if text.startswith((*FORMULA_STARTS, "'")) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def _unescape(frame: pl.DataFrame, res: Resource) -> pl.DataFrame:
    outside = [f.name for f in res.fields if f.outside]
    if not outside:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.starts_with("'")).then(pl.col(c).str.slice(1)).otherwise(pl.col(c))
        for c in outside
    )


def _check_keys(frames: dict[str, pl.DataFrame], problems: _Problems, skip: frozenset[str]) -> None:
    """Primary keys unique; foreign keys pointing at rows that exist."""
    for name, frame in frames.items():
        res = RESOURCES[name]
        if res.primary_key and name not in skip:
            pk = list(res.primary_key)
            dup = frame.filter(pl.struct(pk).is_duplicated()).sort("_row")
            seen: set[tuple[str, ...]] = set()
            for row in dup.head(40).iter_rows(named=True):
                key = tuple(row[c] for c in pk)
                if key in seen:
                    continue
                seen.add(key)
                rows = dup.filter(pl.all_horizontal(pl.col(c) == row[c] for c in pk)).get_column(
                    "_row"
                )
                custom = _locate.get()
                at = (
                    custom(res.path, rows.head(5).to_list(), None)
                    if custom is not None
                    else f"{res.path}, dòng {', '.join(str(r) for r in rows.head(5))}"
                )
                problems.add(f"{at}: khóa ({', '.join(key)}) bị trùng")
        for fk in res.foreign_keys:
            target_name = fk.resource or name
            target = frames.get(target_name)
            if name in skip or target_name in skip:
                continue
            cols = list(fk.fields)
            present = frame.filter(pl.all_horizontal(pl.col(c) != "" for c in cols))
            if target is None:
                missing = present
            else:
                keys = target.select(
                    [pl.col(r).alias(c) for c, r in zip(cols, fk.reference, strict=True)]
                ).unique()
                missing = present.join(keys, on=cols, how="anti")
            for row in missing.sort("_row").head(20).iter_rows(named=True):
                shown = ", ".join(row[c] for c in cols)
                target_text = (
                    _where(f"{target_name}.csv")
                    if target_name != name or _locate.get() is not None
                    else "chính tệp này"
                )
                problems.add(
                    f"{_where(res.path, row['_row'], ', '.join(cols))}: «{shown}» không có "
                    f"trong {target_text}"
                )
            if missing.height > 20:
                problems.add(
                    f"{_where(res.path)}: thêm {missing.height - 20} dòng trỏ tới mã không có"
                )


def _parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_package(path: Path | str) -> Package:
    """Read and validate a package completely; :class:`PackageError` lists every fault."""
    directory = Path(path)
    problems = _Problems()
    head = _read_head(directory, problems)
    if head is None:
        raise PackageError(problems.items)
    paths = _resource_paths(directory, head, problems)
    frames: dict[str, pl.DataFrame] = {}
    broken: set[str] = set()
    for name, res in RESOURCES.items():
        p = paths.get(name)
        if p is None:
            if res.required:
                broken.add(name)
            frames[name] = pl.DataFrame(
                {"_row": pl.Series([], dtype=pl.UInt32)}
                | {c: pl.Series([], dtype=pl.String) for c in res.columns}
            )
            continue
        frame = _read_table(p, res, problems)
        if frame is None:
            broken.add(name)
            continue
        _check_fields(res.path, frame, res, problems)
        frames[name] = _unescape(frame, res)
    _check_keys(frames, problems, frozenset(broken))
    if problems or broken:
        raise PackageError(problems.items)
    return _build(directory, head, frames)


def read_resource(path: Path, name: str) -> list[dict[str, str]]:
    """One CSV file with the columns of resource ``name`` (a file an officer prepared:
    new org units, reorganisation events), its cells checked as a package's are;
    :class:`PackageError` lists every fault with the file, row and column."""
    res = RESOURCES[name]
    problems = _Problems()
    if not path.is_file():
        raise PackageError([f"{path}: không có tệp"])
    frame = _read_table(path, res, problems)
    if frame is not None:
        _check_fields(path.name, frame, res, problems)
        pk = list(res.primary_key)
        if pk:
            for row in frame.filter(pl.struct(pk).is_duplicated()).head(20).iter_rows(named=True):
                problems.add(
                    f"{_where(path.name, row['_row'])}: khóa ({', '.join(row[c] for c in pk)}) "
                    "bị trùng"
                )
    if problems or frame is None:
        raise PackageError(problems.items)
    return [
        {k: v for k, v in r.items() if k != "_row"}
        for r in _unescape(frame, res).iter_rows(named=True)
    ]


def check_tables(
    head: Mapping[str, Any],
    tables: Mapping[str, Sequence[Mapping[str, str]]],
    *,
    path: Path | str = ".",
    locate: Locate | None = None,
) -> Package:
    """Resources given as rows of text (a plan started from a list of units and a
    catalog workbook) validated exactly as :func:`read_package` validates a package's
    files: every cell against its field, the keys, the catalog's and the tree's own
    rules. A resource not given is empty; a column not given is empty. ``locate``
    names each fault's place in the input people gave (the rows are counted as a
    package counts them: the first row of a resource is row 2); without it, as a
    package's file. :class:`PackageError` lists every fault."""
    problems = _Problems()
    frames: dict[str, pl.DataFrame] = {}
    token = _locate.set(locate)
    try:
        for name, res in RESOURCES.items():
            rows = tables.get(name, ())
            frame = pl.DataFrame(
                {
                    c: pl.Series(c, [r.get(c, "") or "" for r in rows], dtype=pl.String)
                    for c in res.columns
                }
            ).with_row_index("_row", offset=2)
            _check_fields(res.path, frame, res, problems)
            frames[name] = frame
        _check_keys(frames, problems, frozenset())
        if problems:
            raise PackageError(problems.items)
        return _build(Path(path), dict(head), frames)
    finally:
        _locate.reset(token)


def _build(directory: Path, head: dict[str, Any], frames: dict[str, pl.DataFrame]) -> Package:
    """The domain objects of a package whose tables are sound; the catalog's and the
    tree's own rules (a cycle, a gap in the positions) are checked here, located."""
    problems = _Problems()
    rows = {
        name: [{k: v for k, v in r.items() if k != "_row"} for r in f.iter_rows(named=True)]
        for name, f in frames.items()
        if name not in BULK
    }
    forms = {int(r["form"]): form_from_row(r) for r in rows["forms"]}
    for n, r in enumerate(rows["forms"], start=2):
        try:
            parse_layout(r["columns"])
        except LayoutError as exc:
            problems.add(f"{_where('forms.csv', n, 'columns')}: {exc}")
    units = {}
    for n, r in enumerate(rows["units"], start=2):
        if Decimal(r["scale"]) <= 0:
            problems.add(f"{_where('units.csv', n, 'scale')}: «{r['scale']}» phải lớn hơn 0")
            continue
        units[r["unit"]] = Unit(
            r["unit"], r["dimension"], Decimal(r["scale"]), r["base"], r["share"] == "1"
        )
    indicators: dict[str, Indicator] = {}
    unplaced: dict[str, str] = {}
    for n, r in enumerate(rows["indicators"], start=2):
        ind = indicator_from_row(r, _where("indicators.csv", n))
        indicators[ind.code] = ind
        if r.get("unplaced"):
            unplaced[ind.code] = r["unplaced"]
    for n, r in enumerate(rows["indicators"], start=2):  # parents that come round again
        chain = [r["code"]]
        parent = r.get("parent", "")
        while parent and parent in indicators and parent not in chain and len(chain) < 100:
            chain.append(parent)
            parent = indicators[parent].parent or ""
        if parent and parent == r["code"]:
            problems.add(
                f"{_where('indicators.csv', n, 'parent')}: chỉ tiêu cha tạo thành vòng lặp "
                f"({' → '.join([*chain, parent])})"
            )
    catalog = Catalog(forms, indicators, units)
    for p in catalog.validate():
        problems.add(f"{_where('indicators.csv')}: {p}")
    tree: OrgTree | None = None
    events = []
    for n, r in enumerate(rows["orgunit_events"], start=2):
        try:
            events.append(event_from_row(r))
        except ValueError as exc:
            problems.add(f"{_where('orgunit_events.csv', n, 'shares')}: {exc}")
    try:
        tree = OrgTree(
            [
                OrgUnit(
                    r["code"],
                    r["name"],
                    r["level"],
                    r["parent"] or None,
                    _opt_date(r["valid_from"]),
                    _opt_date(r["valid_to"]),
                )
                for r in rows["orgunits"]
            ],
            events,
        )
    except ValueError as exc:
        problems.add(f"{_where('orgunits.csv')}: {exc}")
    else:
        for p in check_events(tree):
            problems.add(f"orgunit_events.csv: {p}")
    meta = head.get("ktxh") or {}
    top = meta.get("top_orgunit")
    if tree is not None and top and top not in tree.units:
        problems.add(
            f"{DESCRIPTOR}, trường «ktxh.top_orgunit»: «{top}» không có trong orgunits.csv"
        )
    claims = []
    round_year = int(meta.get("reference_year") or 0)
    for n, r in enumerate(rows["claims"], start=2):
        try:
            claims.append(claim_from_row(r, round_year))
        except ValueError as exc:
            problems.add(f"{_where('claims.csv', n)}: {exc}")
    rules = []
    for n, r in enumerate(rows["rules"], start=2):
        faults = rule_problems(r, indicators)
        for column, why in faults:
            problems.add(f"{_where('rules.csv', n, column)}: {why}")
        if faults:
            continue
        try:
            rules.append(rule_from_row(r, _where("rules.csv", n, None), indicators))
        except ValueError as exc:
            problems.add(str(exc))
    departments = [
        Department(r["code"], r["name"], tuple(int(x) for x in r["forms"].split()))
        for r in rows["departments"]
    ]
    for n, d in enumerate(departments, start=2):
        for f in d.forms:
            if f not in forms:
                problems.add(f"{_where('departments.csv', n, 'forms')}: không có biểu số {f}")
    values = frames["values"]
    bad = values.filter((pl.col("printed") == "-") & (pl.col("value") != ""))
    for r in bad.head(20).iter_rows(named=True):
        problems.add(
            f"{_where('values.csv', r['_row'], 'value')}: «{r['value']}» nhưng ô in «-» "
            "(không có số liệu)"
        )
    book = _targets(rows, values, problems)
    if problems:
        raise PackageError(problems.items)
    assert tree is not None
    return Package(
        directory,
        head,
        rows,
        {name: frames[name] for name in BULK},
        catalog,
        tree,
        claims,
        rules,
        departments,
        unplaced,
        book,
    )


def _targets(
    rows: dict[str, list[dict[str, str]]], values: pl.DataFrame, problems: _Problems
) -> TargetBook:
    """The documents and targets of a package; every text must read as its columns
    say, and a target typed into a plan cell must be that cell's printed text."""
    book, found = book_from_rows(rows["documents"], rows["targets"])
    for file, n, message in found:
        problems.add(f"{_where(file, n + 2 if n >= 0 else None)}: {message}")
    own = [(n, r) for n, r in enumerate(rows["targets"], start=2) if not r["document"]]
    if own:
        printed = {
            (r[0], r[1], r[2]): r[3]
            for r in values.filter(pl.col("measure") == "plan")
            .select("indicator", "orgunit", "year", "printed")
            .iter_rows()
        }
        for n, r in own:
            cell = printed.get((r["indicator"], r["orgunit"], r["year"]))
            if cell is None or clean_text(cell) != clean_text(r["text"]):
                problems.add(
                    f"{_where('targets.csv', n, 'text')}: chỉ tiêu nhập trên biểu «{r['text']}» "
                    f"phải là chữ của ô kế hoạch trong values.csv, nhưng ô đó là "
                    f"«{cell if cell is not None else '(không có)'}»"
                )
    return book


def _opt_int(text: str) -> int | None:
    return int(text) if text else None


def _opt_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def event_from_row(r: Mapping[str, str]) -> OrgEvent:
    """One row of orgunit_events.csv (every column a string) as an :class:`OrgEvent`;
    ``ValueError`` for shares that are not numbers."""
    try:
        shares = tuple(float(x) for x in r.get("shares", "").split())
    except ValueError:
        raise ValueError(
            f"«{r.get('shares', '')}» phải là các tỷ lệ (số thập phân, dấu chấm) cách nhau bởi "
            "dấu cách, mỗi đơn vị mới một tỷ lệ"
        ) from None
    return OrgEvent(
        id=r["id"],
        day=date.fromisoformat(r["date"]),
        kind=EventKind(r["kind"]),
        sources=tuple(r.get("sources", "").split()),
        targets=tuple(r.get("targets", "").split()),
        shares=shares,
        new_name=r.get("new_name", ""),
        new_parent=r.get("new_parent", ""),
        level=r.get("level", ""),
        basis=r.get("basis", ""),
        source=r.get("source", ""),
        note=r.get("note", ""),
    )


def form_from_row(r: Mapping[str, str]) -> Form:
    """One row of forms.csv (every column a string) as a :class:`Form`."""
    return Form(
        int(r["form"]),
        r["title"],
        tuple(r["columns"].split()),
        _opt_int(r.get("seed_line", "")),
        RatioConvention.parse(r.get("ratio_convention") or ""),
    )


def indicator_from_row(r: Mapping[str, str], where: str) -> Indicator:
    """One row of indicators.csv (every column a string) as an :class:`Indicator`.
    The enumerations have been checked by :func:`read_package`; a row from elsewhere
    (the store) raises :class:`PackageError` naming ``where``."""
    try:
        return Indicator(
            code=r["code"],
            form=int(r["form"]),
            position=int(r["position"]),
            stt=r.get("stt", ""),
            name=r["name"],
            full_name=r.get("full_name", ""),
            of_which=r.get("of_which") == "1",
            kind=RowKind(r["kind"]),
            parent=r.get("parent") or None,
            children=Children(r.get("children", "")),
            unit=r.get("unit", ""),
            unit_printed=r.get("unit_printed", ""),
            nature=Nature(r.get("nature", "")),
            direction=Direction(r["direction"]),
            consolidation=Consolidation(r["consolidation"]),
            basis=tuple(b for b in r.get("basis", "").split(" ") if b),
            comparable=r.get("comparable") == "1",
            decimals=int(r.get("decimals") or 0),
            seed_line=_opt_int(r.get("seed_line", "")),
            values_line=_opt_int(r.get("values_line", "")),
            note=r.get("note", ""),
            parts=parts_from_text(r.get("parts") or ""),
        )
    except (KeyError, ValueError) as exc:
        raise PackageError([f"{where}: {exc}"]) from None


def parts_from_text(text: str) -> tuple[tuple[str, ...], ...]:
    """ "B09.004 B09.005 ; B02.018 B02.056" as sets of codes."""
    return tuple(tuple(g.split()) for g in text.split(";") if g.split())


def claim_from_row(r: Mapping[str, str], year: int, printed_in: int | None = None) -> Claim:
    """One row of claims.csv (every column a string) as a :class:`Claim` of round
    ``year``: its year field and the years in its text resolved. The number a claim
    states was printed in the report of round ``printed_in``: in any other round it is
    not a figure of that round and is left out (the narrative then takes the tables'
    figure or leaves the clause out)."""
    return Claim(
        id=r["id"],
        section=r["section"],
        item=r.get("item", ""),
        seed_line=_opt_int(r.get("seed_line", "")),
        text=render(r["text"], year),
        printed=r["printed"],
        unit_printed=r.get("unit_printed", ""),
        kind=ClaimKind(r["kind"]),
        indicator=r.get("indicator") or None,
        measure=r.get("measure", ""),
        year=resolve(r["year"], year),
        value=(
            Decimal(r["value"])
            if r.get("value") and (printed_in is None or printed_in == year)
            else None
        ),
        note=r.get("note", ""),
    )


RULE_OPERATORS = ("==", "<=", ">=")
_TERM = re.compile(
    r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9._]*)"
    r"|(?P<op>[-+*/])|(?P<open>\()|(?P<close>\)))"
)


def expression_problem(text: str) -> str | None:
    """What keeps a side of a declared rule from being an expression of terms, in
    Vietnamese: empty, a term missing (between two operations, at either end, inside
    parentheses), unbalanced parentheses, a character that is not allowed."""
    if not text.strip():
        return "biểu thức trống: ghi mã chỉ tiêu, số và các phép tính + - * /"
    expect_term = True  # a term (or "(", or a unary minus) must come next
    depth = 0
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TERM.match(stripped, pos)
        if m is None or m.end() == pos:
            bad = stripped[pos:].strip()[:1]
            return (
                f"biểu thức «{text}» có ký tự «{bad}» không dùng được (chỉ mã chỉ tiêu, số, "
                "+ - * / và dấu ngoặc)"
            )
        pos = m.end()
        if m.group("num") or m.group("name"):
            if not expect_term:
                return f"biểu thức «{text}» thiếu phép tính giữa hai số hạng"
            expect_term = False
        elif m.group("op"):
            if expect_term and m.group("op") != "-":
                return f"biểu thức «{text}» có số hạng trống (trước phép tính «{m.group('op')}»)"
            expect_term = True
        elif m.group("open"):
            if not expect_term:
                return f"biểu thức «{text}» thiếu phép tính trước dấu «(»"
            depth += 1
        else:
            if expect_term:
                return f"biểu thức «{text}» có số hạng trống (trước dấu «)»)"
            depth -= 1
            if depth < 0:
                return f"biểu thức «{text}» thừa dấu «)»"
    if expect_term:
        return f"biểu thức «{text}» có số hạng trống (ở cuối)"
    if depth:
        return f"biểu thức «{text}» thiếu dấu «)»"
    return None


def rule_problems(r: Mapping[str, str], indicators: Container[str]) -> list[tuple[str, str]]:
    """(column, Vietnamese reason) of what is wrong with one row of rules.csv that the
    fields alone do not say: a side that is not an expression of terms, a code that is
    not in the catalog, an operator or a severity that is not one of the accepted."""
    out: list[tuple[str, str]] = []
    for side in ("left", "right"):
        text = r.get(side, "")
        why = expression_problem(text)
        if why:
            out.append((side, why))
            continue
        names = [m.group("name") for m in _TERM.finditer(text) if m.group("name")]
        unknown = [c for c in dict.fromkeys(names) if c not in indicators]
        if unknown:
            out.append((side, "mã chỉ tiêu không có trong danh mục: " + ", ".join(unknown)))
    operator = r.get("operator", "")
    if operator not in RULE_OPERATORS:
        out.append(("operator", f"«{operator}» phải là một trong: {', '.join(RULE_OPERATORS)}"))
    try:
        Severity.parse(r.get("severity", ""))
    except ValueError:
        out.append(
            ("severity", f"«{r.get('severity', '')}» phải là một trong: lỗi, cảnh báo, lưu ý")
        )
    return out


def rule_from_row(
    r: Mapping[str, str], where: str, indicators: Mapping[str, Indicator]
) -> DeclaredRule:
    """One row of rules.csv (every column a string) as a :class:`DeclaredRule`;
    ``ValueError`` naming ``where`` when it cannot be one."""
    try:
        rule = DeclaredRule(
            id=r["id"],
            title=r["title"],
            left=r["left"],
            operator=r["operator"],
            right=r["right"],
            severity=Severity.parse(r["severity"]),
            message=r["message"],
            tolerance=float(r["tolerance"]) if r.get("tolerance") else None,
            orgunits=r.get("scope") or "all",
        )
    except (KeyError, ValueError, SyntaxError) as exc:
        raise ValueError(f"{where}: {exc}") from exc
    unknown = [c for c in rule.codes if c not in indicators]
    if unknown:
        raise ValueError(f"{where}: mã chỉ tiêu không có trong danh mục: {', '.join(unknown)}")
    return rule


def value_frame(values: pl.DataFrame) -> pl.DataFrame:
    """A package's values (text) as a value frame (:data:`ktxh.domain.values.SCHEMA`);
    cleared cells (no number, nothing printed) are left out."""
    f = values.filter((pl.col("value") != "") | (pl.col("printed") != ""))
    source = (
        pl.when(pl.col("source") != "")
        .then(pl.col("source"))
        .when(pl.col("seed_line") != "")
        .then(pl.lit("seed"))
        .otherwise(pl.lit("package"))
    )
    ref = (
        pl.when(pl.col("source_ref") != "")
        .then(pl.col("source_ref"))
        .when(pl.col("seed_line") != "")
        .then(pl.format("line {}", pl.col("seed_line")))
        .otherwise(pl.lit(""))
    )
    return f.select(
        "indicator",
        "orgunit",
        pl.col("year").cast(pl.Int32),
        "measure",
        pl.when(pl.col("value") == "")
        .then(None)
        .otherwise(pl.col("value"))
        .cast(pl.Float64)
        .alias("value"),
        "printed",
        source.alias("source"),
        ref.alias("source_ref"),
        pl.when(pl.col("seed_line") == "")
        .then(None)
        .otherwise(pl.col("seed_line"))
        .cast(pl.Int32)
        .alias("seed_line"),
        "confidence",
        "note",
    ).select(list(SCHEMA))


def shipped_package(name: str = DEFAULT_PACKAGE) -> Path:
    """A package shipped inside ktxh: read-only package data (``ktxh demo`` loads it)."""
    return Path(str(resources.files("ktxh").joinpath("data", name)))


def read_dataset(path: Path | str) -> Dataset:
    """A package read for a look, without a store (``--dataset DIR``)."""
    return read_package(path).dataset()


# --- writing ------------------------------------------------------------------------

Rows = Iterable[Sequence[object]]
"""A resource's rows: sequences of cells in the resource's column order (text, numbers,
dates, None), or typed polars frames with the resource's columns."""

ROWS_PER_CHUNK = 100_000


def write_package(
    directory: Path,
    head: Mapping[str, Any],
    tables: Mapping[str, Rows | Iterable[pl.DataFrame]],
    time_zone: str = "UTC",
) -> dict[str, int]:
    """Write a package: ``datapackage.json`` and one CSV file per resource. Returns the
    rows written per resource. Each file is written through a temporary file, in
    chunks formatted by column (:func:`text_frame`), so a province's values are
    written in seconds; timestamps are written in ``time_zone`` with its offset."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for res in RESOURCES.values():
        target = directory / res.path
        tmp = target.with_name(f".{target.name}.tmp")
        n = 0
        with tmp.open("wb") as fh:
            fh.write(_csv_bytes(pl.DataFrame({c: [c] for c in res.columns})))
            for chunk in _chunks(tables.get(res.name, ()), res):
                fh.write(_csv_bytes(text_frame(chunk, res, time_zone)))
                n += chunk.height
        tmp.replace(target)
        counts[res.name] = n
    text = json.dumps(descriptor(head), ensure_ascii=False, indent=2) + "\n"
    _replace(directory / DESCRIPTOR, text.encode("utf-8"))
    return counts


def _chunks(source: Rows | Iterable[pl.DataFrame], res: Resource) -> Iterator[pl.DataFrame]:
    """Frames of at most :data:`ROWS_PER_CHUNK` rows, whatever the source gives."""
    batch: list[Sequence[object]] = []
    for item in source:
        if isinstance(item, pl.DataFrame):
            yield item
            continue
        batch.append(item)
        if len(batch) == ROWS_PER_CHUNK:
            yield _frame_of(batch, res)
            batch = []
    if batch:
        yield _frame_of(batch, res)


def _frame_of(rows: list[Sequence[object]], res: Resource) -> pl.DataFrame:
    columns = list(zip(*rows, strict=True))
    return pl.DataFrame(
        {
            c: pl.Series(c, [text_of(v) for v in col], dtype=pl.String)
            for c, col in zip(res.columns, columns, strict=True)
        }
    )


def text_frame(frame: pl.DataFrame, res: Resource, time_zone: str = "UTC") -> pl.DataFrame:
    """A frame of the resource's columns as the text a package holds: plain numbers
    ("." decimal point, no exponent, no trailing ".0"), ISO dates and timestamps (in
    ``time_zone``, with the offset), "" for nothing, text from outside escaped."""
    out = {}
    for f in res.fields:
        if f.name not in frame.columns:
            out[f.name] = pl.Series(f.name, [""] * frame.height, dtype=pl.String)
            continue
        col = frame.get_column(f.name)
        dtype = col.dtype
        if dtype.is_float():
            text = plain_numbers(col)
        elif isinstance(dtype, pl.Datetime):
            local = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col
            local = local.dt.convert_time_zone(time_zone)
            text = pl.select(
                pl.when(local.dt.microsecond() == 0)
                .then(local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
                .otherwise(local.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f%:z"))
            ).to_series()
        elif dtype == pl.Date:
            text = col.dt.strftime("%Y-%m-%d")
        elif dtype == pl.Boolean:
            text = col.cast(pl.Int8).cast(pl.String)
        else:
            text = col.cast(pl.String)
        text = text.fill_null("")
        if f.outside:
            text = pl.select(
                pl.when(text.str.contains(r"^[=+\-@\t\r']"))
                .then(pl.lit("'") + text)
                .otherwise(text)
            ).to_series()
        out[f.name] = text.alias(f.name)
    return pl.DataFrame(out)


def plain_numbers(values: pl.Series) -> pl.Series:
    """Floats as :func:`ktxh.domain.numbers.plain_number` writes them, by column: polars'
    shortest round-trip digits, without a trailing ".0"; the rare ones it writes with
    an exponent are written one by one."""
    from ktxh.domain.numbers import plain_number

    if not values.is_finite().fill_null(True).all():
        raise ValueError("số không hữu hạn trong cột " + values.name)
    text = values.cast(pl.String).str.replace(r"\.0$", "")
    text = pl.select(pl.when(values == 0).then(pl.lit("0")).otherwise(text)).to_series()
    odd = text.str.contains("e").fill_null(False)
    if odd.any():
        idx = odd.arg_true()
        text = text.scatter(idx, [plain_number(v) for v in values.gather(idx).to_list()])
    return text


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    """Rows of text as CSV: "\n" line ends, fields quoted only when they must be, an
    empty field written empty."""
    buf = io.BytesIO()
    frame.select(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns
    ).write_csv(buf, include_header=False, line_terminator="\n", quote_style="necessary")
    return buf.getvalue()


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def text_of(value: object) -> str:
    """A cell of a written package: "" for None, ISO for dates, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"số không hữu hạn: {value}")
        from ktxh.domain.numbers import plain_number

        return plain_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def rows_of(frame: pl.DataFrame, columns: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """A text frame's rows in ``columns`` order (missing columns empty)."""
    present = [c if c in frame.columns else None for c in columns]
    for row in frame.iter_rows(named=True):
        yield tuple("" if c is None else row[c] for c in present)
