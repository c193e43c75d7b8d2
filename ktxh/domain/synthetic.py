"""Consistent plans made up from a catalog: for demos, property tests and benchmarks.

Every org unit at the bottom of the tree gets random values, each indicator in
the order its definition needs:

* a declared rule ``X == expression`` defines X (production = area x yield), and
  ``X <= Y`` makes X a share of Y;
* a parent whose sub-items are complete is their sum, and so is a row whose
  declared ``parts`` are made first; another set of its parts is a random
  composition of it; a structure is 100 (%), its shares a composition of it;
* a rate with a basis is ``k · numerator / denominator``;
* an "of which" item is a share of its parent; the numerator of a share is a
  share of its denominator; the yield of a sub-crop stays below the crop's;
* the parts of a rate (urban and rural) lie on either side of it;
* anything else is drawn at random, in a range that suits its unit.

Units higher up get what consolidation gives (``consolidate``'s rules, and a
rate without a basis the mean of its units'); what does not consolidate
(city-only rows, copies between forms) is made again at that level from its
definition. Values are rounded to the catalog's decimals,
the next year's plan and the estimate stay within 15 % of the plan, the first
half of a flow is 35-65 % of the estimate, and the printed comparison
percentages are the rounded ratios. Such a plan must pass every check.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ktxh.domain.catalog import (
    Catalog,
    Children,
    Consolidation,
    Indicator,
    Nature,
    RowKind,
)
from ktxh.domain.checks.expressions import CODE
from ktxh.domain.checks.rules import DeclaredRule
from ktxh.domain.consolidate import rate_factor
from ktxh.domain.orgunits import OrgTree
from ktxh.domain.values import Keys, text_keys

Array = np.ndarray
Column = tuple[str, int]  # (measure, year)


def plan_columns(year: int) -> list[Column]:
    """What a plan report holds: KH, TH 6 tháng, Ước TH of the year, KH of the next."""
    return [("plan", year), ("h1", year), ("estimate", year), ("plan", year + 1)]


@dataclass(frozen=True)
class _Def:
    # expr | sum | rate | constant | compose | around | scaled | partial | count | cover
    # | random
    kind: str
    deps: tuple[str, ...] = ()
    expr: ast.AST | None = None
    factor: float = 1.0
    group: tuple[str, ...] = ()


def definitions(catalog: Catalog, rules: Sequence[DeclaredRule] = ()) -> dict[str, _Def]:
    """How each indicator is made, without cycles (a weaker definition gives way)."""
    defs: dict[str, list[_Def]] = {}

    def add(code: str, d: _Def) -> None:
        defs.setdefault(code, []).append(d)

    for rule in rules:
        left = CODE.findall(rule.left)
        right = CODE.findall(rule.right)
        single = len(left) == 1 and rule.left.strip() == left[0]
        if rule.operator == "==" and single:
            expr = ast.parse(
                CODE.sub(lambda m: "v_" + m.group(1).replace(".", "_"), rule.right), mode="eval"
            )
            add(left[0], _Def("expr", tuple(CODE.findall(rule.right)), expr))
        elif rule.operator == "<=" and single and len(right) == 1:
            add(left[0], _Def("partial", (right[0],)))  # an ordered pair: X <= Y
            add(right[0], _Def("cover", (left[0],)))
    weights: dict[str, str] = {}  # area -> yield weighted by it
    for ind in catalog:
        if ind.consolidation is Consolidation.WEIGHTED_MEAN and ind.basis:
            weights.setdefault(ind.basis[0], ind.code)
    strong = _strongly_defined(catalog, rules)
    for ind in catalog:
        if ind.kind is not RowKind.INDICATOR:
            continue
        if ind.children in (Children.COMPLETE, Children.PARTIAL, Children.STRUCTURE):
            whole, partial = catalog.parts_of(ind.code)
            unit = catalog.units.get(ind.unit)
            if ind.children is Children.STRUCTURE:
                add(ind.code, _Def("constant", factor=100.0))  # a structure is 100 %
            if whole and unit is not None and unit.is_share:
                # a structure in %: the parts are a composition of the whole
                for k, p in enumerate(whole):
                    add(p, _Def("compose", (ind.code,), factor=k, group=tuple(whole)))
            elif whole:
                add(ind.code, _Def("sum", tuple(whole)))
            for p in partial:
                add(p, _Def("partial", (ind.code,)))
                add(ind.code, _Def("cover", (p,)))
        if ind.parts and ind.nature is Nature.RATE:
            # a rate's parts (urban, rural) lie on either side of it
            for group in ind.parts:
                for k, p in enumerate(group):
                    add(p, _Def("around", (ind.code,), factor=k, group=tuple(group)))
        elif ind.parts:
            # a set with a member made some other way (a sum, a product) defines the
            # row; the other sets, or all of them, are random compositions of it
            sets = sorted(ind.parts, key=lambda g: not any(c in strong for c in g))
            if any(c in strong for c in sets[0]):
                add(ind.code, _Def("sum", sets[0]))
                sets = sets[1:]
            for group in sets:
                for k, p in enumerate(group):
                    add(p, _Def("compose", (ind.code,), factor=k, group=tuple(group)))
        if ind.consolidation in (Consolidation.RATE, Consolidation.CITY_ONLY) and (
            len(ind.basis) == 2
        ):
            k_rate = rate_factor(catalog, ind)
            if k_rate is not None:
                add(ind.code, _Def("rate", ind.basis, factor=k_rate))
                unit = catalog.units.get(ind.unit)
                if unit is not None and unit.is_share:
                    add(ind.basis[0], _Def("partial", (ind.basis[1],), factor=k_rate))
        if ind.consolidation is Consolidation.WEIGHTED_MEAN and ind.basis:
            area = catalog.indicators.get(ind.basis[0])
            partial_area = area is not None and (
                area.of_which
                or (area.parent is not None and catalog[area.parent].children is Children.PARTIAL)
            )
            if area is not None and partial_area and area.parent in weights:
                add(ind.code, _Def("scaled", (weights[area.parent],)))
        if ind.consolidation is Consolidation.COUNT:
            add(ind.code, _Def("count"))
    # a sum of rounded parts is exact where a product of rounded factors is not:
    # sums first (the declared product still holds within the printed precision)
    order = [
        "constant",
        "sum",
        "expr",
        "rate",
        "compose",
        "around",
        "scaled",
        "count",
        "partial",
        "cover",
    ]
    chosen: dict[str, _Def] = {}
    for code in catalog.indicators:
        options = sorted(defs.get(code, []), key=lambda d: order.index(d.kind))
        chosen[code] = options[0] if options else _Def("random")
        if chosen[code].kind == "partial":  # below every whole it is a part of
            wholes = tuple(dict.fromkeys(p for o in options if o.kind == "partial" for p in o.deps))
            chosen[code] = _Def("partial", wholes)
        if catalog[code].consolidation is Consolidation.COUNT:
            # a unit meets a standard or not (1 or 0); an "of which" of another count
            # is one only where its whole is
            counted = tuple(
                dict.fromkeys(
                    p
                    for o in options
                    if o.kind == "partial"
                    for p in o.deps
                    if catalog[p].consolidation is Consolidation.COUNT
                )
            )
            chosen[code] = _Def("partial", counted) if counted else _Def("count")
    # a parent whose "of which" item is made some other way covers it instead
    for code in catalog.indicators:
        covers = [o for o in defs.get(code, []) if o.kind == "cover"]
        strong_kids = [
            c.deps[0]
            for c in covers
            # not a part made from this very row (a composition of it)
            if chosen[c.deps[0]].kind not in ("partial", "random", "count", "compose", "around")
        ]
        if strong_kids and chosen[code].kind in ("random", "cover", "partial"):
            chosen[code] = _Def("cover", tuple(strong_kids))
        elif chosen[code].kind == "cover":
            chosen[code] = _Def("random")
    # break cycles: demote the definition that closes one to "random"
    state: dict[str, int] = {}

    def visit(code: str) -> None:
        state[code] = 1
        for dep in chosen[code].deps:
            if dep not in chosen:
                continue
            if state.get(dep) == 1:
                chosen[code] = _Def("random")
                break
            if state.get(dep) is None:
                visit(dep)
        state[code] = 2

    for code in chosen:
        if code not in state:
            visit(code)
    return chosen


def _strongly_defined(catalog: Catalog, rules: Sequence[DeclaredRule]) -> set[str]:
    """Rows made from other rows whatever else is declared: sums of complete sub-items
    and the left sides of declared equalities."""
    out = {
        i.code for i in catalog if i.children is Children.COMPLETE and catalog.parts_of(i.code)[0]
    }
    for i in catalog:  # a rate made from its basis
        if len(i.basis) == 2 and rate_factor(catalog, i) is not None:
            out.add(i.code)
    for rule in rules:
        left = CODE.findall(rule.left)
        if rule.operator == "==" and len(left) == 1 and rule.left.strip() == left[0]:
            out.add(left[0])
    return out


def _topological(defs: dict[str, _Def]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen:
            return
        seen.add(code)
        for dep in defs[code].deps:
            if dep in defs:
                visit(dep)
        out.append(code)

    for code in defs:
        visit(code)
    return out


def _random_range(catalog: Catalog, ind: Indicator) -> tuple[float, float]:
    unit = catalog.units.get(ind.unit)
    if unit is None:
        return (1.0, 100.0)
    if unit.name == "%":
        return (5.0, 95.0)
    if unit.name == "‰":
        return (1.0, 30.0)
    if unit.dimension == "communes":
        return (1.0, 1.0)  # each commune counts itself; totals are sums
    if unit.is_count:
        return (20.0, 2000.0)
    return {
        "yield": (30.0, 70.0),
        "area": (20.0, 800.0),
        "money": (5.0, 900.0),
        "per_population": (1.0, 60.0),
    }.get(unit.dimension, (10.0, 1000.0))


def _eval(node: ast.AST, env: dict[str, Array]) -> Array:
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return np.asarray(float(node.value))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, env)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Add):
            return np.asarray(a + b)
        if isinstance(node.op, ast.Sub):
            return np.asarray(a - b)
        if isinstance(node.op, ast.Mult):
            return np.asarray(a * b)
        if isinstance(node.op, ast.Div):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)
    raise ValueError(f"unsupported expression: {ast.dump(node)}")


def _round(catalog: Catalog, ind: Indicator, v: Array) -> Array:
    """To the decimals the catalog prints (people, households ... are whole)."""
    unit = catalog.units.get(ind.unit)
    decimals = 0 if unit is not None and unit.is_count else ind.decimals
    return np.round(v, decimals)


class _Maker:
    def __init__(
        self,
        catalog: Catalog,
        defs: dict[str, _Def],
        rng: np.random.Generator,
        columns: Sequence[Column],
        everywhere: bool = False,
    ) -> None:
        self.everywhere = everywhere
        self.catalog = catalog
        self.defs = defs
        self.rng = rng
        self.columns = list(columns)
        self.width = len(self.columns)
        # each first-half column and the estimate of its year
        self.h1_pairs = [
            (j, self.columns.index(("estimate", y)))
            for j, (m, y) in enumerate(self.columns)
            if m == "h1" and ("estimate", y) in self.columns
        ]
        self.order = _topological(defs)
        self._shares: dict[tuple[tuple[str, ...], int], Array] = {}

    def level(
        self, n: int, below: dict[str, Array] | None, parent_index: Array | None, top: bool
    ) -> dict[str, Array]:
        """Values of ``n`` org units (shape n x 4 columns), bottom level when ``below`` is None."""
        out: dict[str, Array] = {}
        cat = self.catalog
        for code in self.order:
            ind = cat[code]
            if ind.kind is not RowKind.INDICATOR:
                continue
            d = self.defs[code]
            unit_of = cat.units.get(ind.unit)
            if below is not None and parent_index is not None and code in below:
                total = self._consolidate(ind, below, parent_index, n)
                if total is not None:
                    out[code] = total
                    continue
            if ind.consolidation is Consolidation.CITY_ONLY and not top and not self.everywhere:
                out[code] = np.full((n, self.width), np.nan)  # no breakdown below the top
                continue
            if any(dep not in out for dep in d.deps):
                d = _Def("random")
            if d.kind == "expr":
                assert d.expr is not None
                env = {"v_" + c.replace(".", "_"): out[c] for c in d.deps}
                v = _eval(d.expr, env)
            elif d.kind == "sum":
                v = np.nansum(np.stack([out[c] for c in d.deps]), axis=0)
            elif d.kind == "rate":
                num, den = out[d.deps[0]], out[d.deps[1]]
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = np.where(den > 0, d.factor * num / np.where(den > 0, den, 1.0), np.nan)
            elif d.kind == "scaled":
                v = out[d.deps[0]] * self.rng.uniform(0.9, 1.0, (n, 1))
            elif d.kind == "partial" and ind.consolidation is Consolidation.COUNT:
                whole = np.fmin.reduce([out[c] for c in d.deps])
                v = whole * (self.rng.uniform(0, 1, (n, 1)) < 0.8)
            elif d.kind == "partial":
                whole = np.fmin.reduce([out[c] for c in d.deps])
                v = whole * self.rng.uniform(0.1, 0.9, (n, 1))
            elif d.kind == "cover":
                v = np.fmax.reduce([out[c] for c in d.deps]) * self.rng.uniform(1.2, 2.0, (n, 1))
            elif d.kind == "compose":
                key = (d.group, n)
                if key not in self._shares:
                    self._shares[key] = self.rng.dirichlet(np.ones(len(d.group)), n)
                v = out[d.deps[0]] * self._shares[key][:, int(d.factor)][:, None]
            elif d.kind == "constant":
                v = np.full((n, self.width), d.factor)
            elif d.kind == "around":
                # the first part below the whole, the last above it (a share at most
                # 100 %), the others equal to it
                whole = out[d.deps[0]]
                k, last = int(d.factor), len(d.group) - 1
                if k == 0:
                    v = whole * self.rng.uniform(0.85, 0.98, (n, 1))
                elif k == last:
                    v = whole * self.rng.uniform(1.02, 1.15, (n, 1))
                    if unit_of is not None and unit_of.name == "%":
                        v = np.maximum(np.minimum(v, 100.0), whole)
                else:
                    v = whole.copy()
            elif d.kind == "count":
                met = (self.rng.uniform(0, 1, (n, 1)) < 0.8).astype(float)
                v = np.repeat(met, self.width, axis=1)
            else:
                lo, hi = _random_range(cat, ind)
                base = self.rng.uniform(lo, hi, (n, 1))
                v = base * self.rng.uniform(0.87, 1.15, (n, self.width))
                unit = cat.units.get(ind.unit)
                if unit is not None and unit.name == "%":
                    v = np.minimum(v, 99.0)
            v = np.array(v, dtype=float)
            flows = [c for c in d.deps if cat[c].nature is Nature.FLOW]
            if ind.nature is Nature.FLOW and d.kind in ("random", "partial"):
                for h1, est in self.h1_pairs:
                    if d.kind == "partial" and len(flows) == len(d.deps):
                        continue  # a share of flows keeps their first half
                    first = v[:, est] * self.rng.uniform(0.35, 0.65, n)
                    for c in flows:  # and stays below each flow it is a part of
                        first = np.fmin(first, out[c][:, h1])
                    v[:, h1] = first
            unit = cat.units.get(ind.unit)
            out[code] = np.round(v) if unit is not None and unit.is_count else v
        return out

    def _consolidate(
        self, ind: Indicator, below: dict[str, Array], parent: Array, n: int
    ) -> Array | None:
        def total(a: Array) -> Array:
            acc = np.zeros((n, self.width))
            np.add.at(acc, parent, np.nan_to_num(a))
            return acc

        rule = ind.consolidation
        if rule is Consolidation.SUM:
            return total(below[ind.code])
        if rule is Consolidation.COUNT:
            return total((below[ind.code] > 0).astype(float))
        if rule is Consolidation.WEIGHTED_MEAN and ind.basis and ind.basis[0] in below:
            w = below[ind.basis[0]]
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(total(below[ind.code] * w) / total(w))
        if rule is Consolidation.RATE and rate_factor(self.catalog, ind) is None:
            # a rate whose parts are not in the catalog: its units' mean, a weighted
            # mean with equal weights (it lies within their range, as a rate does)
            known = ~np.isnan(below[ind.code])
            counted = np.zeros((n, self.width))
            np.add.at(counted, parent, known.astype(float))
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(counted > 0, total(below[ind.code]) / counted, np.nan)
        return None  # rates are made from their consolidated parts by their definition


def consistent_plan(
    catalog: Catalog,
    tree: OrgTree,
    year: int,
    rules: Sequence[DeclaredRule] = (),
    seed: int = 0,
    columns: Sequence[Column] | None = None,
    everywhere: bool = False,
    keys: Keys | None = None,
) -> pl.DataFrame:
    """A plan that satisfies every relation the catalog and ``rules`` declare.

    ``columns`` are the (measure, year) cells to fill, by default those of a plan
    report for ``year`` (:func:`plan_columns`); the printed comparison
    percentages are those of ``year``. ``everywhere`` gives city-only rows a
    value in every unit too (for benchmarks: the whole catalog everywhere). With
    ``keys`` the frame is made compact (categorical keys: ktxh.domain.values.Keys)
    without ever holding the keys as text, as a large plan is kept in memory.
    """
    rng = np.random.default_rng(seed)
    defs = definitions(catalog, rules)
    maker = _Maker(catalog, defs, rng, columns or plan_columns(year), everywhere)
    depth = {u.code: tree.depth(u.code) for u in tree}
    levels: dict[int, list[str]] = {}
    for code, d in depth.items():
        levels.setdefault(d, []).append(code)
    has_kids = {u.parent for u in tree if u.parent is not None}
    results: dict[str, tuple[list[str], dict[str, Array]]] = {}
    leaves = [u.code for u in tree if u.code not in has_kids]
    single = len(tree) == 1
    results["leaves"] = (leaves, maker.level(len(leaves), None, None, single))
    known: dict[str, tuple[int, str]] = {c: (i, "leaves") for i, c in enumerate(leaves)}
    for d in sorted(levels, reverse=True):
        parents = [c for c in levels[d] if c in has_kids]
        if not parents:
            continue
        index = {c: i for i, c in enumerate(parents)}
        # the children, grouped by the level they were made at
        by_group: dict[str, list[str]] = {}
        for u in tree:
            if u.parent in index:
                by_group.setdefault(known[u.code][1], []).append(u.code)
        kids = [k for group in by_group.values() for k in group]
        rows: dict[str, Array] = {}
        for code in catalog.indicators:
            parts = []
            for group, members in by_group.items():
                arr = results[group][1].get(code)
                idx = np.array([known[k][0] for k in members])
                parts.append(
                    arr[idx] if arr is not None else np.full((len(members), maker.width), np.nan)
                )
            rows[code] = np.vstack(parts)
        parent_index = np.array([index[tree[k].parent or ""] for k in kids])
        name = f"level{d}"
        results[name] = (parents, maker.level(len(parents), rows, parent_index, d == 0))
        known.update({c: (i, name) for i, c in enumerate(parents)})
    return _to_frame(catalog, tree, year, results, maker.columns, keys)


def _to_frame(
    catalog: Catalog,
    tree: OrgTree,
    year: int,
    results: dict[str, tuple[list[str], dict[str, Array]]],
    columns: list[Column],
    keys: Keys | None = None,
) -> pl.DataFrame:
    types: dict[str, Any] = (
        dict(keys.dtypes) if keys else {c: pl.String for c in ("indicator", "orgunit", "measure")}
    )
    parts = []
    for orgs, values in results.values():
        units = pl.Series("orgunit", orgs, dtype=types["orgunit"])
        for code, raw in values.items():
            arr = _round(catalog, catalog[code], raw)
            for j, (measure, y) in enumerate(columns):
                parts.append(
                    pl.DataFrame(
                        [
                            pl.repeat(code, len(orgs), dtype=types["indicator"], eager=True),
                            units,
                            pl.repeat(y, len(orgs), dtype=pl.Int32, eager=True),
                            pl.repeat(measure, len(orgs), dtype=types["measure"], eager=True),
                            pl.Series(arr[:, j], dtype=pl.Float64),
                        ],
                        schema=["indicator", "orgunit", "year", "measure", "value"],
                    ).filter(pl.col("value").is_not_nan())
                )
    frame = pl.concat(parts)
    top = text_keys(frame.filter(pl.col("orgunit") == tree.roots[0].code))
    ratios = _printed_ratios(catalog, tree, year, top)
    return pl.concat([frame, keys.cast(ratios) if keys else ratios], how="vertical_relaxed")


def _printed_ratios(
    catalog: Catalog, tree: OrgTree, year: int, frame: pl.DataFrame
) -> pl.DataFrame:
    """The comparison % a form prints for the top unit, rounded to whole numbers."""
    top = tree.roots[0].code
    meta = pl.DataFrame(
        {
            "indicator": [i.code for i in catalog],
            # as the form prints them: new ÷ old, old ÷ new where its convention says so
            "down": [catalog.inverted(i.code) for i in catalog],
            "comparable": [i.comparable for i in catalog],
        },
        schema={"indicator": pl.String, "down": pl.Boolean, "comparable": pl.Boolean},
    )
    f = frame.filter(pl.col("orgunit") == top)
    get = {
        "plan": f.filter((pl.col("measure") == "plan") & (pl.col("year") == year)),
        "estimate": f.filter((pl.col("measure") == "estimate") & (pl.col("year") == year)),
        "next": f.filter((pl.col("measure") == "plan") & (pl.col("year") == year + 1)),
    }
    out = []
    for new, old, measure, y in (
        ("estimate", "plan", "printed_ratio_estimate_plan", year),
        ("next", "estimate", "printed_ratio_nextplan_estimate", year + 1),
    ):
        j = (
            get[new]
            .select("indicator", pl.col("value").alias("new"))
            .join(get[old].select("indicator", pl.col("value").alias("old")), on="indicator")
            .join(meta, on="indicator")
            .filter(pl.col("comparable") & (pl.col("new") > 0) & (pl.col("old") > 0))
        )
        r = (
            pl.when(pl.col("down"))
            .then(pl.col("old") / pl.col("new"))
            .otherwise(pl.col("new") / pl.col("old"))
            * 100
        )
        out.append(
            j.select(
                "indicator",
                pl.lit(top).alias("orgunit"),
                pl.lit(y, pl.Int32).alias("year"),
                pl.lit(measure).alias("measure"),
                (r + 0.5 + 1e-9).floor().alias("value"),
            )
        )
    return pl.concat(out)


# --- slips: the mistakes people make typing a plan ---------------------------------

SLIPS = (
    "transpose",
    "comma_lost",
    "comma_added",
    "neighbour_column",
    "share_as_permille",
    "unit_dropped",
    "neighbour_row",
    "units_swapped",
)
SLIP_LABELS = {
    "transpose": "hai chữ số bị đảo chỗ",
    "comma_lost": "mất dấu phẩy thập phân (×10ⁿ)",
    "comma_added": "thêm nhầm dấu phẩy (÷10)",
    "neighbour_column": "số của cột bên cạnh",
    "share_as_permille": "tỷ lệ % gõ thành ‰ (×10)",
    "unit_dropped": "bỏ sót số của một đơn vị",
    "neighbour_row": "số của dòng bên cạnh",
    "units_swapped": "số của hai đơn vị bị tráo cột",
}


@dataclass(frozen=True)
class Slip:
    kind: str
    indicator: str
    orgunit: str
    year: int
    measure: str
    before: float
    after: float | None  # None: the value was dropped
    other: str | None = None  # units_swapped: the unit whose value this one took


def _transpose(value: float, decimals: int, rng: np.random.Generator) -> float | None:
    text = f"{abs(value):.{decimals}f}"
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    pairs = [(a, b) for a, b in itertools.pairwise(digits) if b == a + 1 and text[a] != text[b]]
    if not pairs:
        return None
    a, b = pairs[int(rng.integers(len(pairs)))]
    swapped = text[:a] + text[b] + text[a] + text[b + 1 :]
    return float(swapped) * (1 if value >= 0 else -1)


def inject_slip(
    catalog: Catalog,
    tree: OrgTree,
    values: pl.DataFrame,
    kind: str,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, Slip] | None:
    """One realistic slip in one cell of ``values``; None when no cell suits ``kind``.

    The cells that suit are found as row numbers, not copied out of ``values``: a
    national plan's table is not held twice."""
    suits = pl.col("measure").is_in(["plan", "h1", "estimate"]) & pl.col("value").is_not_null()
    leaves = {u.code for u in tree} - {u.parent for u in tree if u.parent}
    if kind == "share_as_permille":
        shares = [i.code for i in catalog if i.unit == "%"]
        suits = suits & pl.col("indicator").is_in(shares) & (pl.col("value") > 0)
    if kind == "unit_dropped":
        suits = suits & pl.col("orgunit").is_in(sorted(leaves)) & (pl.col("value") != 0)
    if kind in ("transpose", "comma_lost", "comma_added"):
        suits = suits & (pl.col("value").abs() >= 10)
    if kind == "units_swapped":
        return _swap_units(tree, values, suits, rng)
    rows = values.select(suits.fill_null(False).arg_true().alias("row"))["row"]
    if rows.is_empty():
        return None
    for _ in range(50):
        r = values.row(int(rows[int(rng.integers(len(rows)))]), named=True)
        ind = catalog[r["indicator"]]
        v = float(r["value"])
        after: float | None
        if kind == "transpose":
            after = _transpose(v, ind.decimals, rng)
        elif kind == "comma_lost":
            after = v * 10 ** max(ind.decimals, 1)
        elif kind == "comma_added":
            after = round(v / 10, ind.decimals + 1)
        elif kind == "share_as_permille":
            after = v * 10
        elif kind == "neighbour_column":
            order = [
                ("plan", r["year"]),
                ("h1", r["year"]),
                ("estimate", r["year"]),
                ("plan", r["year"] + 1),
            ]
            here = order.index((r["measure"], r["year"]))
            others = [order[j] for j in (here - 1, here + 1) if 0 <= j < len(order)]
            m, y = others[int(rng.integers(len(others)))]
            hit = values.filter(
                (pl.col("indicator") == r["indicator"])
                & (pl.col("orgunit") == r["orgunit"])
                & (pl.col("measure") == m)
                & (pl.col("year") == y)
            )
            after = None if hit.is_empty() else hit["value"][0]
            if after is None or after == v:
                continue
        elif kind == "neighbour_row":
            after = _neighbour_row(catalog, values, r, rng)
            if after is None or after == v:
                continue
        else:
            after = None
        if kind != "unit_dropped" and (after is None or after == v):
            continue
        key = (
            (pl.col("indicator") == r["indicator"])
            & (pl.col("orgunit") == r["orgunit"])
            & (pl.col("year") == r["year"])
            & (pl.col("measure") == r["measure"])
        )
        slip = Slip(kind, r["indicator"], r["orgunit"], r["year"], r["measure"], v, after)
        if after is None:
            return values.filter(~key), slip
        return values.with_columns(
            pl.when(key).then(pl.lit(after)).otherwise(pl.col("value")).alias("value")
        ), slip
    return None


