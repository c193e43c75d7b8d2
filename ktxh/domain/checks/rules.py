"""The rules. Each is a small class that finds its violations over the whole
value table at once (polars), then explains each one in Vietnamese.

Generic rules are derived from the catalog (how each indicator consolidates,
its sub-items and declared parts, unit, nature, direction, its form's comparison
convention); declared rules come from the dataset's ``rules.csv``
(:class:`DeclaredRule`).

Every rule reports, besides its message, the cells the broken relation involves
and what it says about them (:class:`Hint`), so that findings with one cause are
listed together (:mod:`.causes`). A relation that involves a value the dataset
marks as a best guess (``confidence`` low) or a cell lost in reading the source
is never taken as broken: the rule says once, as a notice, that the check could
not be made and why (:func:`_doubt`).

Severity (docs/checks.md): ``lỗi`` only where the numbers cannot all be right
(arithmetic or logic), ``cảnh báo`` where they are implausible but a legitimate
reason can exist, ``lưu ý`` where a check could not be made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ktxh.domain.catalog import (
    Children,
    Consolidation,
    Direction,
    Indicator,
    Nature,
    RowKind,
)
from ktxh.domain.checks.expressions import CODE, OPERATORS, compile_side, solve
from ktxh.domain.checks.model import (
    CheckContext,
    Finding,
    Hint,
    Key,
    Severity,
    cell_label,
    num,
    with_unit,
)
from ktxh.domain.compare import (
    RATIOS,
    Agreement,
    agrees,
    classify,
    comparison_frame,
    input_decimals,
    ratio,
    ratio_bounds,
    round_half_up,
)
from ktxh.domain.consolidate import PLAN, rate_factor
from ktxh.domain.numbers import decimals_of

KEY = ["indicator", "orgunit", "year", "measure"]
BASE_MEASURES = ["plan", "h1", "estimate", "actual"]
EPS = 1e-9
INF = math.inf


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    """A rule's lazy query, its joins run as written (ktxh.domain.consolidate.PLAN)."""
    return query.collect(optimizations=PLAN)


def _codes(ctx: CheckContext, pred: object) -> list[str]:
    return [i.code for i in ctx.catalog if i.kind is RowKind.INDICATOR and pred(i)]  # type: ignore[operator]


def _where(ctx: CheckContext, r: dict[str, object]) -> str:
    """ "KH 2024 của phường Đoàn Kết" (the top unit goes without a name)."""
    label = cell_label(str(r["measure"]), int(r["year"]))  # type: ignore[call-overload]
    org = r.get("orgunit")
    if org and org != ctx.top:
        return f"{label}, {ctx.org_name(str(org))}"
    return label


def _key(r: dict[str, Any], indicator: str | None = None) -> Key:
    return (indicator or r["indicator"], r["orgunit"], r["year"], r["measure"])


def _cell_text(ctx: CheckContext, cell: Key) -> str:
    """ "«Dân số», KH 2024, xã San Thàng"."""
    code, org, year, measure = cell
    ind = ctx.catalog.indicators.get(code)
    name = ind.label if ind else code
    where = _where(ctx, {"orgunit": org, "year": year, "measure": measure})
    return f"«{name}» ({where})"


def _doubt(ctx: CheckContext, low: Iterable[Key] = (), lost: Iterable[Key] = ()) -> tuple[str, str]:
    """Why a relation cannot be taken as broken, in Vietnamese, and the dataset's
    note behind it (one note, one cause: see :mod:`.causes`)."""
    low, lost = list(dict.fromkeys(low)), [k for k in dict.fromkeys(lost)]
    rows = ctx.cell_rows(low)
    parts = []
    notes = []
    for k in low:
        r = rows.get(k, {})
        shown = r.get("printed") or num(r.get("value"), 3)
        parts.append(f"{_cell_text(ctx, k)} ghi {shown} chỉ là phỏng đoán khi đọc bản in")
        notes.append(r.get("note") or "")
    if len(lost) > 2:
        units = ", ".join(ctx.org_name(k[1]) for k in lost)
        parts.append(f"ô của {len(lost)} đơn vị ({units}) bị mất hoặc bỏ trống khi đọc bản in")
        notes += [ctx.lost.get(k, "") for k in lost]
    else:
        for k in lost:
            parts.append(f"ô {_cell_text(ctx, k)} bị mất khi đọc bản in")
            notes.append(ctx.lost.get(k, ""))
    why = next((n for n in notes if n), "") or "; ".join(parts)
    return "không kết luận được vì " + "; ".join(parts), why


def _members(
    rows: pl.LazyFrame, bad: pl.DataFrame, on: list[str], value: str = "value"
) -> dict[tuple[Any, ...], list[tuple[str, float, bool]]]:
    """For the few failing groups of ``bad``: each member's (code or unit, value, low),
    in the order of ``rows`` (a lazy query of the members of every group: only the
    members of the groups that fail are collected, never the whole value table)."""
    member = "orgunit" if "parent" in on else "indicator"
    hit = _collect(rows.join(bad.lazy().select(on).unique(), on=on, maintain_order="left"))
    out: dict[tuple[Any, ...], list[tuple[str, float, bool]]] = {}
    for r in hit.iter_rows(named=True):
        out.setdefault(tuple(r[c] for c in on), []).append(
            (r[member], r[value], bool(r.get("low")))
        )
    return out


def _low_cells(r: dict[str, Any], pairs: Sequence[tuple[str, Key]]) -> list[Key]:
    """The cells of ``pairs`` (flag column, cell) whose flag is set in row ``r``."""
    return [cell for flag, cell in pairs if r.get(flag)]


@dataclass(frozen=True)
class UnitsAddUp:
    """The units below add up to the total (``sum``), or are counted (``count``)."""

    id: str = "units_sum"
    title: str = "Các đơn vị cộng lại bằng tổng cộng"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        sums = _codes(ctx, lambda i: i.consolidation is Consolidation.SUM)
        counts = _codes(ctx, lambda i: i.consolidation is Consolidation.COUNT)
        # the units' sums below every total (shared with the other rules on units)
        kids = (
            ctx.children.lazy()
            .filter(
                pl.col("indicator").is_in(ctx.k.series("indicator", sums + counts).implode())
                & (pl.col("known") > 0)
            )
            .select(
                "indicator",
                "parent",
                "year",
                "measure",
                pl.col("v").alias("children"),
                pl.col("t").alias("children_tol"),
            )
        )
        bad = _collect(
            ctx.scan_upper(sums + counts)
            .join(
                kids,
                left_on=["indicator", "orgunit", "year", "measure"],
                right_on=["indicator", "parent", "year", "measure"],
            )
            .with_columns((pl.col("value") - pl.col("children")).alias("diff"))
            .filter(pl.col("diff").abs() > pl.col("tol") + pl.col("children_tol") + EPS)
        )
        group = ["indicator", "parent", "year", "measure"]
        # the members of the few failing groups only
        below_rows = ctx.scan_below(bad["indicator"].unique().cast(pl.String).to_list())
        members = _members(below_rows, bad.rename({"orgunit": "parent"}), group)
        for r in bad.iter_rows(named=True):
            kid = members.get((r["indicator"], r["orgunit"], r["year"], r["measure"]), [])
            r["kids"], r["kid_values"] = [k[0] for k in kid], [k[1] for k in kid]
            ind = ctx.indicator(r["indicator"])
            below = ctx.tree.children(r["orgunit"])
            levels = {k.level for k in below}
            who = "xã, phường" if levels <= {"xã", "phường", "thị trấn"} else "đơn vị"
            d = int(r["dec"])
            total = with_unit(r["value"], ind.unit, d, fixed=True)
            count = ind.consolidation is Consolidation.COUNT
            if count:
                msg = (
                    f"{_where(ctx, r)}: {num(r['children'])} trong {len(below)} {who} ghi đạt, "
                    f"khác Tổng cộng {total}"
                )
            else:
                msg = (
                    f"{_where(ctx, r)}: Tổng {len(below)} {who} là "
                    f"{with_unit(r['children'], ind.unit, d, fixed=True)}, khác Tổng cộng {total} "
                    f"(lệch {with_unit(abs(r['diff']), ind.unit, d, fixed=True)})"
                )
            me = _key(r)
            kid_cells = [(r["indicator"], k, r["year"], r["measure"]) for k in r["kids"]]
            lost = [
                (r["indicator"], u.code, r["year"], r["measure"])
                for u in below
                if (r["indicator"], u.code, r["year"], r["measure"]) in ctx.lost
            ]
            cells = (me, *kid_cells, *lost)
            values = {"total": r["value"], "children_sum": r["children"], "difference": r["diff"]}
            tol = r["tol"] + r["children_tol"]
            hints = [Hint.value(me, r["children"], tol)]
            if not count:
                hints += [
                    Hint.value(c, r["value"] - (r["children"] - v), tol)
                    for c, v in zip(kid_cells, r["kid_values"], strict=True)
                ]
                hints += [Hint.value(c, r["value"] - r["children"], tol) for c in lost]
            if r["low"] or lost:
                reason, why = _doubt(ctx, [me] if r["low"] else [], lost)
                yield Finding.at(
                    self.id,
                    Severity.NOTICE,
                    f"{msg}; {reason}",
                    r,
                    values,
                    r["children"],
                    cells,
                    tuple(hints),
                    why,
                )
                continue
            yield Finding.at(
                self.id, Severity.ERROR, msg, r, values, r["children"], cells, tuple(hints)
            )


