"""The long-format value export that outside tools rely on (docs/export.md).

Columns, in this order: form, position, code, indicator, unit, parent_code,
orgunit, year, measure, value, printed, seed_line, orgunit_code, consolidated.
Keep them stable: a new column goes at the end.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ktxh.domain.catalog import MEASURES
from ktxh.domain.consolidate import consolidate
from ktxh.domain.dataset import Dataset

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
    "orgunit_code",
    "consolidated",
)


def export_frame(ds: Dataset, consolidated: bool = False) -> pl.DataFrame:
    """Every value joined with its indicator and org unit, in form and row order;
    with ``consolidated``, also the totals ktxh makes where nothing is stored
    (``consolidated`` 1, ``printed`` empty)."""
    values = ds.values.frame.with_columns(pl.lit(0, dtype=pl.Int8).alias("consolidated"))
    if consolidated:
        totals = (
            consolidate(values, ds.catalog, ds.tree)
            .filter(pl.col("value").is_not_null())
            .join(
                values.select("indicator", "orgunit", "year", "measure"),
                how="anti",
                on=["indicator", "orgunit", "year", "measure"],
            )
            .select(
                "indicator",
                "orgunit",
                "year",
                "measure",
                "value",
                pl.lit("").alias("printed"),
                pl.lit(None, dtype=pl.Int32).alias("seed_line"),
                pl.lit(1, dtype=pl.Int8).alias("consolidated"),
            )
        )
        values = pl.concat([values, totals], how="diagonal_relaxed")
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
        values.join(cat, left_on="indicator", right_on="code", how="left")
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
            pl.col("orgunit").alias("orgunit_code"),
            "consolidated",
        )
    )


def _plain(v: float | None) -> int | float | None:
    if v is None:
        return None
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def long_values(ds: Dataset, consolidated: bool = False) -> list[dict[str, Any]]:
    """Rows for CSV or JSON: ``value`` a plain number (2022, 57.804) or None."""
    rows = export_frame(ds, consolidated).to_dicts()
    for r in rows:
        r["value"] = _plain(r["value"])
    return rows