def _neighbour_row(
    catalog: Catalog, values: pl.DataFrame, r: dict[str, object], rng: np.random.Generator
) -> float | None:
    """The value the row above or below (in the same form) has in the same cell."""
    ind = catalog[str(r["indicator"])]
    rows = [i.code for i in catalog.in_form(ind.form) if i.kind is RowKind.INDICATOR]
    here = rows.index(ind.code)
    near = [rows[j] for j in (here - 1, here + 1) if 0 <= j < len(rows)]
    if not near:
        return None
    code = near[int(rng.integers(len(near)))]
    hit = values.filter(
        (pl.col("indicator") == code)
        & (pl.col("orgunit") == r["orgunit"])
        & (pl.col("measure") == r["measure"])
        & (pl.col("year") == r["year"])
        & pl.col("value").is_not_null()
    )
    return None if hit.is_empty() else float(hit["value"][0])


def _swap_units(
    tree: OrgTree, values: pl.DataFrame, suits: pl.Expr, rng: np.random.Generator
) -> tuple[pl.DataFrame, Slip] | None:
    """Two units under the same parent take each other's value of one cell (a row typed
    into the neighbouring unit's column): two cells change, their sum does not."""
    parents = tree.parent_map()
    up = pl.col("orgunit").cast(pl.String).replace_strict(parents, default=None).alias("up")
    cand = values.lazy().filter(suits).with_columns(up).filter(pl.col("up").is_not_null())
    groups = (
        cand.group_by("indicator", "up", "year", "measure")
        .agg(pl.col("value").n_unique().alias("n"))
        .filter(pl.col("n") >= 2)
        .drop("n")
        .sort("indicator", "up", "year", "measure")  # the same slips on every run
        .collect()
    )
    if groups.is_empty():
        return None
    for _ in range(50):
        g = groups.row(int(rng.integers(groups.height)), named=True)
        # the group's units and values, in the table's order
        members = cand.filter(
            (pl.col("indicator") == g["indicator"])
            & (pl.col("up") == g["up"])
            & (pl.col("year") == g["year"])
            & (pl.col("measure") == g["measure"])
        ).collect()
        orgs, vals = members["orgunit"].cast(pl.String).to_list(), members["value"].to_list()
        i, j = (int(x) for x in rng.choice(len(orgs), 2, replace=False))
        if vals[i] == vals[j]:
            continue
        a, b = orgs[i], orgs[j]
        cell = (
            (pl.col("indicator") == g["indicator"])
            & (pl.col("year") == g["year"])
            & (pl.col("measure") == g["measure"])
        )
        swapped = values.with_columns(
            pl.when(cell & (pl.col("orgunit") == a))
            .then(pl.lit(vals[j]))
            .when(cell & (pl.col("orgunit") == b))
            .then(pl.lit(vals[i]))
            .otherwise(pl.col("value"))
            .alias("value")
        )
        slip = Slip(
            "units_swapped", g["indicator"], a, g["year"], g["measure"], vals[i], vals[j], b
        )
        return swapped, slip
    return None