@dataclass(frozen=True)
class MissingUnits:
    """A unit left blank where (nearly) every other unit below the same total has a value,
    unless the others already make the total (the blank is a "-")."""

    id: str = "missing_unit"
    title: str = "Đơn vị bỏ trống số liệu"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        kinds = (
            Consolidation.SUM,
            Consolidation.COUNT,
            Consolidation.RATE,
            Consolidation.WEIGHTED_MEAN,
        )
        with_breakdown = _codes(ctx, lambda i: i.consolidation in kinds)
        additive = set(
            _codes(ctx, lambda i: i.consolidation in (Consolidation.SUM, Consolidation.COUNT))
        )
        size = ctx.parents.group_by("parent").len("n_children")
        keys = ["indicator", "parent", "year", "measure"]
        # how many units below each total are stored, and their sum (shared, made once)
        stats = ctx.children.filter(
            pl.col("indicator").is_in(ctx.k.series("indicator", with_breakdown).implode())
        )
        present = (
            stats.select(*keys, "n")
            .join(size, on="parent")
            .filter(
                (pl.col("n") < pl.col("n_children"))
                & (pl.col("n") >= pl.col("n_children") - 1)
                & (pl.col("n") >= 2)
            )
        )
        if present.is_empty():
            return
        # the units' sum and the total, for these few groups only
        children = stats.join(present.select(keys), on=keys, how="semi").select(
            *keys, pl.col("v").alias("children")
        )
        totals = _collect(
            ctx.scan_upper(present["indicator"].unique().cast(pl.String).to_list())
            .join(
                present.lazy().select(
                    "indicator", pl.col("parent").alias("orgunit"), "year", "measure"
                ),
                on=["indicator", "orgunit", "year", "measure"],
                how="semi",
            )
            .select("indicator", pl.col("orgunit").alias("parent"), "year", "measure", "value")
            .rename({"value": "total"})
        )
        present = (
            present.join(children, on=keys, how="left")
            .join(totals, on=keys, how="left")
            .filter(
                # the others already make the total: the blank unit has none ("-")
                ~(
                    pl.col("indicator").is_in(ctx.k.series("indicator", additive).implode())
                    & ((pl.col("total") - pl.col("children")).abs() <= EPS).fill_null(False)
                )
            )
        )
        # the units stored in the rows of these groups (a "-" too)
        below = ctx.scan_below(present["indicator"].unique().cast(pl.String).to_list(), False)
        have = set(
            _collect(
                below.join(
                    present.lazy().select("indicator", "year", "measure").unique(),
                    on=["indicator", "year", "measure"],
                    how="semi",
                ).select("indicator", "orgunit", "year", "measure")
            ).iter_rows()
        )
        for r in present.iter_rows(named=True):
            missing = [
                u
                for u in ctx.tree.children(r["parent"])
                if (r["indicator"], u.code, r["year"], r["measure"]) not in have
            ]
            ind = ctx.indicator(r["indicator"])
            names = ", ".join(u.full_name for u in missing)
            where = cell_label(r["measure"], r["year"])
            for u in missing:
                cell = (ind.code, u.code, r["year"], r["measure"])
                why = ctx.lost.get(cell)
                msg = (
                    f"{where}: {names} để trống «{ind.label}» trong khi "
                    f"{r['n']} đơn vị khác đã có số liệu"
                )
                if why is not None:
                    msg += (
                        "; ô này bị mất khi đọc bản in (các ô khác của dòng được xếp cột "
                        "theo phỏng đoán)"
                    )
                yield Finding(
                    self.id,
                    Severity.NOTICE,
                    msg,
                    ind.code,
                    u.code,
                    r["year"],
                    r["measure"],
                    {"present": float(r["n"]), "expected": float(r["n_children"])},
                    None,
                    ind.seed_line,
                    (cell,),
                    (),
                    why or "",
                )


def _additive(ind: Indicator) -> bool:
    """A quantity whose parts add up (people, hectares, money), not a rate or share."""
    return ind.nature is not Nature.RATE


@dataclass(frozen=True)
class PartsAddUp:
    """A complete set of sub-items adds up to its parent, and so does each set of
    ``parts`` the catalog declares; an "of which" item stays below its parent."""

    id: str = "parts_sum"
    title: str = "Các chỉ tiêu thành phần cộng lại bằng chỉ tiêu tổng"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        links: list[dict[str, object]] = []
        expected: dict[tuple[str, str], list[str]] = {}
        for ind in ctx.catalog:
            if ind.kind is not RowKind.INDICATOR:
                continue
            if ind.children in (Children.COMPLETE, Children.PARTIAL):
                whole, partial = ctx.catalog.parts_of(ind.code)
                links += [
                    {"part": c, "whole": ind.code, "kind": "complete", "set": "tree"} for c in whole
                ]
                links += [
                    {"part": c, "whole": ind.code, "kind": "partial", "set": "tree"}
                    for c in partial
                ]
                if whole:
                    expected[(ind.code, "tree")] = whole
            if _additive(ind):
                for n, group in enumerate(ind.parts):
                    links += [
                        {"part": c, "whole": ind.code, "kind": "complete", "set": f"parts{n}"}
                        for c in group
                    ]
                    expected[(ind.code, f"parts{n}")] = list(group)
        if not links:
            return
        link = ctx.table(
            links, {"part": "indicator", "whole": "indicator", "kind": pl.String, "set": pl.String}
        )
        # each complete set (a whole's sub-items, or one of its declared sets of parts) by
        # a number: the rows of its parts carry the number, not the whole's code and the
        # set's name, which are joined back to the sums only (``member``: a part's sets)
        sets = ctx.table(
            [
                {"sid": n, "whole": w, "set": name, "size": len(c)}
                for n, ((w, name), c) in enumerate(expected.items())
            ],
            {"sid": pl.UInt32, "whole": "indicator", "set": pl.String, "size": pl.Int64},
        )
        member = ctx.table(
            [{"part": c, "sid": n} for n, c_list in enumerate(expected.values()) for c in c_list],
            {"part": "indicator", "sid": pl.UInt32},
        )
        declared = member.join(sets.filter(pl.col("set") != "tree"), on="sid", how="semi")
        of_which = link.filter(pl.col("kind") == "partial").select("part", "whole")
        key = ["orgunit", "year", "measure"]

        def codes(frame: pl.DataFrame, column: str) -> list[str]:
            return frame[column].unique().cast(pl.String).to_list()

        def wholes(block: pl.Expr) -> pl.LazyFrame:
            return ctx.scan(codes(link, "whole"), block).select(
                pl.col("indicator").alias("whole"),
                *key,
                pl.col("value").alias("whole_value"),
                pl.col("tol").alias("whole_tol"),
                pl.col("dec").alias("whole_dec"),
                pl.col("seed_line").alias("whole_line"),
                pl.col("low").alias("whole_low"),
            )

        def sums(block: pl.Expr) -> pl.LazyFrame:
            # a declared set is checked where every member is printed (a "-" counts as none)
            stored = (
                ctx.frame.lazy()
                .filter(
                    pl.col("measure").is_in(BASE_MEASURES)
                    & pl.col("indicator").is_in(declared["part"].unique().implode())
                    & block
                )
                .select("indicator", *key)
                .join(declared.lazy(), left_on="indicator", right_on="part")
                .group_by("sid", *key)
                .agg(pl.len().alias("n_stored"))
            )
            return (
                ctx.scan(codes(member, "part"), block)
                .select("indicator", *key, "value", "tol", "dec")
                .join(member.lazy(), left_on="indicator", right_on="part")
                .group_by("sid", *key)
                .agg(
                    pl.col("value").sum().alias("parts"),
                    pl.col("tol").sum().alias("parts_tol"),
                    pl.col("dec").max().alias("parts_dec"),
                )
                .join(stored, on=["sid", *key], how="left")
                .join(sets.lazy(), on="sid")
                .filter(
                    (pl.col("set") == "tree")
                    | (pl.col("n_stored").fill_null(0).cast(pl.Int64) >= pl.col("size"))
                )
                .join(wholes(block), on=["whole", *key])
                .with_columns((pl.col("whole_value") - pl.col("parts")).alias("diff"))
                .filter(pl.col("diff").abs() > pl.col("whole_tol") + pl.col("parts_tol") + EPS)
            )

        def beyond(block: pl.Expr) -> pl.LazyFrame:
            return (
                ctx.scan(codes(of_which, "part"), block)
                .select("indicator", *key, "value", "tol", "low", "seed_line")
                .join(of_which.lazy(), left_on="indicator", right_on="part")
                .join(wholes(block), on=["whole", *key])
                .filter(
                    pl.col("value")
                    > pl.col("whole_value") + pl.col("tol") + pl.col("whole_tol") + EPS
                )
            )

        # by blocks of units: a set of parts and its whole are in one unit
        every = codes(link, "part") + codes(link, "whole")
        complete = ctx.by_units(every, sums)
        over = ctx.by_units(every, beyond)
        on = ["whole", "set", *key]
        # the parts of the few failing sums only, in the order of the frame
        failing = member.join(complete.select("sid").unique(), on="sid", how="semi")
        members = _members(
            ctx.scan(codes(failing, "part"))
            .select("indicator", *key, "value", "low")
            .join(failing.lazy(), left_on="indicator", right_on="part", maintain_order="left")
            .join(sets.lazy().select("sid", "whole", "set"), on="sid", maintain_order="left"),
            complete,
            on,
        )
        for r in complete.iter_rows(named=True):
            got = members.get(tuple(r[c] for c in on), [])
            r["codes"] = [g[0] for g in got]
            r["part_values"] = [g[1] for g in got]
            r["low_codes"] = [g[0] for g in got if g[2]]
            ind = ctx.indicator(r["whole"])
            y, m, org = r["year"], r["measure"], r["orgunit"]
            d = max(int(r["whole_dec"]), int(r["parts_dec"]))
            names = (
                f"{len(r['codes'])} chỉ tiêu thành phần"
                if r["set"] == "tree"
                else " + ".join(f"«{ctx.indicator(c).label}»" for c in sorted(r["codes"]))
            )
            msg = (
                f"{_where(ctx, r)}: {names} cộng lại là "
                f"{with_unit(r['parts'], ind.unit, d, fixed=True)}, khác chỉ tiêu tổng "
                f"{with_unit(r['whole_value'], ind.unit, d, fixed=True)} "
                f"(lệch {with_unit(abs(r['diff']), ind.unit, d, fixed=True)})"
            )
            me = (r["whole"], org, y, m)
            part_cells = [(c, org, y, m) for c in r["codes"]]
            lost = [
                (c, org, y, m)
                for c in expected.get((r["whole"], r["set"]), [])
                if c not in r["codes"] and (c, org, y, m) in ctx.lost
            ]
            tol = r["whole_tol"] + r["parts_tol"]
            hints = [Hint.value(me, r["parts"], tol)]
            hints += [
                Hint.value(c, r["whole_value"] - (r["parts"] - v), tol)
                for c, v in zip(part_cells, r["part_values"], strict=True)
            ]
            hints += [Hint.value(c, r["whole_value"] - r["parts"], tol) for c in lost]
            low = ([me] if r["whole_low"] else []) + [(c, org, y, m) for c in r["low_codes"]]
            values = {"whole": r["whole_value"], "parts_sum": r["parts"], "difference": r["diff"]}
            severity, why = Severity.ERROR, ""
            if low or lost:
                reason, why = _doubt(ctx, low, lost)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding(
                self.id,
                severity,
                msg,
                r["whole"],
                org,
                y,
                m,
                values,
                r["parts"],
                r["whole_line"],
                (me, *part_cells, *lost),
                tuple(hints),
                why,
            )
        for r in over.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            big = ctx.indicator(r["whole"])
            part_text = with_unit(r["value"], ind.unit, ind.decimals)
            msg = (
                f"{_where(ctx, r)}: «{ind.label}» ({part_text}) "
                f"là một phần («trong đó») của «{big.label}» nhưng lớn hơn nó "
                f"({with_unit(r['whole_value'], big.unit, big.decimals)})"
            )
            me, whole_key = _key(r), _key(r, r["whole"])
            slack = r["tol"] + r["whole_tol"]
            bounds = (
                Hint.at_most(me, r["whole_value"] + slack),
                Hint.at_least(whole_key, r["value"] - slack),
            )
            low = _low_cells(r, [("low", me), ("whole_low", whole_key)])
            severity, why = Severity.ERROR, ""
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(
                "part_le_whole",
                severity,
                msg,
                r,
                {"part": r["value"], "whole": r["whole_value"]},
                r["whole_value"],
                (me, whole_key),
                bounds,
                why,
            )


