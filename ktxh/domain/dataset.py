"""A plan in memory: catalog, org-unit tree, values, claims, declared rules, departments.

The store (``ktxh.store.frames``) and the data-package reader
(``ktxh.io.datapackage``) both hand the rest of ktxh one of these; checks,
consolidation, templates and publishing take it and never ask where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ktxh.domain.catalog import Catalog
from ktxh.domain.checks import DeclaredRule
from ktxh.domain.importing import Department
from ktxh.domain.narrative import Claim
from ktxh.domain.orgunits import OrgTree
from ktxh.domain.values import ValueTable


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

    @property
    def reference_year(self) -> int:
        return int(self.meta.get("reference_year", 0))

    @property
    def top_orgunit(self) -> str:
        return str(self.meta.get("top_orgunit") or self.tree.roots[0].code)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.name)
