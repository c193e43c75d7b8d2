"""The long-format value export that outside tools rely on (docs/export.md).

Columns, in this order: form, position, code, indicator, unit, parent_code,
orgunit, year, measure, value, printed, seed_line. Keep them stable.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ktxh.domain.catalog import MEASURES
from ktxh.io.dataset import Dataset

EXPORT_COLUMNS = (
    "form",
    "position",
    "code",
    "indicator",
    "unit",
    "parent_code",
    "orgunit",
    "year",
    "measure",
    "value",
    "printed",
    "seed_line",
)


def export_frame(ds: Dataset) -> pl.DataFrame:
    """Every value joined with its indicator and org unit, in form and row order."""
    cat = pl.DataFrame(
        {
            "code": [i.code for i in ds.catalog],
            "form": [i.form for i in ds.catalog],
            "position": [i.position for i in ds.catalog],
            "indicator_name": [i.name for i in ds.catalog],
            "unit": [i.unit for i in ds.catalog],
            "parent_code": [i.parent or "" for i in ds.catalog],
        }
    )
    org = pl.DataFrame(
        {
            "orgunit": [u.code for u in ds.tree],
            "orgunit_name": [u.full_name for u in ds.tree],
            "org_order": list(range(len(ds.tree))),
        }
    )
    measure_order = pl.DataFrame({"measure": list(MEASURES), "m_order": list(range(len(MEASURES)))})
    return (
        ds.values.frame.join(cat, left_on="indicator", right_on="code", how="left")
        .join(org, on="orgunit", how="left")
        .join(measure_order, on="measure", how="left")
        .sort(["form", "position", "org_order", "year", "m_order"])
        .select(
            "form",
            "position",
            pl.col("indicator").alias("code"),
            pl.col("indicator_name").alias("indicator"),
            "unit",
            "parent_code",
            pl.col("orgunit_name").alias("orgunit"),
            "year",
            "measure",
            "value",
            "printed",
            "seed_line",
        )
    )


def _plain(v: float | None) -> int | float | None:
    if v is None:
        return None
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def long_values(ds: Dataset) -> list[dict[str, Any]]:
    """Rows for CSV or JSON: ``value`` a plain number (2022, 57.804) or None."""
    rows = export_frame(ds).to_dicts()
    for r in rows:
        r["value"] = _plain(r["value"])
    return rows
