"""Consistent plans pass every check; realistic slips are caught."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktxh.domain.checks import CheckContext, Severity, run_checks
from ktxh.domain.dataset import Dataset
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import SLIPS, consistent_plan, inject_slip, measure_detection

# catalog-level: the Lai Châu catalog itself prints these units as %, and its Biểu 1
# compares lower-is-better rows old ÷ new where the sector forms say new ÷ old
CATALOG_LEVEL = {"permille_as_percent", "ratio_convention_mixed"}


@st.composite
def trees(draw: st.DrawFn) -> OrgTree:
    units = [OrgUnit("p", "Tỉnh", "tỉnh")]
    for d in range(draw(st.integers(1, 3))):
        units.append(OrgUnit(f"d{d}", f"Huyện {d}", "huyện", "p"))
        for c in range(draw(st.integers(1, 5))):
            units.append(OrgUnit(f"d{d}c{c}", f"Xã {c}", "xã", f"d{d}"))
            for t in range(draw(st.integers(0, 2))):
                units.append(OrgUnit(f"d{d}c{c}t{t}", f"Thôn {t}", "thôn", f"d{d}c{c}"))
    return OrgTree(units)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), tree=trees())
def test_consistent_plans_raise_no_alarm(dataset: Dataset, seed: int, tree: OrgTree) -> None:
    plan = consistent_plan(dataset.catalog, tree, 2023, dataset.rules, seed)
    findings = run_checks(CheckContext(dataset.catalog, tree, plan, 2023, "p"), dataset.rules)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert not errors, errors[:3]
    warnings = [
        f for f in findings if f.severity is Severity.WARNING and f.rule not in CATALOG_LEVEL
    ]
    assert not warnings, warnings[:3]


def test_consistent_plan_on_the_lai_chau_tree(dataset: Dataset) -> None:
    plan = consistent_plan(dataset.catalog, dataset.tree, 2023, dataset.rules, seed=7)
    assert plan.filter(pl.col("orgunit") == "lai-chau").height > 1000
    # city-only indicators have no ward values, as on paper
    assert plan.filter(
        (pl.col("indicator") == "B01.003") & (pl.col("orgunit") != "lai-chau")
    ).is_empty()
    findings = run_checks(
        CheckContext(dataset.catalog, dataset.tree, plan, 2023, "lai-chau"), dataset.rules
    )
    assert {f.rule for f in findings} <= CATALOG_LEVEL


def test_each_slip_changes_exactly_one_cell(dataset: Dataset) -> None:
    plan = consistent_plan(dataset.catalog, dataset.tree, 2023, dataset.rules, seed=3)
    rng = np.random.default_rng(3)
    for kind in SLIPS:
        out = inject_slip(dataset.catalog, dataset.tree, plan, kind, rng)
        assert out is not None, kind
        slipped, slip = out
        key = ["indicator", "orgunit", "year", "measure"]
        diff = plan.join(slipped, on=key, how="full", coalesce=True).filter(
            pl.col("value").ne_missing(pl.col("value_right"))
        )
        # two units' columns swapped: two cells, each with the other's value
        assert diff.height == (2 if kind == "units_swapped" else 1), kind
        assert slip.before != slip.after
        if kind == "units_swapped":
            assert slip.other is not None and set(diff["orgunit"]) == {slip.orgunit, slip.other}
            assert sorted(diff["value"]) == sorted(diff["value_right"])


def test_slips_are_caught(dataset: Dataset) -> None:
    """Detection per kind of slip on 8 Lai Châu-shaped plans; the full measurement (more
    plans) is in docs/checks.md, made by scripts/mutation_report.py."""
    results = measure_detection(dataset.catalog, dataset.tree, 2023, dataset.rules, range(8))
    rates = {r.kind: r.located / r.trials for r in results}
    assert all(r.trials >= 6 for r in results)
    assert rates["comma_lost"] >= 0.75
    assert rates["comma_added"] >= 0.6
    assert rates["share_as_permille"] >= 0.75
    assert rates["neighbour_column"] >= 0.5
    assert rates["transpose"] >= 0.5
    assert rates["unit_dropped"] >= 0.5
    assert rates["neighbour_row"] >= 0.5
    # a swap keeps every total: caught only by a unit's own relations (rates, parts,
    # ordered pairs)
    assert rates["units_swapped"] >= 0.25