@dataclass(frozen=True)
class Detection:
    kind: str
    trials: int
    flagged: int  # the checked plan has a finding it did not have before the slip
    located: int  # ... on the slipped indicator or one tied to it (parent, part, basis, rule)


def _related(catalog: Catalog, rules: Sequence[DeclaredRule], code: str) -> set[str]:
    ind = catalog[code]
    out = {code, *ind.basis}
    if ind.parent:
        out.add(ind.parent)
    out.update(c.code for c in catalog.children_of(code))
    out.update(i.code for i in catalog if code in i.basis)
    # the catalog's declared sets of parts: the whole and every member
    for whole in catalog:
        for group in whole.parts:
            if code == whole.code or code in group:
                out.update({whole.code, *group})
    for rule in rules:
        if code in rule.codes:
            out.update(rule.codes)
    return out


def measure_detection(
    catalog: Catalog,
    tree: OrgTree,
    year: int,
    rules: Sequence[DeclaredRule],
    seeds: Sequence[int],
    kinds: Sequence[str] = SLIPS,
) -> list[Detection]:
    """Inject each kind of slip into consistent plans and count how often the checks
    notice (any severity, compared with the clean plan)."""
    from ktxh.domain.checks import CheckContext, run_checks

    top = tree.roots[0].code
    counts = {k: [0, 0, 0] for k in kinds}
    for seed in seeds:
        clean = consistent_plan(catalog, tree, year, rules, seed)
        before = {
            (f.rule, f.indicator, f.orgunit, f.year, f.measure)
            for f in run_checks(CheckContext(catalog, tree, clean, year, top), rules)
        }
        rng = np.random.default_rng(seed)
        for kind in kinds:
            out = inject_slip(catalog, tree, clean, kind, rng)
            if out is None:
                continue
            slipped, slip = out
            found = [
                f
                for f in run_checks(CheckContext(catalog, tree, slipped, year, top), rules)
                if (f.rule, f.indicator, f.orgunit, f.year, f.measure) not in before
            ]
            related = _related(catalog, rules, slip.indicator)
            c = counts[kind]
            c[0] += 1
            c[1] += bool(found)
            c[2] += any(f.indicator in related for f in found)
    return [Detection(k, *counts[k]) for k in kinds]
