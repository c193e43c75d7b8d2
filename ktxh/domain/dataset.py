"""A plan in memory: catalog, org-unit tree, values, claims, declared rules, departments.

The store (``ktxh.store.frames``) and the data-package reader
(``ktxh.io.datapackage``) both hand the rest of ktxh one of these; checks,
consolidation, templates and publishing take it and never ask where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ktxh.domain.catalog import Catalog
from ktxh.domain.checks import DeclaredRule
from ktxh.domain.importing import Department
from ktxh.domain.narrative import Claim
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.targets import TargetBook
from ktxh.domain.values import ValueTable
from ktxh.domain.years import render


@dataclass
class Dataset:
    name: str  # the plan's name (a data package's ``name``): "laichau-2024"
    meta: dict[str, Any]  # the package's "ktxh" object: reference_year, top_orgunit, report ...
    catalog: Catalog
    tree: OrgTree
    values: ValueTable
    claims: list[Claim] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)
    rules: list[DeclaredRule] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    targets: TargetBook = field(default_factory=TargetBook)  # documents and their targets

    @property
    def reference_year(self) -> int:
        return int(self.meta.get("reference_year", 0))

    @property
    def top_orgunit(self) -> str:
        return str(self.meta.get("top_orgunit") or self.tree.roots[0].code)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.name)

    def breakdown_units(self, code: str) -> list[OrgUnit]:
        """The units below ``code`` in a form's breakdown: those that plan the next year
        (the tree of 1 January of the reference year + 1)."""
        return self.tree.children(code, on=date(self.reference_year + 1, 1, 1))


@dataclass(frozen=True, slots=True)
class RoundInfo:
    """A reporting round as the domain sees it: its reference year, whether it is
    open, and the number and date of the report it was published as."""

    year: int
    status: str = "open"  # "open", "closed"
    due: date | None = None
    report_number: str = ""
    report_date: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def meta_for_round(meta: Mapping[str, Any], info: RoundInfo) -> dict[str, Any]:
    """The plan's metadata for round ``info.year``: its reference year, and its report
    letterhead with the years of its title written for the round and the round's own
    number and date. A head that still carries a number and a date (older
    packages) keeps them for its own reference year only."""
    out = dict(meta)
    head_year = int(meta.get("reference_year") or 0)
    out["reference_year"] = info.year
    report = meta.get("report")
    if isinstance(report, Mapping):
        letter: dict[str, Any] = dict(report)
        if isinstance(letter.get("title"), str):
            letter["title"] = render(letter["title"], info.year)
        if info.report_number or info.year != head_year:
            letter["number"] = info.report_number
        if info.report_date is not None or info.year != head_year:
            letter["date"] = info.report_date.isoformat() if info.report_date else ""
        out["report"] = letter
    return out


def catalog_for_round(catalog: Catalog, year: int) -> Catalog:
    """The catalog with its forms' titles written for round ``year`` ("{Y+1}" ->
    "2025"); the same object when no title holds a placeholder."""
    if not any("{Y" in f.title for f in catalog.forms.values()):
        return catalog
    forms = {n: replace(f, title=render(f.title, year)) for n, f in catalog.forms.items()}
    return Catalog(forms, catalog.indicators, catalog.units)
