"""The rules that run by blocks of org units find what they find in one block."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from ktxh.domain.checks import CheckContext, Finding, run_checks
from ktxh.domain.checks.model import aligned
from ktxh.domain.dataset import Dataset
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import SLIPS, consistent_plan, inject_slip, plan_columns


def _plain(value: Any) -> Any:
    """A finding's field, its floats to 12 significant digits (the order in which a
    sum is added up moves its last bit)."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if hasattr(value, "__slots__"):  # a Hint
        return tuple(_plain(getattr(value, s)) for s in value.__slots__)
    return value


def _canon(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            f.key,
            f.severity.value,
            f.message,
            f.cause,
            f.seed_line,
            f.uncertain,
            _plain(f.values),
            _plain(f.expected),
            _plain(sorted(f.cells)),
            _plain(sorted(f.hints, key=lambda h: (h.cell, h.lo, h.hi))),
        )
        for f in findings
    )


def _province() -> OrgTree:
    units = [OrgUnit("p", "Tỉnh", "tỉnh")]
    for d in range(2):
        units.append(OrgUnit(f"d{d}", f"Huyện {d}", "huyện", "p"))
        units += [OrgUnit(f"d{d}c{c}", f"Xã {c}", "xã", f"d{d}") for c in range(3)]
    return OrgTree(units)


def test_blocks_of_units_find_what_one_block_finds(dataset: Dataset) -> None:
    tree = _province()
    # a plan report's columns, and last year's first half and estimate (carried_over)
    columns = [("h1", 2022), ("estimate", 2022), *plan_columns(2023)]
    plan = consistent_plan(dataset.catalog, tree, 2023, dataset.rules, seed=11, columns=columns)
    rng = np.random.default_rng(11)
    for n in range(24):
        out = inject_slip(dataset.catalog, tree, plan, SLIPS[n % len(SLIPS)], rng)
        if out is not None:
            plan = out[0]

    def run(block_rows: int | None) -> tuple[list[Finding], int]:
        ctx = CheckContext(dataset.catalog, tree, plan, 2023, "p", block_rows=block_rows)
        return run_checks(ctx, dataset.rules), len(ctx.unit_blocks())

    whole, one = run(None)
    assert one == 1
    assert {f.rule for f in whole} >= {"units_sum", "parts_sum", "jump", "carried_over"}
    for block_rows in (1, plan.height // 3):
        found, blocks = run(block_rows)
        assert blocks > 1
        assert _canon(found) == _canon(whole)


def test_the_lai_chau_report_unit_by_unit(dataset: Dataset) -> None:
    """Lost cells and values placed by guess: their notices come out the same too."""

    def run(block_rows: int | None) -> list[Finding]:
        ctx = CheckContext(
            dataset.catalog,
            dataset.tree,
            dataset.values.frame,
            dataset.reference_year,
            dataset.top_orgunit,
            dataset.claims,
            block_rows=block_rows,
        )
        return run_checks(ctx, dataset.rules)

    whole = run(None)
    assert whole
    assert _canon(run(1)) == _canon(whole)


def test_computed_columns_are_cut_like_the_table() -> None:
    """A table read in row groups keeps its chunks; a column computed from it comes in
    one: the frame a rule reads has them cut alike (an eager query would otherwise copy
    the whole table first)."""
    table = pl.concat([pl.DataFrame({"a": [1, 2, 3]}), pl.DataFrame({"a": [4, 5]})], rechunk=False)
    frame = table.with_columns((pl.col("a") * 2).alias("b"), pl.lit(None, pl.Int32).alias("c"))
    out = aligned(frame)
    assert out.equals(frame)
    assert {name: [len(c) for c in out[name].get_chunks()] for name in out.columns} == {
        "a": [3, 2],
        "b": [3, 2],
        "c": [3, 2],
    }
