"""History mapped onto today's units, on random trees with random events.

A province with districts and communes lives through merges, splits with and without
shares, renames, moves and, at the end, the district level abolished. Values are
drawn for every commune valid in each period. Then: every period's totals are the
sums over the units valid in that period (nothing counted twice); a later unit's
earlier value is what its predecessors' values make, computed here by hand from the
events as they were drawn; shares keep totals whole; nothing stored is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktxh.domain.catalog import Catalog, Consolidation, Form, Indicator, Nature, Unit
from ktxh.domain.consolidate import consolidate
from ktxh.domain.history import values_for
from ktxh.domain.orgunits import (
    EventKind,
    OrgEvent,
    OrgTree,
    OrgUnit,
    Unknown,
    check_events,
    period_day,
)
from ktxh.domain.values import SCHEMA

YEARS = range(2020, 2028)
MEASURES = ("plan", "h1", "estimate")


def catalog() -> Catalog:
    units = {
        "người": Unit("người", "persons", Decimal(1), "người"),
        "%": Unit("%", "share", Decimal("0.01"), "1", True),
        "ha": Unit("ha", "area", Decimal(1), "ha"),
        "tạ/ha": Unit("tạ/ha", "yield", Decimal(1), "tạ/ha"),
    }

    def ind(code: str, unit: str, rule: Consolidation, basis: tuple[str, ...] = ()) -> Indicator:
        nature = (
            Nature.RATE
            if rule in (Consolidation.RATE, Consolidation.WEIGHTED_MEAN)
            else (Nature.STOCK)
        )
        pos = "SNDRAY".index(code) + 1
        return Indicator(
            code, 1, pos, code, unit, nature=nature, consolidation=rule, basis=basis, decimals=2
        )

    indicators = {
        "S": ind("S", "người", Consolidation.SUM),
        "N": ind("N", "người", Consolidation.SUM),
        "D": ind("D", "người", Consolidation.SUM),
        "R": ind("R", "%", Consolidation.RATE, ("N", "D")),
        "A": ind("A", "ha", Consolidation.SUM),
        "Y": ind("Y", "tạ/ha", Consolidation.WEIGHTED_MEAN, ("A",)),
    }
    return Catalog({1: Form(1, "T", ("plan", "h1", "estimate", "units"))}, indicators, units)


@dataclass
class History:
    units: dict[str, OrgUnit]
    events: list[OrgEvent] = field(default_factory=list)
    # how each unit made by an event is made of the units before it: (unit, share), or None
    made_of: dict[str, list[tuple[str, float]] | None] = field(default_factory=dict)

    def alive(self, day: date, level: str = "xã") -> list[str]:
        return sorted(c for c, u in self.units.items() if u.level == level and u.valid_on(day))

    def end(self, code: str, day: date) -> None:
        u = self.units[code]
        self.units[code] = OrgUnit(u.code, u.name, u.level, u.parent, u.valid_from, day)

    def tree(self) -> OrgTree:
        return OrgTree(self.units.values(), self.events)


DAYS = [date(y, m, 1) for y in range(2021, 2027) for m in (1, 7)]


@st.composite
def histories(draw: st.DrawFn) -> History:
    units = {"p": OrgUnit("p", "Tỉnh", "tỉnh")}
    for d in range(draw(st.integers(1, 3))):
        units[f"d{d}"] = OrgUnit(f"d{d}", f"Huyện {d}", "huyện", "p")
        for c in range(draw(st.integers(1, 4))):
            units[f"c{d}{c}"] = OrgUnit(f"c{d}{c}", f"Xã {d}{c}", "xã", f"d{d}")
    h = History(units)
    days = sorted(draw(st.lists(st.sampled_from(DAYS), max_size=5, unique=True)))
    for serial, day in enumerate(days, start=1):
        communes = h.alive(day)
        kind = draw(st.sampled_from(["merge", "absorb", "split", "rename", "move"]))
        new = f"n{serial}"
        if kind in ("merge", "absorb") and len(communes) >= 2:
            sources = draw(st.lists(st.sampled_from(communes), min_size=2, max_size=3, unique=True))
            target = sources[0] if kind == "absorb" else new
            for s in sources:
                if s != target:
                    h.end(s, day)
            if target == new:
                h.units[new] = OrgUnit(
                    new, f"Xã mới {serial}", "xã", h.units[sources[0]].parent, day
                )
                h.made_of[new] = [(s, 1.0) for s in sources]
            else:
                h.made_of[f"{target}@{day}"] = [(s, 1.0) for s in sources]
            h.events.append(OrgEvent(f"e{serial}", day, EventKind.MERGE, tuple(sources), (target,)))
        elif kind == "split" and communes:
            source = draw(st.sampled_from(communes))
            shares = draw(
                st.one_of(st.none(), st.sampled_from([(0.5, 0.5), (0.3, 0.7), (0.25, 0.75)]))
            )
            targets = (f"{new}a", f"{new}b")
            h.end(source, day)
            for n, t in enumerate(targets):
                h.units[t] = OrgUnit(t, f"Xã tách {t}", "xã", h.units[source].parent, day)
                h.made_of[t] = None if shares is None else [(source, shares[n])]
            h.events.append(
                OrgEvent(f"e{serial}", day, EventKind.SPLIT, (source,), targets, shares or ())
            )
        elif kind == "rename" and communes:
            c = draw(st.sampled_from(communes))
            h.events.append(
                OrgEvent(f"e{serial}", day, EventKind.RENAME, (c,), new_name=f"Tên {serial}")
            )
        elif kind == "move" and communes:
            districts = h.alive(day, "huyện")
            c = draw(st.sampled_from(communes))
            h.events.append(
                OrgEvent(
                    f"e{serial}",
                    day,
                    EventKind.MOVE,
                    (c,),
                    new_parent=draw(st.sampled_from(districts)),
                )
            )
    if draw(st.booleans()):
        reform = date(2027, 1, 1)
        for d in h.alive(reform, "huyện"):
            h.end(d, reform)
        h.events.append(OrgEvent("reform", reform, EventKind.ABOLISH_LEVEL, level="huyện"))
    return h


def draw_values(tree: OrgTree, seed: int) -> pl.DataFrame:
    rows = []
    k = seed
    for year in YEARS:
        for measure in MEASURES:
            day = period_day(year, measure)
            for u in tree.at(day):
                if u.level != "xã":
                    continue
                k += 1
                n, d = float(k % 50 + 1), float(k % 70 + 60)
                a, y = float(k % 13 + 1), float(k % 9 + 30)
                for code, v in (
                    ("S", k % 97 + 1.0),
                    ("N", n),
                    ("D", d),
                    ("R", 100 * n / d),
                    ("A", a),
                    ("Y", y),
                ):
                    rows.append((code, u.code, year, measure, v))
    frame = pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
            "value": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns(
        pl.lit("").alias("printed"),
        pl.lit("package").alias("source"),
        pl.lit("").alias("source_ref"),
        pl.lit(None, pl.Int32).alias("seed_line"),
        pl.lit("").alias("confidence"),
        pl.lit("").alias("note"),
    ).select(list(SCHEMA))


def composition(
    h: History, tree: OrgTree, code: str, later: date, earlier: date
) -> dict[str, float] | None:
    """By hand, from the events as they were drawn: what ``code`` (valid on ``later``) is
    made of on ``earlier``; None when it cannot be known."""
    u = tree[code]
    parts: dict[str, float] = {}
    if u.valid_on(earlier):
        parts[code] = 1.0
    else:
        made = h.made_of.get(code)
        if made is None or u.valid_from is None or not (earlier < u.valid_from <= later):
            return None
        for source, share in made:
            sub = composition(h, tree, source, u.valid_from, earlier)
            if sub is None:
                return None
            for s, w in sub.items():
                parts[s] = parts.get(s, 0.0) + share * w
    # absorbed units: each absorbing merge between the days adds its sources
    for e in h.events:
        if (
            e.kind is EventKind.MERGE
            and e.targets == (code,)
            and code in e.sources
            and earlier < e.day <= later
        ):
            for s in e.sources:
                if s == code:
                    continue
                sub = composition(h, tree, s, e.day, earlier)
                if sub is None:
                    return None
                for k, w in sub.items():
                    parts[k] = parts.get(k, 0.0) + w
    return parts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 1000))
def test_history_through_random_events(h: History, seed: int) -> None:
    tree = h.tree()
    assert check_events(tree) == []
    cat = catalog()
    values = draw_values(tree, seed)
    frozen = values.clone()

    # every period's totals are the sums over the units valid in that period
    totals = consolidate(values, cat, tree)
    for year in YEARS:
        for measure in MEASURES:
            day = period_day(year, measure)
            leaves = {u.code for u in tree.at(day) if u.level == "xã"}
            want = values.filter(
                (pl.col("indicator") == "S")
                & (pl.col("year") == year)
                & (pl.col("measure") == measure)
                & pl.col("orgunit").is_in(list(leaves))
            )["value"].sum()
            got = totals.filter(
                (pl.col("indicator") == "S")
                & (pl.col("orgunit") == "p")
                & (pl.col("year") == year)
                & (pl.col("measure") == measure)
            )["value"]
            assert got.len() == 1 and math.isclose(got[0], want), (year, measure)

    # a later unit's earlier values are what its predecessors make, by hand
    later, earlier_year = date(2027, 6, 30), 2021
    earlier = period_day(earlier_year, "h1")
    mapped = values_for(values, cat, tree, later, earlier_year, "h1")
    by = {(r["indicator"], r["orgunit"]): r for r in mapped.iter_rows(named=True)}
    before = {
        (r[0], r[1]): r[2]
        for r in values.filter((pl.col("year") == earlier_year) & (pl.col("measure") == "h1"))
        .select("indicator", "orgunit", "value")
        .iter_rows()
    }
    kept = 0.0
    for u in tree.at(later):
        if u.level != "xã":
            continue
        parts = composition(h, tree, u.code, later, earlier)
        row_s = by.get(("S", u.code))
        if parts is None:
            assert (
                row_s is not None
                and row_s["value"] is None
                and "không so sánh được" in row_s["reason"]
            )
            continue
        assert row_s is not None and row_s["reason"] == ""
        s = sum(w * before[("S", c)] for c, w in parts.items())
        assert math.isclose(row_s["value"], s)
        kept += s
        n = sum(w * before[("N", c)] for c, w in parts.items())
        d = sum(w * before[("D", c)] for c, w in parts.items())
        assert math.isclose(by[("R", u.code)]["value"], 100 * n / d)
        area = sum(w * before[("A", c)] for c, w in parts.items())
        yields = sum(w * before[("A", c)] * before[("Y", c)] for c, w in parts.items())
        assert math.isclose(by[("Y", u.code)]["value"], yields / area)
    # with every unit known, nothing is counted twice or lost: the totals are equal
    if all(
        composition(h, tree, u.code, later, earlier) is not None
        for u in tree.at(later)
        if u.level == "xã"
    ):
        communes_then = {u.code for u in tree.at(earlier) if u.level == "xã"}
        assert math.isclose(kept, sum(before[("S", c)] for c in communes_then))

    # nothing stored is lost or rewritten
    assert values.equals(frozen)
    walk = tree.crosswalk(later, earlier)
    assert all(isinstance(p, Unknown) or p for p in walk.values())


def test_the_actual_replaces_the_estimate_once_entered() -> None:
    from ktxh.domain.catalog import Catalog, Form, Indicator
    from ktxh.domain.history import compare_years, with_final

    catalog = Catalog(
        {1: Form(1, "Biểu", ("plan@Y", "estimate@Y"))},
        {"X": Indicator("X", 1, 1, "Thu ngân sách", unit="tỷ đồng")},
        {},
    )
    tree = OrgTree([OrgUnit("p", "Tỉnh", "tỉnh")], [])
    rows = [
        ("X", "p", 2024, "estimate", 200.0),
        ("X", "p", 2025, "estimate", 230.0),
    ]
    frame = pl.DataFrame(
        rows, schema=["indicator", "orgunit", "year", "measure", "value"], orient="row"
    ).with_columns(pl.col("year").cast(pl.Int32))
    growth = compare_years(frame, catalog, tree, 2025, "estimate", 2024, base_measure="full")
    assert growth["base"].to_list() == [200.0] and growth["ratio"][0] == pytest.approx(115.0)
    actual = pl.DataFrame([("X", "p", 2024, "actual", 184.0)], schema=frame.schema, orient="row")
    both = pl.concat([frame, actual])
    growth = compare_years(both, catalog, tree, 2025, "estimate", 2024, base_measure="full")
    assert growth["base"].to_list() == [184.0] and growth["ratio"][0] == pytest.approx(125.0)
    finals = with_final(both).filter(pl.col("measure") == "full").sort("year")
    assert finals["value"].to_list() == [184.0, 230.0]
    # both are kept
    assert both.filter(pl.col("measure") == "estimate").height == 2
