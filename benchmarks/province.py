"""A synthetic province as a data package, for the benchmarks.

The Lai Châu catalog (forms, units, indicators, declared rules) with a province of
``communes`` communes below it and a consistent plan (``ktxh.domain.synthetic``)
for the columns asked: the kind of package a province's office loads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ktxh.domain.importing import printed_number
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import consistent_plan
from ktxh.io.datapackage import (
    DESCRIPTOR,
    RESOURCES,
    read_package,
    rows_of,
    shipped_package,
    write_package,
)

TOP = "tinh"


def province(communes: int) -> OrgTree:
    return OrgTree(
        [OrgUnit(TOP, "Tỉnh Mẫu", "tỉnh")]
        + [OrgUnit(f"x{i:04d}", f"Xã {i + 1}", "xã", TOP) for i in range(communes)]
    )


def write_province(
    target: Path,
    communes: int,
    year: int,
    columns: Sequence[tuple[str, int]],
    seed: int = 1,
    name: str = "tinh-mau",
    everywhere: bool = False,
) -> int:
    """Write the package into ``target``; return the number of values. ``everywhere``:
    the city-only rows too in every commune (the whole catalog everywhere)."""
    base = read_package(shipped_package())
    tree = province(communes)
    plan = consistent_plan(
        base.catalog,
        tree,
        year,
        base.dataset().rules,
        seed=seed,
        columns=list(columns),
        everywhere=everywhere,
    )
    decimals = {i.code: i.decimals for i in base.catalog}
    values = plan.select(
        "indicator",
        "orgunit",
        pl.col("year").cast(pl.String),
        "measure",
        pl.col("value").map_elements(_plain, return_dtype=pl.String).alias("value"),
        pl.struct("indicator", "value")
        .map_elements(
            lambda r: printed_number(r["value"], decimals[r["indicator"]]), return_dtype=pl.String
        )
        .alias("printed"),
    )
    head = json.loads((shipped_package() / DESCRIPTOR).read_text(encoding="utf-8"))
    head["name"] = name
    head["ktxh"].update(
        title="Tỉnh mẫu", top_orgunit=TOP, reference_year=year, report={}, source="synthetic"
    )
    tables = {
        "forms": base.rows["forms"],
        "units": base.rows["units"],
        "indicators": base.rows["indicators"],
        "rules": base.rows["rules"],
        "departments": base.rows["departments"],
    }
    text = {
        n: [[r.get(c, "") for c in RESOURCES[n].columns] for r in rows]
        for n, rows in tables.items()
    }
    text["orgunits"] = ([u.code, u.name, u.level, u.parent or "", "", ""] for u in tree)
    text["rounds"] = iter([[str(year), "", "open", "", ""]])
    text["values"] = rows_of(values, RESOURCES["values"].columns)
    write_package(target, head, text)
    return values.height


def _plain(value: float) -> str:
    from ktxh.domain.numbers import plain_number

    return plain_number(value)