@dataclass(frozen=True)
class StructureAddsUp:
    """The shares of a structure (``children = structure``: "Cơ cấu ...") add up to 100 %,
    and the structure's own row, where it prints a value, is 100 %."""

    id: str = "structure_sum"
    title: str = "Cơ cấu cộng lại bằng 100%"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        rows = []
        for ind in ctx.catalog:
            if ind.kind is RowKind.INDICATOR and ind.children is Children.STRUCTURE:
                rows += [{"part": p, "whole": ind.code} for p in ctx.catalog.parts_of(ind.code)[0]]
        if not rows:
            return
        link = ctx.table(rows, {"part": "indicator", "whole": "indicator"})
        base = ctx.rows_of(
            link["part"].cast(pl.String).to_list() + link["whole"].cast(pl.String).to_list()
        )
        shares = (
            base.join(link, left_on="indicator", right_on="part")
            .group_by("whole", "orgunit", "year", "measure")
            .agg(
                pl.col("value").sum().alias("parts"),
                pl.col("tol").sum().alias("parts_tol"),
                pl.col("dec").max().alias("parts_dec"),
                pl.col("indicator").alias("codes"),
                pl.col("value").alias("part_values"),
                pl.col("indicator").filter(pl.col("low")).alias("low_codes"),
            )
        )
        wholes = base.filter(pl.col("indicator").is_in(link["whole"].unique().implode())).select(
            pl.col("indicator").alias("whole"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("whole_value"),
            pl.col("tol").alias("whole_tol"),
            pl.col("low").alias("whole_low"),
            pl.col("seed_line").alias("whole_line"),
        )
        bad = shares.join(wholes, on=["whole", "orgunit", "year", "measure"], how="left").filter(
            ((pl.col("parts") - 100).abs() > pl.col("parts_tol") + EPS)
            | (
                pl.col("whole_value").is_not_null()
                & ((pl.col("whole_value") - 100).abs() > pl.col("whole_tol") + EPS)
            )
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["whole"])
            org, y, m = r["orgunit"], r["year"], r["measure"]
            d = max(int(r["parts_dec"]), 1)
            msg = (
                f"{_where(ctx, r)}: {len(r['codes'])} thành phần của «{ind.label}» cộng lại "
                f"{with_unit(r['parts'], '%', d, fixed=True)}"
            )
            if r["whole_value"] is not None and abs(r["whole_value"] - 100) > r["whole_tol"] + EPS:
                msg += f", dòng tổng ghi {with_unit(r['whole_value'], '%', d)}"
            msg += "; một cơ cấu phải cộng lại 100%"
            me = (r["whole"], org, y, m)
            part_cells = [(c, org, y, m) for c in r["codes"]]
            hints = [Hint.value(me, 100.0)] if r["whole_value"] is not None else []
            hints += [
                Hint.value(c, 100.0 - (r["parts"] - v), r["parts_tol"])
                for c, v in zip(part_cells, r["part_values"], strict=True)
            ]
            low = ([me] if r["whole_low"] else []) + [(c, org, y, m) for c in r["low_codes"]]
            severity, why = Severity.ERROR, ""
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding(
                self.id,
                severity,
                msg,
                r["whole"],
                org,
                y,
                m,
                {"parts_sum": r["parts"], "whole": r["whole_value"]},
                100.0,
                r["whole_line"] or ind.seed_line,
                (me, *part_cells),
                tuple(hints),
                why,
            )


@dataclass(frozen=True)
class RateFromParts:
    """A rate equals its numerator over its denominator (``basis``), in every unit."""

    id: str = "rate_parts"
    title: str = "Tỷ lệ khớp với tử số và mẫu số"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        rows = []
        for ind in ctx.catalog:
            # a rate with its numerator and denominator; a city-only one at the city
            kinds = (Consolidation.RATE, Consolidation.CITY_ONLY)
            if ind.consolidation not in kinds or len(ind.basis) != 2:
                continue
            k = rate_factor(ctx.catalog, ind)
            if k is not None:
                # a first-half rate of a flow (births per population) is annualised:
                # it cannot be recomputed from the half-year counts
                flow = ctx.indicator(ind.basis[0]).nature is Nature.FLOW
                rows.append(
                    {
                        "indicator": ind.code,
                        "num": ind.basis[0],
                        "den": ind.basis[1],
                        "k": k,
                        "skip_h1": flow,
                    }
                )
        if not rows:
            return
        spec = ctx.table(
            rows,
            {
                "indicator": "indicator",
                "num": "indicator",
                "den": "indicator",
                "k": pl.Float64,
                "skip_h1": pl.Boolean,
            },
        )

        def codes(column: str) -> list[str]:
            return spec[column].unique().cast(pl.String).to_list()

        def side(column: str, block: pl.Expr) -> pl.LazyFrame:
            """The rows of the rates' numerators (or denominators)."""
            return ctx.scan(codes(column), block).select(
                "indicator", "orgunit", "year", "measure", "value", "tol", "low"
            )

        # by blocks of units: a rate and its basis are in one unit
        f = ctx.by_units(
            codes("indicator") + codes("num") + codes("den"),
            lambda block: (
                ctx.scan(codes("indicator"), block)
                .join(spec.lazy(), on="indicator")
                .join(
                    side("num", block).rename(
                        {"indicator": "num", "value": "n", "tol": "nt", "low": "n_low"}
                    ),
                    on=["num", "orgunit", "year", "measure"],
                )
                .join(
                    side("den", block).rename(
                        {"indicator": "den", "value": "d", "tol": "dt", "low": "d_low"}
                    ),
                    on=["den", "orgunit", "year", "measure"],
                )
                .filter(
                    (pl.col("d") > pl.col("dt"))
                    & ~(pl.col("skip_h1") & (pl.col("measure") == "h1"))
                )
                .with_columns(
                    (pl.col("k") * pl.col("n") / pl.col("d")).alias("expected"),
                    (
                        pl.col("k") * (pl.col("n") - pl.col("nt")) / (pl.col("d") + pl.col("dt"))
                    ).alias("lo"),
                    (
                        pl.col("k") * (pl.col("n") + pl.col("nt")) / (pl.col("d") - pl.col("dt"))
                    ).alias("hi"),
                )
                # a rate is often truncated rather than rounded: allow a whole unit of
                # its last printed decimal
                .filter(
                    (pl.col("value") + 2 * pl.col("tol") < pl.col("lo") - EPS)
                    | (pl.col("value") - 2 * pl.col("tol") > pl.col("hi") + EPS)
                )
            ),
        )
        for r in f.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            n_ind, d_ind = ctx.indicator(r["num"]), ctx.indicator(r["den"])
            dec = max(ind.decimals, 1)
            msg = (
                f"{_where(ctx, r)}: {ind.label} ghi {with_unit(r['value'], ind.unit, dec)}, "
                f"nhưng {n_ind.label} ({with_unit(r['n'], n_ind.unit, n_ind.decimals)}) trên "
                f"{d_ind.label} ({with_unit(r['d'], d_ind.unit, d_ind.decimals)}) cho "
                f"{with_unit(r['expected'], ind.unit, dec)}"
            )
            me, n_cell, d_cell = _key(r), _key(r, r["num"]), _key(r, r["den"])
            k, v, t = r["k"], r["value"], 2 * r["tol"]
            hints = [Hint(me, r["lo"] - t, r["hi"] + t)]
            if v - t > 0:
                hints.append(Hint(n_cell, (v - t) * r["d"] / k, (v + t) * r["d"] / k))
                hints.append(Hint(d_cell, k * r["n"] / (v + t), k * r["n"] / (v - t)))
            low = _low_cells(r, [("low", me), ("n_low", n_cell), ("d_low", d_cell)])
            severity, why = Severity.WARNING, ""
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(
                self.id,
                severity,
                msg,
                r,
                {"rate": r["value"], "numerator": r["n"], "denominator": r["d"]},
                r["expected"],
                (me, n_cell, d_cell),
                tuple(hints),
                why,
            )


@dataclass(frozen=True)
class WeightedMean:
    """A parent unit's average (a yield) is the children's weighted by ``basis`` (area)."""

    id: str = "weighted_mean"
    title: str = "Bình quân gia quyền theo các đơn vị"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        rows = [
            {"indicator": i.code, "weight": i.basis[0]}
            for i in ctx.catalog
            if i.consolidation is Consolidation.WEIGHTED_MEAN and i.basis
        ]
        if not rows:
            return
        spec = ctx.table(rows, {"indicator": "indicator", "weight": "indicator"})
        means = [r["indicator"] for r in rows]
        w = ctx.scan([r["weight"] for r in rows]).select(
            pl.col("indicator").alias("weight"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("w"),
            pl.col("tol").alias("wt"),
        )
        kids = (
            ctx.scan(means)
            .join(spec.lazy(), on="indicator")
            .join(w, on=["weight", "orgunit", "year", "measure"])
            .with_columns(ctx.parent_expr().alias("parent"))
            .filter((pl.col("w") > 0) & pl.col("parent").is_not_null())
            .group_by("indicator", "parent", "year", "measure")
            .agg(
                ((pl.col("value") * pl.col("w")).sum() / pl.col("w").sum()).alias("expected"),
                # each child's value is known to its rounding, and so is each weight:
                # a rounded weight moves the mean by at most spread x weight error / weights
                (
                    pl.col("tol").max()
                    + (pl.col("value").max() - pl.col("value").min())
                    * pl.col("wt").sum()
                    / pl.col("w").sum()
                ).alias("kid_tol"),
            )
        )
        bad = _collect(
            ctx.scan_upper(means)
            .join(
                kids,
                left_on=["indicator", "orgunit", "year", "measure"],
                right_on=["indicator", "parent", "year", "measure"],
            )
            .with_columns((pl.col("value") - pl.col("expected")).alias("diff"))
            .filter(pl.col("diff").abs() > pl.col("tol") + pl.col("kid_tol") + EPS)
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            weight = ctx.indicator(ind.basis[0])
            dec = max(ind.decimals, 1)
            msg = (
                f"{_where(ctx, r)}: {ind.name} chung ghi {with_unit(r['value'], ind.unit, dec)}, "
                f"nhưng bình quân của các đơn vị cấp dưới tính theo {weight.name.lower()} là "
                f"{with_unit(r['expected'], ind.unit, dec)}"
            )
            me = _key(r)
            kid_codes = [u.code for u in ctx.tree.children(r["orgunit"])]
            cells = (me, *((r["indicator"], k, r["year"], r["measure"]) for k in kid_codes))
            hints = (Hint.value(me, r["expected"], r["tol"] + r["kid_tol"]),)
            severity, why = Severity.WARNING, ""
            if r["low"]:
                reason, why = _doubt(ctx, [me])
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(
                self.id,
                severity,
                msg,
                r,
                {"value": r["value"], "weighted_mean": r["expected"]},
                r["expected"],
                cells,
                hints,
                why,
            )


@dataclass(frozen=True)
class RateWithinRange:
    """A rate or average of the whole lies between the lowest and the highest of its
    parts': a unit's rate within its units' (all of them known; an average's units
    without a value carry no weight), and a rate with declared ``parts`` (urban and
    rural) within theirs."""

    id: str = "rate_range"
    title: str = "Tỷ lệ chung nằm giữa tỷ lệ của các thành phần"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from self._units(ctx)
        yield from self._parts(ctx)

    def _units(self, ctx: CheckContext) -> Iterator[Finding]:
        def mean_of_units(i: Indicator) -> bool:
            """A rate of quantities that add up over the units is their weighted mean;
            one of a count of units meeting a standard is not."""
            if i.consolidation is not Consolidation.RATE:
                return False
            return all(ctx.indicator(b).consolidation is Consolidation.SUM for b in i.basis)

        rates = _codes(ctx, mean_of_units)
        means = _codes(ctx, lambda i: i.consolidation is Consolidation.WEIGHTED_MEAN)
        if not rates and not means:
            return
        size = ctx.parents.group_by("parent").len("n_children")
        kids = (
            ctx.children.filter(
                pl.col("indicator").is_in(ctx.k.series("indicator", rates + means).implode())
            )
            .select(
                "indicator", "parent", "year", "measure", "n", "known", "lo", "hi", "v_min", "v_max"
            )
            .join(size, on="parent")
            .filter(
                pl.when(pl.col("indicator").is_in(ctx.k.series("indicator", rates).implode()))
                .then(pl.col("known") == pl.col("n_children"))
                .otherwise(pl.col("known") >= 2)
            )
        )
        bad = _collect(
            ctx.scan_upper(rates + means)
            .join(
                kids.lazy(),
                left_on=["indicator", "orgunit", "year", "measure"],
                right_on=["indicator", "parent", "year", "measure"],
            )
            .filter(
                (pl.col("value") + 2 * pl.col("tol") < pl.col("lo") - EPS)
                | (pl.col("value") - 2 * pl.col("tol") > pl.col("hi") + EPS)
            )
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            below = ctx.tree.children(r["orgunit"])
            levels = {k.level for k in below}
            who = "xã, phường" if levels <= {"xã", "phường", "thị trấn"} else "đơn vị"
            members = [(r["indicator"], u.code) for u in below]
            yield self._finding(ctx, r, ind, f"{r['known']} {who}", members)

    def _parts(self, ctx: CheckContext) -> Iterator[Finding]:
        rows = [
            {"whole": i.code, "part": p, "set": n, "size": len(group)}
            for i in ctx.catalog
            if i.kind is RowKind.INDICATOR and not _additive(i)
            for n, group in enumerate(i.parts)
            for p in group
        ]
        if not rows:
            return
        link = ctx.table(
            rows, {"whole": "indicator", "part": "indicator", "set": pl.Int64, "size": pl.Int64}
        )
        base = ctx.rows_of([str(r[c]) for r in rows for c in ("part", "whole")])
        groups = (
            base.join(link, left_on="indicator", right_on="part")
            .group_by("whole", "set", "orgunit", "year", "measure")
            .agg(
                pl.len().alias("known"),
                pl.col("size").first(),
                (pl.col("value") - 2 * pl.col("tol")).min().alias("lo"),
                (pl.col("value") + 2 * pl.col("tol")).max().alias("hi"),
                pl.col("value").min().alias("v_min"),
                pl.col("value").max().alias("v_max"),
                pl.col("indicator").alias("codes"),
            )
            .filter(pl.col("known") == pl.col("size"))
        )
        bad = base.join(
            groups,
            left_on=["indicator", "orgunit", "year", "measure"],
            right_on=["whole", "orgunit", "year", "measure"],
        ).filter(
            (pl.col("value") + 2 * pl.col("tol") < pl.col("lo") - EPS)
            | (pl.col("value") - 2 * pl.col("tol") > pl.col("hi") + EPS)
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            names = ", ".join(f"«{ctx.indicator(c).label}»" for c in r["codes"])
            yield self._finding(ctx, r, ind, names, [(c, r["orgunit"]) for c in r["codes"]])

    def _finding(
        self,
        ctx: CheckContext,
        r: dict[str, Any],
        ind: Indicator,
        of: str,
        members: list[tuple[str, str]],
    ) -> Finding:
        dec = max(ind.decimals, 1)
        lo, hi = with_unit(r["v_min"], ind.unit, dec), with_unit(r["v_max"], ind.unit, dec)
        msg = (
            f"{_where(ctx, r)}: {ind.label} ghi {with_unit(r['value'], ind.unit, dec)}, nằm "
            f"ngoài khoảng {lo} - {hi} của {of}; tỷ lệ chung phải nằm giữa tỷ lệ thấp nhất "
            "và cao nhất của các thành phần"
        )
        me = _key(r)
        cells = (me, *((c, o, r["year"], r["measure"]) for c, o in members))
        hints = (Hint(me, r["lo"], r["hi"], False),)
        severity, why = Severity.ERROR, ""
        if r["low"]:
            reason, why = _doubt(ctx, [me])
            severity, msg = Severity.NOTICE, f"{msg}; {reason}"
        return Finding.at(
            self.id,
            severity,
            msg,
            r,
            {"value": r["value"], "lowest": r["v_min"], "highest": r["v_max"]},
            None,
            cells,
            hints,
            why,
        )


PRINTED_FOR_PAIR = {
    ("plan", "estimate"): "printed_ratio_estimate_plan",
    ("estimate", "next"): "printed_ratio_nextplan_estimate",
}
# the cells of a row a printed % may be made of, with their short labels
RATIO_CELLS = {
    "KH": ("plan", 0),
    "TH 6 tháng": ("h1", 0),
    "Ước TH": ("estimate", 0),
    "KH năm sau": ("plan", 1),
}


def _is_count(ctx: CheckContext, code: str) -> bool:
    unit = ctx.catalog.units.get(ctx.catalog[code].unit)
    return unit is not None and unit.is_count


def _input_decimals(ctx: CheckContext, code: str, printed: str | None) -> int:
    """How precisely a printed input is known: its printed decimals, exactly for a count."""
    return input_decimals(printed, _is_count(ctx, code))


@dataclass(frozen=True)
class PrintedRatios:
    """Each printed comparison % is what its column computes from its row's cells:
    new ÷ old, as the header says, or old ÷ new for the lower-is-better rows of a
    form that declares that convention."""

    id: str = "printed_ratio"
    title: str = "Tỷ lệ so sánh in trên biểu đúng với số liệu"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        at_top = ctx.filled.filter(pl.col("orgunit") == ctx.top)  # forms print the top's %
        comp = comparison_frame(at_top, ctx.catalog, ctx.year).filter(
            pl.col("printed").is_not_null()
        )
        dec = pl.col("printed_text").str.extract(r",(\d+)\)?$", 1).str.len_chars().fill_null(0)
        scale = pl.lit(10.0).pow(dec)
        rounded = (pl.col("computed").abs() * scale + 0.5 + 1e-9).floor() / scale
        suspects = comp.filter(pl.col("computed").is_null() | (rounded != pl.col("printed")))
        if suspects.is_empty():
            return
        codes = suspects["indicator"].unique().to_list()
        top = ctx.with_text(
            (pl.col("orgunit") == ctx.top) & pl.col("indicator").is_in(codes)
        ).select("indicator", "orgunit", "year", "measure", "value", "printed", "seed_line", "low")
        cell: dict[Key, dict[str, Any]] = {_key(r): r for r in top.iter_rows(named=True)}
        filled = {
            _key(r): r["value"]
            for r in at_top.filter(pl.col("indicator").is_in(codes)).iter_rows(named=True)
        }
        kids = [u.code for u in ctx.tree.children(ctx.top)]
        unit_next = {
            (r["indicator"], r["orgunit"]): (r["value"], r["printed"])
            for r in ctx.with_text(
                pl.col("indicator").is_in(codes)
                & pl.col("orgunit").is_in(kids)
                & (pl.col("measure") == "plan")
                & (pl.col("year") == ctx.year + 1)
                & pl.col("value").is_not_null()
            ).iter_rows(named=True)
        }
        spec_of = {s.key: s for s in RATIOS}
        for r in suspects.iter_rows(named=True):
            f = self._check(ctx, r, spec_of[r["ratio"]], cell, filled, unit_next, kids)
            if f is not None:
                yield f

    def _check(
        self,
        ctx: CheckContext,
        r: dict[str, Any],
        spec: Any,
        cell: dict[Key, dict[str, Any]],
        filled: dict[Key, float | None],
        unit_next: dict[tuple[str, str], tuple[float, str]],
        kids: list[str],
    ) -> Finding | None:
        ind = ctx.indicator(r["indicator"])
        code, y, top = ind.code, ctx.year, ctx.top
        convention = ctx.catalog.convention(code)
        inverted = convention.inverts(ind.direction)
        new_key = (code, top, y + spec.new[1], spec.new[0])
        old_key = (code, top, y + spec.old[1], spec.old[0])
        assert spec.printed_measure is not None
        p_key = (code, top, y + spec.printed_year_offset, spec.printed_measure)
        p, shown = r["printed"], r["printed_text"]
        pdec = decimals_of(shown) or 0
        dn = _input_decimals(ctx, code, cell.get(new_key, {}).get("printed"))
        do = _input_decimals(ctx, code, cell.get(old_key, {}).get("printed"))
        agreement, computed = classify(
            p, pdec, r["new"], r["old"], dn, do, ind.direction, ind.comparable, convention
        )
        if agreement in (Agreement.EXACT, Agreement.ROUNDING):
            return None
        where = f"{spec.label} (%)"
        values = {"printed": p, "new": r["new"], "old": r["old"]}
        cells: tuple[Key, ...] = (p_key, new_key, old_key)
        seed = cell.get(p_key, {}).get("seed_line")
        half = 0.5 * 10.0**-pdec
        hints: list[Hint] = []
        if computed is not None:
            lo, hi = ratio_bounds(r["new"], r["old"], dn, do, inverted)
            hints.append(Hint(p_key, lo - half, hi + half))
            if p - half > 0:
                a, b = (p - half) / 100, (p + half) / 100
                if inverted:  # old = p * new, new = old / p
                    hints += [Hint(old_key, a * r["new"], b * r["new"])]
                    hints += [Hint(new_key, r["old"] / b, r["old"] / a)]
                else:
                    hints += [Hint(new_key, a * r["old"], b * r["old"])]
                    hints += [Hint(old_key, r["new"] / b, r["new"] / a)]
        new_word, old_word = spec.label.split("/")
        header = f"{new_word}/{old_word}"
        if agreement is Agreement.INVERTED:
            if ind.direction is Direction.DOWN and not inverted:
                severity = Severity.WARNING
                msg = (
                    f"{where}: biểu in {shown}, là {old_word}/{new_word} (tính ngược, cũ/mới); "
                    f"cột ghi {header} nên phải là {num(computed, pdec)}. Chỉ tiêu càng thấp "
                    "càng tốt vẫn so sánh mới/cũ như tiêu đề cột; chiều của chỉ tiêu chỉ quyết "
                    "định đánh giá đạt hay không"
                )
            elif inverted:
                severity = Severity.WARNING
                msg = (
                    f"{where}: biểu in {shown}, là {header} (mới/cũ); theo quy ước của biểu "
                    f"này, chỉ tiêu càng thấp càng tốt so sánh cũ/mới ({old_word}/{new_word}) "
                    f"nên phải là {num(computed, pdec)}"
                )
            else:
                severity = Severity.ERROR
                msg = (
                    f"{where}: biểu in {shown}, là {old_word}/{new_word} (tính ngược); cột "
                    f"ghi {header} nên phải là {num(computed, pdec)}"
                )
        elif agreement is Agreement.MISMATCH:
            severity = Severity.ERROR
            other = self._other_ratio(ctx, code, p, pdec, spec, filled, unit_next, kids)
            msg = (
                f"{where}: biểu in {shown}, nhưng tính từ {num(r['new'], 2)} và "
                f"{num(r['old'], 2)} được {num(computed, pdec)}"
            )
            if other is not None:
                label, other_cells = other
                msg += f"; {shown} là tỷ lệ {label}, không phải {header} như tiêu đề cột"
                cells = (*cells, *other_cells)
        elif not ind.comparable:
            severity = Severity.NOTICE
            msg = (
                f"{where}: biểu in {shown} cho một chỉ tiêu không so sánh được bằng tỷ lệ "
                "(mức giảm, đổi dấu); nên để trống"
            )
        else:
            severity = Severity.NOTICE
            msg = f"{where}: biểu in {shown} nhưng thiếu số liệu của dòng để tính lại"
        why = ""
        if severity is Severity.NOTICE:
            # the row's cells were placed by guess: the same reason as its other notices
            why = next(
                (
                    str(ctx.cell_rows([k]).get(k, {}).get("note") or "")
                    for k in (new_key, old_key)
                    if cell.get(k, {}).get("low")
                ),
                "",
            )
        if severity is not Severity.NOTICE:
            low = [k for k in (new_key, old_key) if cell.get(k, {}).get("low")]
            if cell.get(p_key, {}).get("low") and self._fits_elsewhere(ctx, code, p, pdec, spec):
                low.append(p_key)  # its column is a guess, and another column would fit
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
        return Finding(
            self.id,
            severity,
            msg,
            code,
            top,
            p_key[2],
            p_key[3],
            values,
            computed,
            seed,
            cells,
            tuple(hints),
            why,
        )

    def _fits_elsewhere(self, ctx: CheckContext, code: str, p: float, pdec: int, spec: Any) -> bool:
        """Whether a printed % whose column is a guess is right in the other column."""
        for other in RATIOS:
            if other.key == spec.key or other.printed_measure is None:
                continue
            keys = [(code, ctx.top, ctx.year + off, m) for m, off in (other.new, other.old)]
            new, old = (ctx.filled_value(k[0], k[2], k[3]) for k in keys)
            if new is None or old is None:
                continue
            rows = ctx.cell_rows(keys)
            dn, do = (_input_decimals(ctx, code, rows.get(k, {}).get("printed")) for k in keys)
            for inverted in (False, True):
                if agrees(p, pdec, new, old, dn, do, inverted):
                    return True
        return False

    def _other_ratio(
        self,
        ctx: CheckContext,
        code: str,
        p: float,
        pdec: int,
        spec: Any,
        filled: dict[Key, float | None],
        unit_next: dict[tuple[str, str], tuple[float, str]],
        kids: list[str],
    ) -> tuple[str, tuple[Key, ...]] | None:
        """Another ratio of the row's cells that the printed % is: two other columns, or
        a unit's next-year plan over the old column ("58 = 94/163")."""
        y, top = ctx.year, ctx.top
        header = (
            next(k for k, v in RATIO_CELLS.items() if v == (spec.new[0], spec.new[1])),
            next(k for k, v in RATIO_CELLS.items() if v == (spec.old[0], spec.old[1])),
        )
        got = {
            label: (filled.get((code, top, y + off, m)), (code, top, y + off, m))
            for label, (m, off) in RATIO_CELLS.items()
        }
        count = _is_count(ctx, code)
        exact = 6 if count else 0
        hn, ho = (got[h][0] for h in header)
        fits: list[tuple[str, tuple[Key, ...]]] = []
        for a, (va, ka) in got.items():
            for b, (vb, kb) in got.items():
                if a == b or (a, b) == header or va is None or vb is None or vb == 0:
                    continue
                if (va, vb) == (hn, ho):
                    continue  # the same numbers as the header's: no other ratio
                if agrees(p, pdec, va, vb, exact, exact):
                    fits.append((f"{a}/{b} ({num(va, 2)}/{num(vb, 2)})", (ka, kb)))
        if spec.new == ("plan", 1):
            vb, kb = got[header[1]]
            for k in kids:
                hit = unit_next.get((code, k))
                if hit is None or vb in (None, 0):
                    continue
                if agrees(p, pdec, hit[0], vb, _input_decimals(ctx, code, hit[1]), exact):
                    name = ctx.org_name(k)
                    label = f"KH năm sau của {name} trên {header[1]}"
                    fits.append(
                        (
                            f"{label} ({num(hit[0], 2)}/{num(vb, 2)})",
                            ((code, k, y + 1, "plan"), kb),
                        )
                    )
        # only an explanation when exactly one other ratio fits
        return fits[0] if len(fits) == 1 else None


def _single_code(text: str) -> str | None:
    text = text.strip()
    return text if CODE.fullmatch(text) else None


@dataclass(frozen=True)
class ConventionMix:
    """The same indicator, printed in two forms (rows a declared rule makes equal),
    compared with two conventions: one finding for the report, listing them."""

    id: str = "ratio_convention_mixed"
    title: str = "Cùng một chỉ tiêu, hai cách tính tỷ lệ so sánh"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        pairs = []
        for rule in ctx.declared:
            if getattr(rule, "operator", None) != "==":
                continue
            a, b = _single_code(rule.left), _single_code(rule.right)
            if a is None or b is None or a not in ctx.catalog.indicators:
                continue
            if b not in ctx.catalog.indicators or ctx.catalog.inverted(a) == ctx.catalog.inverted(
                b
            ):
                continue
            pairs.append((a, b))
        if not pairs:
            return
        codes = [c for p in pairs for c in p]
        top = ctx.with_text(
            (pl.col("orgunit") == ctx.top)
            & pl.col("indicator").is_in(codes)
            & pl.col("measure").is_in([s.printed_measure for s in RATIOS if s.printed_measure])
            & pl.col("value").is_not_null()
        )
        printed = {(r["indicator"], r["measure"]): r for r in top.iter_rows(named=True)}
        found: list[str] = []
        cells: list[Key] = []
        lines: list[int] = []
        for a, b in pairs:
            for spec in RATIOS:
                pa = printed.get((a, spec.printed_measure))
                pb = printed.get((b, spec.printed_measure))
                if pa is None or pb is None or pa["value"] == pb["value"]:
                    continue
                texts = []
                for code, p in ((a, pa), (b, pb)):
                    ind = ctx.indicator(code)
                    way = "cũ/mới" if ctx.catalog.inverted(code) else "mới/cũ"
                    shown = p["printed"] or num(p["value"], 1)
                    texts.append(f"Biểu số {ind.form} in {shown} ({way})")
                    cells.append(_key(p))
                    if p["seed_line"]:
                        lines.append(p["seed_line"])
                found.append(f"«{ctx.indicator(a).label}», {spec.label}: " + ", ".join(texts))
        if not found:
            return
        first = cells[0]
        yield Finding(
            self.id,
            Severity.WARNING,
            "Báo cáo tính tỷ lệ so sánh của cùng một chỉ tiêu theo hai cách ở hai biểu, nên "
            "cùng một phép so sánh có hai số: " + "; ".join(found),
            first[0],
            first[1],
            first[2],
            first[3],
            {},
            None,
            lines[0] if lines else None,
            tuple(cells),
            (),
        )


@dataclass(frozen=True)
class Bounds:
    """Shares lie between 0 and 100 %; a rate per thousand is not printed as %."""

    id: str = "bounds"
    title: str = "Tỷ lệ trong khoảng 0-100%, đơn vị ‰ không in thành %"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        for ind in ctx.catalog:
            if ind.unit == "‰" and "%" in ind.unit_printed:
                yield Finding(
                    "permille_as_percent",
                    Severity.WARNING,
                    f"Đơn vị in là «{ind.unit_printed}» nhưng {ind.label.lower()} "
                    "tính theo phần nghìn (‰)",
                    ind.code,
                    seed_line=ind.seed_line,
                )
        shares = _codes(ctx, lambda i: i.is_share)
        bad = _collect(
            ctx.scan(shares).filter(
                (pl.col("value") < -EPS) | (pl.col("value") > 100 + pl.col("tol") + EPS)
            )
        )
        for r in bad.iter_rows(named=True):
            hint = " (có thể nhập nhầm ‰ hoặc thừa chữ số)" if r["value"] > 100 else ""
            msg = (
                f"{_where(ctx, r)}: tỷ lệ {with_unit(r['value'], '%', 2)} nằm ngoài khoảng "
                f"0-100%{hint}"
            )
            me = _key(r)
            severity, why = Severity.ERROR, ""
            if r["low"]:
                reason, why = _doubt(ctx, [me])
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(
                "share_bounds",
                severity,
                msg,
                r,
                {"value": r["value"]},
                None,
                (me,),
                (Hint(me, 0.0, 100.0, False),),
                why,
            )


@dataclass(frozen=True)
class WholeCounts:
    """Counts of people, households, schools ... are whole and not negative."""

    id: str = "whole_counts"
    title: str = "Số đếm là số nguyên không âm"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        def is_count(i: Indicator) -> bool:
            u = ctx.catalog.units.get(i.unit)
            return u is not None and u.is_count

        bad = _collect(
            ctx.scan(_codes(ctx, is_count)).filter(
                (pl.col("value") < 0) | ((pl.col("value") - pl.col("value").round(0)).abs() > EPS)
            )
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            why_not = "âm" if r["value"] < 0 else "không phải số nguyên"
            msg = (
                f"{_where(ctx, r)}: {ind.label.lower()} là số đếm ({ind.unit}) nhưng ghi "
                f"{num(r['value'], 3)}, {why_not}"
            )
            me = _key(r)
            severity, why = Severity.ERROR, ""
            if r["low"]:
                reason, why = _doubt(ctx, [me])
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(self.id, severity, msg, r, {"value": r["value"]}, None, (me,), (), why)


@dataclass(frozen=True)
class FirstHalfWithinYear:
    """For a flow (output, revenue, visitors), the first half is at most the year's estimate."""

    id: str = "h1_le_estimate"
    title: str = "TH 6 tháng không vượt Ước TH cả năm (chỉ tiêu lũy kế)"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        flows = _codes(ctx, lambda i: i.nature is Nature.FLOW)
        m = pl.col("measure")

        def query(block: pl.Expr) -> pl.LazyFrame:
            est = ctx.scan(flows, (m == "estimate") & block).select(
                "indicator",
                "orgunit",
                "year",
                pl.col("value").alias("est"),
                pl.col("tol").alias("est_tol"),
                pl.col("low").alias("est_low"),
            )
            return (
                ctx.scan(flows, (m == "h1") & block)
                .join(est, on=["indicator", "orgunit", "year"])
                .filter(pl.col("value") > pl.col("est") + pl.col("tol") + pl.col("est_tol") + EPS)
            )

        # by blocks of units: a first half and its estimate are in one unit
        bad = ctx.by_units(flows, query, m.is_in(["h1", "estimate"]))
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            msg = (
                f"{_where(ctx, r)}: TH 6 tháng ({with_unit(r['value'], ind.unit, ind.decimals)}) "
                f"lớn hơn Ước TH cả năm ({with_unit(r['est'], ind.unit, ind.decimals)}) của một "
                "chỉ tiêu lũy kế trong năm"
            )
            me = _key(r)
            est_key = (r["indicator"], r["orgunit"], r["year"], "estimate")
            slack = r["tol"] + r["est_tol"]
            hints = (Hint.at_most(me, r["est"] + slack), Hint.at_least(est_key, r["value"] - slack))
            low = _low_cells(r, [("low", me), ("est_low", est_key)])
            severity, why = Severity.ERROR, ""
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding.at(
                self.id,
                severity,
                msg,
                r,
                {"h1": r["value"], "estimate": r["est"]},
                r["est"],
                (me, est_key),
                hints,
                why,
            )


@dataclass(frozen=True)
class Jumps:
    """No implausible jump between the plan, the estimate and next year's plan.

    The first half is left out: a flow has about half its year by then, and a
    first-half rate of a flow is not comparable either (h1_le_estimate covers it).
    A jump the report states itself with the right %, a small change in a count,
    and a value a declared rule derives from other rows (which holds) are no finding.
    """

    id: str = "jump"
    title: str = "Không chênh lệch bất thường giữa các cột"
    factor: float = 4.0
    small_count: float = 5.0

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        y = ctx.year
        m, yr = pl.col("measure"), pl.col("year")
        comparable = set(_codes(ctx, lambda i: i.comparable))
        cols = {"plan": (y, "plan"), "estimate": (y, "estimate"), "next": (y + 1, "plan")}
        cells = ((m == "plan") & yr.is_in([y, y + 1])) | ((m == "estimate") & (yr == y))
        column = (
            pl.when(m == "estimate")
            .then(pl.lit("estimate"))
            .when(yr == y)
            .then(pl.lit("plan"))
            .otherwise(pl.lit("next"))
            .alias("column")
        )
        labels = {"plan": f"KH {y}", "estimate": f"Ước TH {y}", "next": f"KH {y + 1}"}
        pairs = [("plan", "estimate"), ("estimate", "next"), ("plan", "next")]

        def jumped(a: str, b: str) -> pl.Expr:
            va, vb = pl.col(a), pl.col(b)
            both = (va > 0) & (vb > 0)
            return both & (pl.max_horizontal(va, vb) / pl.min_horizontal(va, vb) >= self.factor)

        def cell(condition: pl.Expr) -> pl.Expr:
            """The value of a row's one cell that meets ``condition`` (null: none)."""
            return pl.when(condition).then(pl.col("value")).max()

        # one row per (indicator, unit) with its three cells, only those with a jump
        # collected; by blocks of units (a row's cells are in one unit)
        flagged = ctx.by_units(
            comparable,
            lambda block: (
                ctx.scan(comparable, cells & block)
                .group_by("indicator", "orgunit")
                .agg(
                    cell((m == "plan") & (yr == y)).alias("plan"),
                    cell(m == "estimate").alias("estimate"),
                    cell((m == "plan") & (yr == y + 1)).alias("next"),
                )
                .filter(pl.any_horizontal([jumped(a, b) for a, b in pairs]))
            ),
            cells,
        )
        if flagged.is_empty():
            return
        info = {
            (r[0], r[1], r[2]): (r[3], r[4])
            for r in _collect(
                ctx.scan(flagged["indicator"].unique().cast(pl.String).to_list(), cells)
                .join(flagged.lazy().select("indicator", "orgunit"), on=["indicator", "orgunit"])
                .select("indicator", "orgunit", column, "seed_line", "low")
            ).iter_rows()
        }
        # the report's own % for a pair: a jump it prints and gets right is deliberate
        stated = {
            (r[0], r[1]): r[2]
            for r in ctx.frame.filter(
                (pl.col("orgunit") == ctx.top)
                & pl.col("measure").is_in(list(PRINTED_FOR_PAIR.values()))
                & pl.col("indicator").is_in(flagged["indicator"].unique().implode())
            )
            .select("indicator", "measure", "value")
            .iter_rows()
        }
        derived = _derived(ctx, set(flagged["indicator"].unique().cast(pl.String).to_list()))
        for r in flagged.iter_rows(named=True):
            if r["indicator"] not in comparable:
                continue
            ind = ctx.indicator(r["indicator"])
            unit = ctx.catalog.units.get(ind.unit)
            big = {
                (a, b)
                for a, b in pairs
                if r.get(a) is not None
                and r.get(b) is not None
                and r[a] > 0
                and r[b] > 0
                and max(r[a], r[b]) / min(r[a], r[b]) >= self.factor
            }
            # a jump the report states itself with the right % is deliberate, and so is
            # plan -> next when it is made of one stated jump and one ordinary step
            ack: set[tuple[str, str]] = set()
            for pair, measure in PRINTED_FOR_PAIR.items():
                said = stated.get((ind.code, measure))
                computed = ratio(
                    r.get(pair[1]),
                    r.get(pair[0]),
                    ind.direction,
                    True,
                    ctx.catalog.convention(ind.code),
                )
                if (
                    r["orgunit"] == ctx.top
                    and said is not None
                    and computed is not None
                    and round_half_up(computed, 0) == round_half_up(said, 0)
                ):
                    ack.add(pair)
            steps = [("plan", "estimate"), ("estimate", "next")]
            if any(p in ack for p in steps) and all(p in ack or p not in big for p in steps):
                ack.add(("plan", "next"))
            holds = derived.get(ind.code, set())
            for a, b in pairs:
                if (a, b) not in big or (a, b) in ack:
                    continue
                va, vb = r[a], r[b]
                if unit is not None and unit.is_count and abs(vb - va) <= self.small_count:
                    continue  # 1 -> 6 schools is a plan, not a slip
                ka = (ind.code, r["orgunit"], *cols[a])
                kb = (ind.code, r["orgunit"], *cols[b])
                if (r["orgunit"], *cols[a]) in holds and (r["orgunit"], *cols[b]) in holds:
                    continue  # derived from other rows by a declared rule that holds
                where = "" if r["orgunit"] == ctx.top else f" ({ctx.org_name(r['orgunit'])})"
                shown_b = f"{labels[b]} ({with_unit(vb, ind.unit, ind.decimals)})"
                shown_a = f"{labels[a]} ({with_unit(va, ind.unit, ind.decimals)})"
                if vb > va:
                    how = f"gấp {num(vb / va, 1)} lần {shown_a}"
                else:
                    how = f"chỉ bằng {num(vb / va * 100, 1)}% {shown_a}"
                msg = (
                    f"{shown_b} {how}{where}: chênh lệch bất thường, kiểm tra lại số liệu "
                    "hoặc đơn vị"
                )
                row_cells = tuple(
                    (ind.code, r["orgunit"], *cols[c])
                    for c in ("plan", "estimate", "next")
                    if r.get(c) is not None
                )
                hints = (
                    Hint(kb, va / self.factor, va * self.factor, False),
                    Hint(ka, vb / self.factor, vb * self.factor, False),
                )
                low = [
                    k
                    for k, c in ((ka, a), (kb, b))
                    if info.get((ind.code, r["orgunit"], c), (0, False))[1]
                ]
                severity, why = Severity.WARNING, ""
                if low:
                    reason, why = _doubt(ctx, low)
                    severity, msg = Severity.NOTICE, f"{msg}; {reason}"
                line_b = info.get((r["indicator"], r["orgunit"], b), (None, False))[0]
                line_a = info.get((r["indicator"], r["orgunit"], a), (None, False))[0]
                yield Finding(
                    self.id,
                    severity,
                    msg,
                    ind.code,
                    r["orgunit"],
                    kb[2],
                    kb[3],
                    {labels[a]: va, labels[b]: vb},
                    None,
                    line_b or line_a,
                    (kb, *(c for c in row_cells if c != kb)),
                    hints,
                    why,
                )
                break  # one finding per row is enough to send someone to look


def _derived(ctx: CheckContext, codes: set[str]) -> dict[str, set[tuple[str, int, str]]]:
    """For indicators a declared rule ``X == expression of other rows`` derives: the cells
    (orgunit, year, measure) where the rule holds."""
    out: dict[str, set[tuple[str, int, str]]] = {}
    for rule in ctx.declared:
        if not isinstance(rule, DeclaredRule) or rule.operator != "==":
            continue
        target = _single_code(rule.left)
        others = set(CODE.findall(rule.right)) - {target}
        if target is None or target not in codes or not others:
            continue
        out.setdefault(target, set()).update(rule.holds(ctx))
    return out


def _bound_word(text: str, printed: str) -> str:
    """ "trên" or "dưới" when the text says "trên 96%" / "dưới 5%", else ""."""
    at = text.find(printed)
    before = text[:at].rstrip().lower() if at >= 0 else ""
    for word in ("trên", "dưới"):
        if before.endswith(word):
            return word
    return ""


@dataclass(frozen=True)
class NarrativeAgrees:
    """The narrative's figures agree with the tables; each "đạt X% kế hoạch" is the
    ratio of its cells as the indicator's form compares them."""

    id: str = "narrative"
    title: str = "Số liệu trong báo cáo khớp với biểu"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        from ktxh.domain.narrative import ClaimKind

        cells = {
            (r[0], r[1], r[2]): (r[3], r[4], r[5], r[6])
            for r in ctx.frame.filter(pl.col("orgunit") == ctx.top)
            .select("indicator", "year", "measure", "value", "dec", "seed_line", "low")
            .iter_rows()
        }
        none = (None, 0, None, False)
        for c in ctx.claims:
            where = f"Báo cáo ({c.section}{' ' + c.item if c.item else ''}): «{c.text}»"
            if c.indicator is None or c.indicator not in ctx.catalog.indicators:
                yield Finding(
                    self.id + "_unlinked",
                    Severity.NOTICE,
                    f"{where}: không có chỉ tiêu tương ứng trong các biểu để đối chiếu",
                    seed_line=c.seed_line,
                )
                continue
            ind = ctx.indicator(c.indicator)
            form_ref = (
                f"Biểu số {ind.form} (dòng {ind.seed_line})"
                if ind.seed_line
                else f"Biểu số {ind.form}"
            )
            claimed = None if c.value is None else float(c.value)
            cdec = decimals_of(c.printed) or 0
            me: Key = (ind.code, ctx.top, c.year, c.measure)
            if c.kind is ClaimKind.VALUE:
                table, tdec, _, low = cells.get((ind.code, c.year, c.measure), none)
                if table is None or claimed is None:
                    continue
                slack = 0.5 * 10**-cdec + 0.5 * 10**-tdec + EPS
                bound = _bound_word(c.text, c.printed)
                if bound == "trên":  # "trên 96%": at least 96
                    wrong = table < claimed - slack
                elif bound == "dưới":
                    wrong = table > claimed + slack
                else:
                    wrong = abs(claimed - table) > slack
                if wrong:
                    msg = (
                        f"{where}: báo cáo viết {c.printed} {c.unit_printed} nhưng {form_ref} "
                        f"ghi {with_unit(table, ind.unit, tdec)} ({cell_label(c.measure, c.year)})"
                    )
                    severity, why = Severity.ERROR, ""
                    if low:
                        reason, why = _doubt(ctx, [me])
                        severity, msg = Severity.NOTICE, f"{msg}; {reason}"
                    yield Finding(
                        self.id,
                        severity,
                        msg,
                        ind.code,
                        ctx.top,
                        c.year,
                        c.measure,
                        {"claimed": claimed, "table": table},
                        table,
                        c.seed_line,
                        (me,),
                        (),
                        why,
                    )
                if ind.unit == "‰" and "%" in c.unit_printed:
                    yield Finding(
                        "permille_as_percent",
                        Severity.WARNING,
                        f"{where}: viết «{c.printed}{c.unit_printed}» nhưng chỉ tiêu tính theo "
                        f"phần nghìn: {c.printed}‰",
                        ind.code,
                        ctx.top,
                        c.year,
                        c.measure,
                        {"claimed": claimed},
                        None,
                        c.seed_line,
                    )
            elif c.kind is ClaimKind.RATIO_PLAN and claimed is not None:
                new, ndec, _, new_low = cells.get((ind.code, c.year, c.measure), none)
                old, odec, _, old_low = cells.get((ind.code, c.year, "plan"), none)
                agreement, computed = classify(
                    claimed,
                    cdec,
                    new,
                    old,
                    ndec,
                    odec,
                    ind.direction,
                    ind.comparable,
                    ctx.catalog.convention(ind.code),
                )
                if agreement in (Agreement.MISMATCH, Agreement.INVERTED):
                    msg = (
                        f"{where}: báo cáo viết đạt {c.printed}% kế hoạch nhưng theo {form_ref} "
                        f"{cell_label(c.measure, c.year)} {num(new, ndec)} so với KH "
                        f"{num(old, odec)} là {num(computed, cdec)}%"
                    )
                    severity = (
                        Severity.ERROR if agreement is Agreement.MISMATCH else Severity.WARNING
                    )
                    old_key: Key = (ind.code, ctx.top, c.year, "plan")
                    low_cells = [k for k, f in ((me, new_low), (old_key, old_low)) if f]
                    why = ""
                    if low_cells:
                        reason, why = _doubt(ctx, low_cells)
                        severity, msg = Severity.NOTICE, f"{msg}; {reason}"
                    yield Finding(
                        self.id,
                        severity,
                        msg,
                        ind.code,
                        ctx.top,
                        c.year,
                        c.measure,
                        {"claimed": claimed, "measure": new, "plan": old},
                        computed,
                        c.seed_line,
                        (me, old_key),
                        (),
                        why,
                    )


@dataclass(frozen=True)
class DeclaredRule:
    """A rule written as data: ``left operator right`` over indicator codes.

    ``tolerance`` None is the printed precision of each value; a number is an
    absolute tolerance for every value. ``message`` is Vietnamese with the
    placeholders {left}, {right}, {diff} and {where}.
    """

    id: str
    title: str
    left: str
    operator: str
    right: str
    severity: Severity
    message: str
    tolerance: float | None = None
    orgunits: str = "all"  # "all" or "top"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(CODE.findall(self.left) + CODE.findall(self.right)))

    def __post_init__(self) -> None:
        if self.orgunits not in ("all", "top"):
            raise ValueError(f"Quy tắc {self.id}: phạm vi «{self.orgunits}» phải là all hoặc top")
        if self.operator not in OPERATORS:
            raise ValueError(
                f"Quy tắc {self.id}: phép so sánh «{self.operator}» không hợp lệ "
                f"(dùng {', '.join(OPERATORS)})"
            )
        compile_side(self.left, self.tolerance)  # syntax errors surface at load time
        compile_side(self.right, self.tolerance)

    def _evaluated(self, ctx: CheckContext) -> tuple[pl.DataFrame, pl.DataFrame] | None:
        """Where the rule is broken (a row per (orgunit, year, measure): both sides as
        intervals and points), and the (orgunit, year, measure) where it holds; None
        where no cell has a number in every code. Kept for the run (the jump check
        asks whether a rule holds), but only these: not the rule's every row.

        The first rule asked evaluates every declared rule of the run at once, by
        blocks of org units (a rule relates the cells of one unit): the rows of their
        codes are taken once per block, and let go after it."""
        key = ("declared", self)
        if key not in ctx.memo:
            self._known(ctx)  # an unknown code is this rule's error, not another's
            batch = [
                r
                for r in dict.fromkeys([self, *ctx.declared])
                if isinstance(r, DeclaredRule)
                and ("declared", r) not in ctx.memo
                and r._known(ctx, strict=False)
            ]
            found: dict[DeclaredRule, list[tuple[pl.DataFrame, pl.DataFrame]]] = {
                r: [] for r in batch
            }
            every = sorted({c for r in batch for c in r.codes})
            for block in ctx.unit_blocks(every):
                pool = (
                    ctx.scan(every, block)
                    .select(*KEY, "value", "tol", "seed_line", "low")
                    .collect()
                    .rechunk()  # one chunk: each rule filters it several times
                )
                for rule in batch:
                    f = rule._evaluate(ctx, pool)
                    if f is not None:
                        held = f.filter(~pl.col("bad")).select("orgunit", "year", "measure")
                        found[rule].append((f.filter(pl.col("bad")), held))
                del pool
            for rule, parts in found.items():
                ctx.memo[("declared", rule)] = (
                    (pl.concat([p[0] for p in parts]), pl.concat([p[1] for p in parts]))
                    if parts
                    else None
                )
        return ctx.memo[key]  # type: ignore[no-any-return]

    def _known(self, ctx: CheckContext, strict: bool = True) -> bool:
        """Whether every code of the rule is in the catalog (``strict``: else an error)."""
        missing = [c for c in self.codes if c not in ctx.catalog.indicators]
        if missing and strict:
            raise ValueError(f"Quy tắc {self.id}: mã chỉ tiêu không có: {', '.join(missing)}")
        return not missing

    def _evaluate(self, ctx: CheckContext, pool: pl.DataFrame) -> pl.DataFrame | None:
        """The rule on the rows of ``pool`` (those of its codes, and of other rules')."""
        left = compile_side(self.left, self.tolerance)
        right = compile_side(self.right, self.tolerance)
        codes = list(dict.fromkeys(left.codes + right.codes))
        base = pool.filter(pl.col("indicator").is_in(ctx.k.series("indicator", codes).implode()))
        if self.orgunits == "top":
            base = base.filter(pl.col("orgunit") == ctx.top)
        wide = None
        for code in codes:
            part = base.filter(pl.col("indicator") == code).select(
                "orgunit",
                "year",
                "measure",
                pl.col("value").alias(f"{code}::value"),
                pl.col("tol").alias(f"{code}::tol"),
                pl.col("seed_line").alias(f"{code}::line"),
                pl.col("low").alias(f"{code}::low"),
            )
            wide = part if wide is None else wide.join(part, on=["orgunit", "year", "measure"])
        if wide is None or wide.is_empty():
            return None
        f = wide.with_columns(
            left.interval.lo.alias("l_lo"),
            left.interval.hi.alias("l_hi"),
            right.interval.lo.alias("r_lo"),
            right.interval.hi.alias("r_hi"),
            left.point.alias("l"),
            right.point.alias("r"),
        ).filter(pl.col("l").is_not_null() & pl.col("r").is_not_null())
        if self.operator == "==":
            bad = (pl.col("l_lo") > pl.col("r_hi") + EPS) | (pl.col("l_hi") < pl.col("r_lo") - EPS)
        elif self.operator == "<=":
            bad = pl.col("l_lo") > pl.col("r_hi") + EPS
        else:
            bad = pl.col("l_hi") < pl.col("r_lo") - EPS
        return f.with_columns(bad.fill_null(False).alias("bad"))

    def holds(self, ctx: CheckContext) -> set[tuple[str, int, str]]:
        """The (orgunit, year, measure) where the rule could be checked and holds."""
        f = self._evaluated(ctx)
        if f is None:
            return set()
        return set(f[1].iter_rows())

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        f = self._evaluated(ctx)
        if f is None:
            return
        codes = list(self.codes)
        left_code, right_code = _single_code(self.left), _single_code(self.right)
        target = CODE.findall(self.left)[0] if CODE.findall(self.left) else codes[0]
        ind = ctx.indicator(target)
        for r in f[0].iter_rows(named=True):
            dec = max(ind.decimals, 1)
            where = _where(ctx, {**r, "indicator": target})
            msg = self.message.format(
                left=with_unit(r["l"], ind.unit, dec),
                right=with_unit(r["r"], ind.unit, dec),
                diff=with_unit(abs(r["l"] - r["r"]), ind.unit, dec),
                where=where,
            )
            org, y, m = r["orgunit"], r["year"], r["measure"]
            cells = tuple((c, org, y, m) for c in [target, *[c for c in codes if c != target]])
            hints: list[Hint] = []
            if self.operator == "==":
                # what each cell should hold for the rule to be true, the others as printed
                env = {c: r[f"{c}::value"] for c in codes}
                width = (r["l_hi"] - r["l_lo"] + r["r_hi"] - r["r_lo"]) / 2
                for c in codes:
                    if c in (left_code, right_code):
                        continue
                    x = solve(self.left, self.right, env, c)
                    if x is None:
                        continue
                    up = solve(self.left, f"({self.right}) + {width!r}", env, c)
                    spread = abs(up - x) if up is not None else 0.0
                    hints.append(Hint((c, org, y, m), x - spread, x + spread))
            if left_code is not None:
                cell = (left_code, org, y, m)
                if self.operator == "==":
                    hints.append(Hint(cell, r["r_lo"], r["r_hi"]))
                elif self.operator == "<=":
                    hints.append(Hint.at_most(cell, r["r_hi"]))
                else:
                    hints.append(Hint.at_least(cell, r["r_lo"]))
            if right_code is not None:
                cell = (right_code, org, y, m)
                if self.operator == "==":
                    hints.append(Hint(cell, r["l_lo"], r["l_hi"]))
                elif self.operator == "<=":
                    hints.append(Hint.at_least(cell, r["l_lo"]))
                else:
                    hints.append(Hint.at_most(cell, r["l_hi"]))
            low = [(c, org, y, m) for c in codes if r[f"{c}::low"]]
            severity, why = self.severity, ""
            if low:
                reason, why = _doubt(ctx, low)
                severity, msg = Severity.NOTICE, f"{msg}; {reason}"
            yield Finding(
                self.id,
                severity,
                msg,
                target,
                org,
                y,
                m,
                {c: r[f"{c}::value"] for c in codes},
                r["r"],
                r[f"{target}::line"],
                cells,
                tuple(hints),
                why,
            )


def generic_rules() -> list[object]:
    """The rules derived from the catalog, in the order their findings are listed."""
    from ktxh.domain.checks.cycle import CarriedOver, YearsOfTheRound

    return [
        UnitsAddUp(),
        MissingUnits(),
        PartsAddUp(),
        StructureAddsUp(),
        RateFromParts(),
        WeightedMean(),
        RateWithinRange(),
        PrintedRatios(),
        ConventionMix(),
        Bounds(),
        WholeCounts(),
        FirstHalfWithinYear(),
        Jumps(),
        NarrativeAgrees(),
        YearsOfTheRound(),
        CarriedOver(),
    ]


def iter_findings(rules: Iterable[object], ctx: CheckContext) -> Iterator[Finding]:
    for rule in rules:
        yield from rule.find(ctx)  # type: ignore[attr-defined]
