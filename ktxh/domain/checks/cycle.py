"""Checks that know the year (issue 12): the classic slips of a report written from
last year's.

* :class:`YearsOfTheRound`: a form's title, or a sentence of the narrative, that names
  a year outside the round (the 2025 report whose Biểu 2 still says "NĂM 2024", a
  sentence "ước thực hiện năm 2023" left in the 2024 report) is an error: the text is
  certainly wrong. Years a form declares on purpose (a multi-year plan's "2026-2028")
  are the form's own.
* :class:`CarriedOver`: a first half or an estimate exactly equal to the previous
  year's figure, for an indicator that normally moves, is a warning: it is the copy
  and paste from last year's report, or a coincidence a person should confirm. A
  small figure (a few births) is equal by chance too often to be reported alone: it
  is reported when most of the unit's column of that form (three cells or more) is
  equal to last year's at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from ktxh.domain.catalog import Nature, RowKind
from ktxh.domain.checks.model import CheckContext, Finding, Severity, cell_label, with_unit
from ktxh.domain.years import literal_years

# When two figures a year apart are equal by chance: often for a small count (a ward's
# 54 births both years), rarely for a figure of four or more digits in its last decimal
# (2.022 tỷ đồng, 1.234,5 ha). One such cell is a warning; smaller ones (from 10 on) only
# when most of one unit's column of a form is equal at once: a column copied.
MIN_MAGNITUDE = 10.0
SIGNIFICANT = 1000.0  # the figure in units of its last decimal
MEASURES = ["h1", "estimate", "actual"]  # what is compared with the year before
CLUSTER = 3  # equal cells (and at least half) of one unit's column of a form: copied


class YearsOfTheRound:
    """Every year written in a form's title or the narrative belongs to the round."""

    id: str = "round_year"
    title: str = "Năm ghi trong tên biểu và lời văn đúng kỳ báo cáo"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        y = ctx.year
        allowed = {y - 1, y, y + 1}  # a sentence may compare with the year before
        titled = {y, y + 1}  # a form is of the round's year or next year's plan
        words = f"kỳ báo cáo năm {y} (số liệu năm {y}, kế hoạch năm {y + 1})"
        for form in sorted(ctx.catalog.forms.values(), key=lambda f: f.number):
            own = {
                c.ref.year.absolute for c in form.layout.columns if c.ref.year.absolute is not None
            }
            if own:  # a multi-year plan: its period and the years around it
                own |= set(range(min(own) - 1, max(own) + 2))
            wrong = [t for t in literal_years(form.title) if t not in titled | own]
            if wrong:
                yield Finding(
                    self.id,
                    Severity.ERROR,
                    f"Tên {form.label} ghi năm {', '.join(map(str, wrong))} nhưng đây là {words}: "
                    "tên biểu còn của năm khác (sửa tên biểu trong danh mục, ghi {Y}, {Y+1} "
                    "để tên tự theo kỳ)",
                    seed_line=form.seed_line,
                )
        for claim in ctx.claims:
            wrong = [t for t in literal_years(claim.text) if t not in allowed]
            if not wrong:
                continue
            yield Finding(
                self.id,
                Severity.ERROR,
                f"Câu «{claim.text}» ghi năm {', '.join(map(str, wrong))} nhưng đây là {words}: "
                "câu còn của báo cáo năm khác",
                indicator=claim.indicator,
                orgunit=ctx.top if claim.indicator else None,
                year=claim.year,
                measure=claim.measure or None,
                seed_line=claim.seed_line,
            )


class CarriedOver:
    """A first half or an estimate equal to last year's, where the indicator moves."""

    id: str = "carried_over"
    title: str = "Số liệu không chép nguyên từ năm trước"

    def find(self, ctx: CheckContext) -> Iterator[Finding]:
        y = ctx.year
        moves = [
            i.code
            for i in ctx.catalog
            if i.kind is RowKind.INDICATOR and i.comparable and i.nature is Nature.FLOW
        ]
        if not moves:
            return
        yr, m = pl.col("year"), pl.col("measure")
        forms = {i.code: i.form for i in ctx.catalog if i.code in set(moves)}
        column = ["orgunit", "form", "measure"]
        is_equal = (pl.col("value") == pl.col("before")) & (pl.col("value").abs() >= MIN_MAGNITUDE)
        # most of a unit's column equal to last year's: copied (a whole and its parts are
        # equal together by chance as often as one of them)
        copied = (pl.col("n_equal") >= CLUSTER) & (2 * pl.col("n_equal") >= pl.col("n"))
        significant = (
            pl.col("value").abs() * pl.lit(10.0).pow(pl.col("dec").cast(pl.Int32)) >= SIGNIFICANT
        )

        def query(block: pl.Expr) -> pl.LazyFrame:
            def cells(year: int, measure: str) -> pl.LazyFrame:
                return ctx.scan(moves, (yr == year) & (m == measure) & block)

            def before(rows: pl.LazyFrame) -> pl.LazyFrame:
                return rows.select(
                    "indicator",
                    "orgunit",
                    pl.col("value").alias("before"),
                    pl.col("measure").alias("before_measure"),
                )

            # last year's final figure: its actual once entered, else its estimate
            actual = before(cells(y - 1, "actual"))
            final = pl.concat(
                [
                    actual,
                    before(cells(y - 1, "estimate")).join(
                        actual, on=["indicator", "orgunit"], how="anti"
                    ),
                ]
            )
            pairs = pl.concat(
                [
                    cells(y, "h1").join(before(cells(y - 1, "h1")), on=["indicator", "orgunit"]),
                    cells(y, "estimate").join(final, on=["indicator", "orgunit"]),
                ]
            ).with_columns(ctx.by_indicator(forms, pl.Int32).alias("form"))
            sizes = pairs.group_by(column).agg(is_equal.sum().alias("n_equal"), pl.len().alias("n"))
            equal = pairs.filter(is_equal).join(sizes, on=column, nulls_equal=True)
            return equal.filter(significant | copied)

        # by blocks of units: a unit's column and last year's are in one unit
        same = ctx.by_units(moves, query, yr.is_in([y - 1, y]) & m.is_in(MEASURES))
        for r in same.iter_rows(named=True):
            ind = ctx.catalog[r["indicator"]]
            org = "" if r["orgunit"] == ctx.top else f" của {ctx.org_name(r['orgunit'])}"
            now_label = cell_label(r["measure"], y)
            before_label = cell_label(r["before_measure"], y - 1)
            yield Finding.at(
                self.id,
                Severity.WARNING,
                f"«{ind.label}»{org}: {now_label} bằng đúng {before_label} "
                f"({with_unit(r['value'], ind.unit, ind.decimals)}), trong khi chỉ tiêu này "
                "thay đổi hằng năm: có thể số liệu năm trước được chép sang; hãy xác nhận",
                r,
                {now_label: r["value"], before_label: r["before"]},
                cells=(
                    (r["indicator"], r["orgunit"], y, r["measure"]),
                    (r["indicator"], r["orgunit"], y - 1, r["before_measure"]),
                ),
            )
