"""The dataset directory: a plan as plain, diff-able CSV files.

A dataset directory holds (see docs/dataset.md for every column)::

    datapackage.json   Frictionless descriptor; "ktxh" carries the metadata
    forms.csv          the annex forms and the columns they print
    units.csv          units of measure with dimension and scale
    orgunits.csv       the org-unit tree with validity periods
    indicators.csv     the catalog: one row per row of a form
    values.csv         long format: indicator, org unit, year, measure, value
    claims.csv         the narrative's quantitative statements
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ktxh.domain.catalog import (
    Catalog,
    Children,
    Consolidation,
    Direction,
    Form,
    Indicator,
    Nature,
    RowKind,
    Unit,
)
from ktxh.domain.checks import DeclaredRule, Severity
from ktxh.domain.narrative import Claim, ClaimKind
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.values import SCHEMA, ValueTable

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "data" / "laichau-2024"

INDICATOR_COLUMNS = (
    "code",
    "form",
    "position",
    "stt",
    "name",
    "full_name",
    "of_which",
    "kind",
    "parent",
    "children",
    "unit",
    "unit_printed",
    "nature",
    "direction",
    "consolidation",
    "basis",
    "comparable",
    "decimals",
    "seed_line",
    "values_line",
    "unplaced",
    "note",
)
VALUE_COLUMNS = (
    "indicator",
    "orgunit",
    "year",
    "measure",
    "value",
    "printed",
    "seed_line",
    "confidence",
    "note",
)
CLAIM_COLUMNS = (
    "id",
    "section",
    "item",
    "seed_line",
    "text",
    "printed",
    "unit_printed",
    "kind",
    "indicator",
    "measure",
    "year",
    "value",
    "note",
)


class DatasetError(ValueError):
    """A dataset file that cannot be read; the message names file, row and field."""


@dataclass
class Dataset:
    path: Path
    meta: dict[str, Any]
    catalog: Catalog
    tree: OrgTree
    values: ValueTable
    claims: list[Claim] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)
    rules: list[DeclaredRule] = field(default_factory=list)

    @property
    def reference_year(self) -> int:
        return int(self.meta.get("reference_year", 0))

    @property
    def top_orgunit(self) -> str:
        return str(self.meta.get("top_orgunit") or self.tree.roots[0].code)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise DatasetError(f"Thiếu tệp {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _int(value: str, where: str) -> int | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise DatasetError(f"{where}: «{value}» không phải số nguyên") from None


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def indicator_from_row(r: dict[str, str], where: str) -> Indicator:
    """One row of indicators.csv (every column a string) as an :class:`Indicator`."""
    try:
        return Indicator(
            code=r["code"],
            form=int(r["form"]),
            position=int(r["position"]),
            stt=r["stt"],
            name=r["name"],
            full_name=r["full_name"],
            of_which=r["of_which"] == "1",
            kind=RowKind(r["kind"]),
            parent=r["parent"] or None,
            children=Children(r["children"]),
            unit=r["unit"],
            unit_printed=r["unit_printed"],
            nature=Nature(r["nature"]),
            direction=Direction(r["direction"]),
            consolidation=Consolidation(r["consolidation"]),
            basis=tuple(b for b in r["basis"].split(" ") if b),
            comparable=r["comparable"] == "1",
            decimals=int(r["decimals"] or 0),
            seed_line=_int(r["seed_line"], where),
            values_line=_int(r["values_line"], where),
            note=r["note"],
        )
    except (KeyError, ValueError) as exc:
        raise DatasetError(f"{where}: {exc}") from exc


def _read_indicators(path: Path) -> tuple[dict[str, Indicator], dict[str, str]]:
    out: dict[str, Indicator] = {}
    unplaced: dict[str, str] = {}
    for n, r in enumerate(_rows(path), start=2):
        where = f"{path.name}, dòng {n}"
        ind = indicator_from_row(r, where)
        if ind.code in out:
            raise DatasetError(f"{where}: mã chỉ tiêu «{ind.code}» bị trùng")
        out[ind.code] = ind
        if r.get("unplaced"):
            unplaced[ind.code] = r["unplaced"]
    return out, unplaced


def read_values(path: Path) -> pl.DataFrame:
    f = pl.read_csv(path, schema={c: SCHEMA[c] for c in VALUE_COLUMNS})
    return f.with_columns(
        pl.col("printed", "confidence", "note").fill_null(""),
        pl.when(pl.col("seed_line").is_not_null())
        .then(pl.lit("seed"))
        .otherwise(pl.lit("file"))
        .alias("source"),
        pl.when(pl.col("seed_line").is_not_null())
        .then(pl.format("line {}", pl.col("seed_line")))
        .otherwise(pl.lit(path.name))
        .alias("source_ref"),
    ).select(list(SCHEMA))


def read_dataset(path: Path | str = DEFAULT_DATASET) -> Dataset:
    path = Path(path)
    descriptor = path / "datapackage.json"
    if not descriptor.exists():
        raise DatasetError(f"{path} không phải thư mục dữ liệu ktxh (thiếu datapackage.json)")
    meta = json.loads(descriptor.read_text(encoding="utf-8")).get("ktxh", {})

    forms = {}
    for r in _rows(path / "forms.csv"):
        f = Form(
            int(r["form"]),
            r["title"],
            tuple(r["columns"].split()),
            _int(r["seed_line"], "forms.csv"),
        )
        forms[f.number] = f
    units = {
        r["unit"]: Unit(
            r["unit"], r["dimension"], Decimal(r["scale"]), r["base"], r["share"] == "1"
        )
        for r in _rows(path / "units.csv")
    }
    indicators, unplaced = _read_indicators(path / "indicators.csv")
    catalog = Catalog(forms, indicators, units)
    problems = catalog.validate()
    if problems:
        raise DatasetError("indicators.csv: " + "; ".join(problems[:10]))

    tree = OrgTree(
        [
            OrgUnit(
                r["code"],
                r["name"],
                r["level"],
                r["parent"] or None,
                _date(r["valid_from"]),
                _date(r["valid_to"]),
            )
            for r in _rows(path / "orgunits.csv")
        ]
    )
    frame = read_values(path / "values.csv")
    unknown = frame.filter(~pl.col("indicator").is_in(list(indicators)))
    if unknown.height:
        raise DatasetError(
            f"values.csv: chỉ tiêu «{unknown['indicator'][0]}» không có trong danh mục"
        )
    unknown = frame.filter(~pl.col("orgunit").is_in(list(tree.units)))
    if unknown.height:
        raise DatasetError(
            f"values.csv: đơn vị «{unknown['orgunit'][0]}» không có trong cây đơn vị"
        )

    claims = []
    claims_path = path / "claims.csv"
    if claims_path.exists():
        claims = [claim_from_row(r) for r in _rows(claims_path)]
    rules = _read_rules(path / "rules.csv", catalog.indicators)
    return Dataset(path, meta, catalog, tree, ValueTable(frame), claims, unplaced, rules)


def claim_from_row(r: dict[str, str]) -> Claim:
    """One row of claims.csv (every column a string) as a :class:`Claim`."""
    return Claim(
        id=r["id"],
        section=r["section"],
        item=r["item"],
        seed_line=_int(r["seed_line"], "claims.csv"),
        text=r["text"],
        printed=r["printed"],
        unit_printed=r["unit_printed"],
        kind=ClaimKind(r["kind"]),
        indicator=r["indicator"] or None,
        measure=r["measure"],
        year=int(r["year"]),
        value=Decimal(r["value"]) if r["value"] else None,
        note=r["note"],
    )


def rule_from_row(r: dict[str, str], where: str, indicators: dict[str, Indicator]) -> DeclaredRule:
    """One row of rules.csv (every column a string) as a :class:`DeclaredRule`."""
    try:
        rule = DeclaredRule(
            id=r["id"],
            title=r["title"],
            left=r["left"],
            operator=r["operator"],
            right=r["right"],
            severity=Severity.parse(r["severity"]),
            message=r["message"],
            tolerance=float(r["tolerance"]) if r["tolerance"] else None,
            orgunits=r["scope"] or "all",
        )
    except (KeyError, ValueError) as exc:
        raise DatasetError(f"{where}: {exc}") from exc
    unknown = [c for c in rule.codes if c not in indicators]
    if unknown:
        raise DatasetError(f"{where}: mã chỉ tiêu không có trong danh mục: {', '.join(unknown)}")
    return rule


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a dataset CSV file as strings; [] when the file is absent."""
    return _rows(path) if path.exists() else []


def _read_rules(path: Path, indicators: dict[str, Indicator]) -> list[DeclaredRule]:
    """Declared check rules (docs/checks.md); an absent file means none."""
    if not path.exists():
        return []
    out = []
    for n, r in enumerate(_rows(path), start=2):
        where = f"{path.name}, dòng {n} ({r.get('id', '')})"
        out.append(rule_from_row(r, where, indicators))
    return out


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: "" if r.get(c) is None else r.get(c) for c in columns})
