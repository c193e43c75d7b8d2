"""The rules. Each is a small class that finds its violations over the whole
value table at once (polars), then explains each one in Vietnamese.

Generic rules are derived from the catalog (how each indicator consolidates,
its sub-items, unit, nature, direction); declared rules come from the
dataset's ``rules.csv`` (:class:`DeclaredRule`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import polars as pl

from ktxh.domain.catalog import (
    Children,
    Consolidation,
    Direction,
    Indicator,
    Nature,
    RowKind,
)
from ktxh.domain.checks.expressions import CODE, OPERATORS, compile_side
from ktxh.domain.checks.model import CheckContext, Finding, Severity, cell_label, num, with_unit
from ktxh.domain.compare import RATIOS, Agreement, classify, comparison_frame, ratio, round_half_up
from ktxh.domain.consolidate import rate_factor
from ktxh.domain.numbers import decimals_of

KEY = ["indicator", "orgunit", "year", "measure"]
BASE_MEASURES = ["plan", "h1", "estimate", "actual"]
EPS = 1e-9


def _base(ctx: CheckContext) -> pl.DataFrame:
    """Stored numbers of the base measures (no printed ratios, no "-")."""
    return ctx.base


def _codes(ctx: CheckContext, pred: object) -> list[str]:
    return [i.code for i in ctx.catalog if i.kind is RowKind.INDICATOR and pred(i)]  # type: ignore[operator]


def _where(ctx: CheckContext, r: dict[str, object]) -> str:
    """ "KH 2024 của phường Đoàn Kết" (the top unit goes without a name)."""
    label = cell_label(str(r["measure"]), int(r["year"]))  # type: ignore[call-overload]
    org = r.get("orgunit")
    if org and org != ctx.top:
        return f"{label}, {ctx.org_name(str(org))}"
    return label


@dataclass(frozen=True)
class UnitsAddUp:
    """The units below add up to the total (``sum``), or are counted (``count``)."""

    id: str = "units_sum"
    title: str = "Các đơn vị cộng lại bằng tổng cộng"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        sums = _codes(ctx, lambda i: i.consolidation is Consolidation.SUM)
        counts = _codes(ctx, lambda i: i.consolidation is Consolidation.COUNT)
        base = _base(ctx).filter(pl.col("indicator").is_in(sums + counts))
        kids = (
            base.with_columns(ctx.parent_expr().alias("parent"))
            .filter(pl.col("parent").is_not_null())
            .with_columns(
                pl.when(pl.col("indicator").is_in(counts))
                .then((pl.col("value") > 0).cast(pl.Float64))
                .otherwise(pl.col("value"))
                .alias("v"),
                pl.when(pl.col("indicator").is_in(counts))
                .then(0.0)
                .otherwise(pl.col("tol"))
                .alias("t"),
            )
            .group_by("indicator", "parent", "year", "measure")
            .agg(
                pl.col("v").sum().alias("children"),
                pl.col("t").sum().alias("children_tol"),
                pl.len().alias("n"),
            )
        )
        bad = (
            base.join(
                kids,
                left_on=["indicator", "orgunit", "year", "measure"],
                right_on=["indicator", "parent", "year", "measure"],
            )
            .with_columns((pl.col("value") - pl.col("children")).alias("diff"))
            .filter(pl.col("diff").abs() > pl.col("tol") + pl.col("children_tol") + EPS)
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            below = ctx.tree.children(r["orgunit"])
            levels = {k.level for k in below}
            who = "xã, phường" if levels <= {"xã", "phường", "thị trấn"} else "đơn vị"
            d = int(r["dec"])
            total = with_unit(r["value"], ind.unit, d, fixed=True)
            if ind.consolidation is Consolidation.COUNT:
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
            yield Finding.at(
                self.id,
                Severity.ERROR,
                msg,
                r,
                {"total": r["value"], "children_sum": r["children"], "difference": r["diff"]},
                r["children"],
            )


@dataclass(frozen=True)
class MissingUnits:
    """A unit left blank where (nearly) every other unit below the same total has a value."""

    id: str = "missing_unit"
    title: str = "Đơn vị bỏ trống số liệu"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        with_breakdown = _codes(
            ctx,
            lambda i: (
                i.consolidation
                in (
                    Consolidation.SUM,
                    Consolidation.COUNT,
                    Consolidation.RATE,
                    Consolidation.WEIGHTED_MEAN,
                )
            ),
        )
        stored = ctx.frame.filter(
            pl.col("measure").is_in(BASE_MEASURES) & pl.col("indicator").is_in(with_breakdown)
        )
        size = ctx.parents.group_by("parent").len("n_children")
        present = (
            stored.with_columns(ctx.parent_expr().alias("parent"))
            .filter(pl.col("parent").is_not_null())
            .group_by("indicator", "parent", "year", "measure")
            .len("n")
            .join(size, on="parent")
            .filter(
                (pl.col("n") < pl.col("n_children"))
                & (pl.col("n") >= pl.col("n_children") - 1)
                & (pl.col("n") >= 2)
            )
        )
        if present.is_empty():
            return
        have = set(
            stored.join(
                present.select("indicator", "year", "measure").unique(),
                on=["indicator", "year", "measure"],
            )
            .select("indicator", "orgunit", "year", "measure")
            .iter_rows()
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
                yield Finding(
                    self.id,
                    Severity.NOTICE,
                    f"{where}: {names} để trống «{ind.label}» trong khi "
                    f"{r['n']} đơn vị khác đã có số liệu",
                    ind.code,
                    u.code,
                    r["year"],
                    r["measure"],
                    {"present": float(r["n"]), "expected": float(r["n_children"])},
                    None,
                    ind.seed_line,
                )


@dataclass(frozen=True)
class PartsAddUp:
    """A complete set of sub-items adds up to its parent; an "of which" item stays below it."""

    id: str = "parts_sum"
    title: str = "Các chỉ tiêu thành phần cộng lại bằng chỉ tiêu tổng"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        links: list[dict[str, object]] = []
        for ind in ctx.catalog:
            if ind.kind is not RowKind.INDICATOR or ind.children not in (
                Children.COMPLETE,
                Children.PARTIAL,
            ):
                continue
            whole, partial = ctx.catalog.parts_of(ind.code)
            links += [{"part": c, "whole": ind.code, "kind": "complete"} for c in whole]
            links += [{"part": c, "whole": ind.code, "kind": "partial"} for c in partial]
        if not links:
            return
        link = pl.DataFrame(
            links, schema={"part": pl.String, "whole": pl.String, "kind": pl.String}
        )
        base = _base(ctx)
        parts = base.join(link, left_on="indicator", right_on="part")
        whole_vals = base.filter(
            pl.col("indicator").is_in(link["whole"].unique().to_list())
        ).select(
            pl.col("indicator").alias("whole"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("whole_value"),
            pl.col("tol").alias("whole_tol"),
            pl.col("dec").alias("whole_dec"),
            pl.col("seed_line").alias("whole_line"),
        )
        complete = (
            parts.filter(pl.col("kind") == "complete")
            .group_by("whole", "orgunit", "year", "measure")
            .agg(
                pl.col("value").sum().alias("parts"),
                pl.col("tol").sum().alias("parts_tol"),
                pl.col("dec").max().alias("parts_dec"),
                pl.col("indicator").sort().alias("codes"),
            )
            .join(whole_vals, on=["whole", "orgunit", "year", "measure"])
            .with_columns((pl.col("whole_value") - pl.col("parts")).alias("diff"))
            .filter(pl.col("diff").abs() > pl.col("whole_tol") + pl.col("parts_tol") + EPS)
        )
        for r in complete.iter_rows(named=True):
            ind = ctx.indicator(r["whole"])
            d = max(int(r["whole_dec"]), int(r["parts_dec"]))
            msg = (
                f"{_where(ctx, r)}: {len(r['codes'])} chỉ tiêu thành phần cộng lại là "
                f"{with_unit(r['parts'], ind.unit, d, fixed=True)}, khác chỉ tiêu tổng "
                f"{with_unit(r['whole_value'], ind.unit, d, fixed=True)} "
                f"(lệch {with_unit(abs(r['diff']), ind.unit, d, fixed=True)})"
            )
            yield Finding(
                self.id,
                Severity.ERROR,
                msg,
                r["whole"],
                r["orgunit"],
                r["year"],
                r["measure"],
                {"whole": r["whole_value"], "parts_sum": r["parts"], "difference": r["diff"]},
                r["parts"],
                r["whole_line"],
            )
        over = (
            parts.filter(pl.col("kind") == "partial")
            .join(whole_vals, on=["whole", "orgunit", "year", "measure"])
            .filter(
                pl.col("value") > pl.col("whole_value") + pl.col("tol") + pl.col("whole_tol") + EPS
            )
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
            yield Finding.at(
                "part_le_whole",
                Severity.ERROR,
                msg,
                r,
                {"part": r["value"], "whole": r["whole_value"]},
                r["whole_value"],
            )


@dataclass(frozen=True)
class RateFromParts:
    """A rate equals its numerator over its denominator (``basis``), in every unit."""

    id: str = "rate_parts"
    title: str = "Tỷ lệ khớp với tử số và mẫu số"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        rows = []
        for ind in ctx.catalog:
            if ind.consolidation is not Consolidation.RATE or len(ind.basis) != 2:
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
        spec = pl.DataFrame(rows)
        base = ctx.rows_of(
            spec["indicator"].to_list() + spec["num"].to_list() + spec["den"].to_list()
        )
        side = base.select("indicator", "orgunit", "year", "measure", "value", "tol")
        f = (
            base.join(spec, on="indicator")
            .join(
                side.rename({"indicator": "num", "value": "n", "tol": "nt"}),
                on=["num", "orgunit", "year", "measure"],
            )
            .join(
                side.rename({"indicator": "den", "value": "d", "tol": "dt"}),
                on=["den", "orgunit", "year", "measure"],
            )
            .filter(
                (pl.col("d") > pl.col("dt")) & ~(pl.col("skip_h1") & (pl.col("measure") == "h1"))
            )
            .with_columns(
                (pl.col("k") * pl.col("n") / pl.col("d")).alias("expected"),
                (pl.col("k") * (pl.col("n") - pl.col("nt")) / (pl.col("d") + pl.col("dt"))).alias(
                    "lo"
                ),
                (pl.col("k") * (pl.col("n") + pl.col("nt")) / (pl.col("d") - pl.col("dt"))).alias(
                    "hi"
                ),
            )
            # a rate is often truncated rather than rounded: allow a whole unit of
            # its last printed decimal
            .filter(
                (pl.col("value") + 2 * pl.col("tol") < pl.col("lo") - EPS)
                | (pl.col("value") - 2 * pl.col("tol") > pl.col("hi") + EPS)
            )
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
            yield Finding.at(
                self.id,
                Severity.WARNING,
                msg,
                r,
                {"rate": r["value"], "numerator": r["n"], "denominator": r["d"]},
                r["expected"],
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
        spec = pl.DataFrame(rows)
        base = ctx.rows_of([c for r in rows for c in (r["indicator"], r["weight"])])
        w = base.select(
            pl.col("indicator").alias("weight"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("w"),
            pl.col("tol").alias("wt"),
        )
        kids = (
            base.join(spec, on="indicator")
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
        bad = (
            base.join(
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
            yield Finding.at(
                self.id,
                Severity.WARNING,
                msg,
                r,
                {"value": r["value"], "weighted_mean": r["expected"]},
                r["expected"],
            )


@dataclass(frozen=True)
class PrintedRatios:
    """Each printed comparison % is the ratio of its row's cells, with the direction rule."""

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
        top = ctx.frame.filter(
            (pl.col("orgunit") == ctx.top)
            & pl.col("indicator").is_in(suspects["indicator"].unique().to_list())
        ).select("indicator", "orgunit", "year", "measure", "printed", "seed_line")
        dec_of = {(r[0], r[1], r[2], r[3]): decimals_of(r[4]) or 0 for r in top.iter_rows()}
        seed = {(r[0], r[1], r[2], r[3]): r[5] for r in top.iter_rows()}
        spec_of = {s.key: s for s in RATIOS}
        for r in suspects.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            spec = spec_of[r["ratio"]]
            pdec = decimals_of(r["printed_text"]) or 0
            new_key = (ind.code, ctx.top, ctx.year + spec.new[1], spec.new[0])
            old_key = (ind.code, ctx.top, ctx.year + spec.old[1], spec.old[0])
            agreement, computed = classify(
                r["printed"],
                pdec,
                r["new"],
                r["old"],
                dec_of.get(new_key, 0),
                dec_of.get(old_key, 0),
                ind.direction,
                ind.comparable,
            )
            assert spec.printed_measure is not None
            year = ctx.year + spec.printed_year_offset
            where = f"{spec.label} (%)"
            shown = r["printed_text"]
            if agreement in (Agreement.EXACT, Agreement.ROUNDING):
                continue
            if agreement is Agreement.INVERTED:
                severity = Severity.WARNING
                way = "cũ/mới" if ind.direction is Direction.DOWN else "mới/cũ"
                better = (
                    "càng thấp càng tốt" if ind.direction is Direction.DOWN else "càng cao càng tốt"
                )
                msg = (
                    f"{where}: biểu in {shown}, là tỷ lệ tính ngược chiều; chỉ tiêu này "
                    f"{better} nên so sánh {way} là {num(computed, pdec)}"
                )
            elif agreement is Agreement.MISMATCH:
                severity = Severity.ERROR
                msg = (
                    f"{where}: biểu in {shown}, nhưng tính từ {num(r['new'], 2)} và "
                    f"{num(r['old'], 2)} được {num(computed, pdec)}"
                )
            elif not ind.comparable:
                severity = Severity.NOTICE
                msg = (
                    f"{where}: biểu in {shown} cho một chỉ tiêu không so sánh được bằng tỷ lệ "
                    "(mức giảm, đổi dấu); nên để trống"
                )
            else:
                severity = Severity.NOTICE
                msg = f"{where}: biểu in {shown} nhưng thiếu số liệu của dòng để tính lại"
            yield Finding(
                self.id,
                severity,
                msg,
                ind.code,
                ctx.top,
                year,
                spec.printed_measure,
                {"printed": r["printed"], "new": r["new"], "old": r["old"]},
                computed,
                seed.get((ind.code, ctx.top, year, spec.printed_measure)),
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
        bad = _base(ctx).filter(
            pl.col("indicator").is_in(shares)
            & ((pl.col("value") < -EPS) | (pl.col("value") > 100 + pl.col("tol") + EPS))
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            hint = " (có thể nhập nhầm ‰ hoặc thừa chữ số)" if r["value"] > 100 else ""
            yield Finding.at(
                "share_bounds",
                Severity.ERROR,
                f"{_where(ctx, r)}: tỷ lệ {with_unit(r['value'], '%', 2)} nằm ngoài khoảng "
                f"0-100%{hint}",
                r,
                {"value": r["value"]},
                None,
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

        bad = _base(ctx).filter(
            pl.col("indicator").is_in(_codes(ctx, is_count))
            & ((pl.col("value") < 0) | ((pl.col("value") - pl.col("value").round(0)).abs() > EPS))
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            why = "âm" if r["value"] < 0 else "không phải số nguyên"
            yield Finding.at(
                self.id,
                Severity.ERROR,
                f"{_where(ctx, r)}: {ind.label.lower()} là số đếm ({ind.unit}) nhưng ghi "
                f"{num(r['value'], 3)}, {why}",
                r,
                {"value": r["value"]},
                None,
            )


@dataclass(frozen=True)
class FirstHalfWithinYear:
    """For a flow (output, revenue, visitors), the first half is at most the year's estimate."""

    id: str = "h1_le_estimate"
    title: str = "TH 6 tháng không vượt Ước TH cả năm (chỉ tiêu lũy kế)"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        flows = _codes(ctx, lambda i: i.nature is Nature.FLOW)
        base = ctx.rows_of(flows)
        h1 = base.filter(pl.col("measure") == "h1")
        est = base.filter(pl.col("measure") == "estimate").select(
            "indicator",
            "orgunit",
            "year",
            pl.col("value").alias("est"),
            pl.col("tol").alias("est_tol"),
        )
        bad = h1.join(est, on=["indicator", "orgunit", "year"]).filter(
            pl.col("value") > pl.col("est") + pl.col("tol") + pl.col("est_tol") + EPS
        )
        for r in bad.iter_rows(named=True):
            ind = ctx.indicator(r["indicator"])
            yield Finding.at(
                self.id,
                Severity.ERROR,
                f"{_where(ctx, r)}: TH 6 tháng ({with_unit(r['value'], ind.unit, ind.decimals)}) "
                f"lớn hơn Ước TH cả năm ({with_unit(r['est'], ind.unit, ind.decimals)}) của một "
                "chỉ tiêu lũy kế trong năm",
                r,
                {"h1": r["value"], "estimate": r["est"]},
                r["est"],
            )


PRINTED_FOR_PAIR = {
    ("plan", "estimate"): "printed_ratio_estimate_plan",
    ("estimate", "next"): "printed_ratio_nextplan_estimate",
}


@dataclass(frozen=True)
class Jumps:
    """No implausible jump between the plan, the estimate and next year's plan.

    The first half is left out: a flow has about half its year by then, and a
    first-half rate of a flow is not comparable either (h1_le_estimate covers it).
    """

    id: str = "jump"
    title: str = "Không chênh lệch bất thường giữa các cột"
    factor: float = 4.0
    small_count: float = 5.0

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        y = ctx.year
        m, yr = pl.col("measure"), pl.col("year")
        sub = (
            _base(ctx)
            .filter(((m == "plan") & yr.is_in([y, y + 1])) | ((m == "estimate") & (yr == y)))
            .with_columns(
                pl.when(m == "estimate")
                .then(pl.lit("estimate"))
                .when(yr == y)
                .then(pl.lit("plan"))
                .otherwise(pl.lit("next"))
                .alias("column")
            )
        )
        if sub.is_empty():
            return
        wide = sub.pivot(on="column", index=["indicator", "orgunit"], values="value")
        comparable = set(_codes(ctx, lambda i: i.comparable))
        labels = {"plan": f"KH {y}", "estimate": f"Ước TH {y}", "next": f"KH {y + 1}"}
        pairs = [("plan", "estimate"), ("estimate", "next"), ("plan", "next")]

        def jumped(a: str, b: str) -> pl.Expr:
            va, vb = pl.col(a), pl.col(b)
            both = (va > 0) & (vb > 0)
            return both & (pl.max_horizontal(va, vb) / pl.min_horizontal(va, vb) >= self.factor)

        present = [p for p in pairs if p[0] in wide.columns and p[1] in wide.columns]
        if not present:
            return
        flagged = wide.filter(pl.any_horizontal([jumped(a, b) for a, b in present]))
        lines = {
            (r[0], r[1], r[2]): r[3]
            for r in sub.join(flagged.select("indicator", "orgunit"), on=["indicator", "orgunit"])
            .select("indicator", "orgunit", "column", "seed_line")
            .iter_rows()
            if r[3] is not None
        }
        # the report's own % for a pair: a jump it prints and gets right is deliberate
        stated = {
            (r[0], r[1]): r[2]
            for r in ctx.frame.filter(
                (pl.col("orgunit") == ctx.top)
                & pl.col("measure").is_in(list(PRINTED_FOR_PAIR.values()))
                & pl.col("indicator").is_in(flagged["indicator"].unique().to_list())
            )
            .select("indicator", "measure", "value")
            .iter_rows()
        }
        for r in flagged.iter_rows(named=True):
            if r["indicator"] not in comparable:
                continue
            ind = ctx.indicator(r["indicator"])
            unit = ctx.catalog.units.get(ind.unit)
            big = {
                (a, b)
                for a, b in present
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
                computed = ratio(r.get(pair[1]), r.get(pair[0]), ind.direction, ind.comparable)
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
            for a, b in present:
                if (a, b) not in big or (a, b) in ack:
                    continue
                va, vb = r[a], r[b]
                if unit is not None and unit.is_count and abs(vb - va) <= self.small_count:
                    continue  # 1 -> 6 schools is a plan, not a slip
                where = "" if r["orgunit"] == ctx.top else f" ({ctx.org_name(r['orgunit'])})"
                shown_b = f"{labels[b]} ({with_unit(vb, ind.unit, ind.decimals)})"
                shown_a = f"{labels[a]} ({with_unit(va, ind.unit, ind.decimals)})"
                if vb > va:
                    how = f"gấp {num(vb / va, 1)} lần {shown_a}"
                else:
                    how = f"chỉ bằng {num(vb / va * 100, 1)}% {shown_a}"
                yield Finding(
                    self.id,
                    Severity.WARNING,
                    f"{shown_b} {how}{where}: chênh lệch bất thường, kiểm tra lại số liệu "
                    "hoặc đơn vị",
                    ind.code,
                    r["orgunit"],
                    y + 1 if b == "next" else y,
                    "plan" if b == "next" else b,
                    {labels[a]: va, labels[b]: vb},
                    None,
                    lines.get((r["indicator"], r["orgunit"], b))
                    or lines.get((r["indicator"], r["orgunit"], a)),
                )
                break  # one finding per row is enough to send someone to look


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
    """The narrative's figures agree with the tables."""

    id: str = "narrative"
    title: str = "Số liệu trong báo cáo khớp với biểu"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        from ktxh.domain.narrative import ClaimKind

        cells = {
            (r[0], r[1], r[2]): (r[3], r[4], r[5])
            for r in ctx.frame.filter(pl.col("orgunit") == ctx.top)
            .select("indicator", "year", "measure", "value", "dec", "seed_line")
            .iter_rows()
        }
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
            if c.kind is ClaimKind.VALUE:
                table, tdec, _ = cells.get((ind.code, c.year, c.measure), (None, 0, None))
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
                    yield Finding(
                        self.id,
                        Severity.ERROR,
                        f"{where}: báo cáo viết {c.printed} {c.unit_printed} nhưng {form_ref} "
                        f"ghi {with_unit(table, ind.unit, tdec)} ({cell_label(c.measure, c.year)})",
                        ind.code,
                        ctx.top,
                        c.year,
                        c.measure,
                        {"claimed": claimed, "table": table},
                        table,
                        c.seed_line,
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
                new, ndec, _ = cells.get((ind.code, c.year, c.measure), (None, 0, None))
                old, odec, _ = cells.get((ind.code, c.year, "plan"), (None, 0, None))
                agreement, computed = classify(
                    claimed, cdec, new, old, ndec, odec, ind.direction, ind.comparable
                )
                if agreement in (Agreement.MISMATCH, Agreement.INVERTED):
                    yield Finding(
                        self.id,
                        Severity.ERROR if agreement is Agreement.MISMATCH else Severity.WARNING,
                        f"{where}: báo cáo viết đạt {c.printed}% kế hoạch nhưng theo {form_ref} "
                        f"{cell_label(c.measure, c.year)} {num(new, ndec)} so với KH "
                        f"{num(old, odec)} là {num(computed, cdec)}%",
                        ind.code,
                        ctx.top,
                        c.year,
                        c.measure,
                        {"claimed": claimed, "measure": new, "plan": old},
                        computed,
                        c.seed_line,
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

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        left = compile_side(self.left, self.tolerance)
        right = compile_side(self.right, self.tolerance)
        codes = list(dict.fromkeys(left.codes + right.codes))
        missing = [c for c in codes if c not in ctx.catalog.indicators]
        if missing:
            raise ValueError(f"Quy tắc {self.id}: mã chỉ tiêu không có: {', '.join(missing)}")
        base = ctx.rows_of(codes)
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
            )
            wide = part if wide is None else wide.join(part, on=["orgunit", "year", "measure"])
        if wide is None or wide.is_empty():
            return
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
        target = left.codes[0] if left.codes else codes[0]
        ind = ctx.indicator(target)
        for r in f.filter(bad).iter_rows(named=True):
            dec = max(ind.decimals, 1)
            where = _where(ctx, {**r, "indicator": target})
            msg = self.message.format(
                left=with_unit(r["l"], ind.unit, dec),
                right=with_unit(r["r"], ind.unit, dec),
                diff=with_unit(abs(r["l"] - r["r"]), ind.unit, dec),
                where=where,
            )
            yield Finding(
                self.id,
                self.severity,
                msg,
                target,
                r["orgunit"],
                r["year"],
                r["measure"],
                {c: r[f"{c}::value"] for c in codes},
                r["r"],
                r[f"{target}::line"],
            )


def generic_rules() -> list[object]:
    """The rules derived from the catalog, in the order their findings are listed."""
    return [
        UnitsAddUp(),
        MissingUnits(),
        PartsAddUp(),
        RateFromParts(),
        WeightedMean(),
        PrintedRatios(),
        Bounds(),
        WholeCounts(),
        FirstHalfWithinYear(),
        Jumps(),
        NarrativeAgrees(),
    ]


def iter_findings(rules: Iterable[object], ctx: CheckContext) -> Iterator[Finding]:
    for rule in rules:
        yield from rule.find(ctx)  # type: ignore[attr-defined]
