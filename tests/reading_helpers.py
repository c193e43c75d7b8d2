"""Helpers of the tests that read published annexes back (tests/io/test_report_*.py)."""

from __future__ import annotations

from ktxh.domain.catalog import PRINTED_RATIO_MEASURES
from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import Agreement, Reading, agreement
from ktxh.io.xlsx_forms import annex_cell

Known = tuple[tuple[str, str, int, str], float | None, str]


def annex_values(ds: Dataset) -> list[Known]:
    """The dataset's values the published annex prints: every value with a cell in the
    annex, except the printed comparisons (the annex prints the comparisons ktxh
    computes, never the ones a source printed)."""
    out = []
    for code, org, year, measure, value, printed in ds.values.frame.select(
        "indicator", "orgunit", "year", "measure", "value", "printed"
    ).iter_rows():
        key = (code, org, year, measure)
        if measure in PRINTED_RATIO_MEASURES or annex_cell(ds, key) is None:
            continue
        out.append((key, value, printed or ""))
    return out


def annex_agreement(reading: Reading, ds: Dataset) -> Agreement:
    return agreement(reading, annex_values(ds))


def extras_are_comparisons_or_totals(agree: Agreement, ds: Dataset) -> bool:
    """Beyond the dataset's values, a reading of the annex may only have its comparison
    columns and the totals the annex fills in from the units."""
    top = ds.top_orgunit
    return all(
        v.measure in PRINTED_RATIO_MEASURES or (v.orgunit == top and v.measure == "plan")
        for v in agree.extra
    )
