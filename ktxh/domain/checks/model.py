"""What a check finds, and everything a rule may look at."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

import polars as pl

from ktxh.domain.catalog import Catalog, Indicator
from ktxh.domain.consolidate import consolidate
from ktxh.domain.narrative import Claim
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, fold


class Severity(StrEnum):
    ERROR = "lỗi"
    WARNING = "cảnh báo"
    NOTICE = "lưu ý"

    @property
    def rank(self) -> int:
        return {"lỗi": 3, "cảnh báo": 2, "lưu ý": 1}[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept "lỗi", "loi", "error", "cảnh báo", "canh-bao", "warning", "lưu ý", "notice"."""
        key = fold(text).replace(" ", "")
        aliases = {
            "loi": cls.ERROR,
            "error": cls.ERROR,
            "canhbao": cls.WARNING,
            "warning": cls.WARNING,
            "luuy": cls.NOTICE,
            "notice": cls.NOTICE,
        }
        if key not in aliases:
            raise ValueError(f"Mức độ «{text}» không hợp lệ; chọn một trong: lỗi, cảnh báo, lưu ý")
        return aliases[key]


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency, explained in Vietnamese for a planning officer."""

    rule: str
    severity: Severity
    message: str
    indicator: str | None = None
    orgunit: str | None = None
    year: int | None = None
    measure: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    expected: float | None = None
    seed_line: int | None = None

    @classmethod
    def at(
        cls,
        rule: str,
        severity: Severity,
        message: str,
        row: Mapping[str, Any],
        values: dict[str, float | None],
        expected: float | None = None,
    ) -> Finding:
        """A finding on the cell a row of a value frame names (its key and seed line)."""
        return cls(
            rule,
            severity,
            message,
            row["indicator"],
            row["orgunit"],
            row["year"],
            row["measure"],
            values,
            expected,
            row.get("seed_line"),
        )


MEASURE_SHORT = {
    "plan": "KH",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH",
    "actual": "TH",
    "printed_ratio_estimate_plan": "Tỷ lệ Ước TH/KH in trên biểu",
    "printed_ratio_nextplan_estimate": "Tỷ lệ KH năm sau/Ước TH in trên biểu",
}


def cell_label(measure: str, year: int) -> str:
    """ "KH 2024", "TH 6 tháng 2023", "Ước TH 2023"."""
    label = MEASURE_SHORT.get(measure, measure)
    return label if measure.startswith("printed_ratio") else f"{label} {year}"


def num(value: float | None, decimals: int = 1) -> str:
    """A number in a message: Vietnamese separators, no more decimals than needed."""
    if value is None:
        return "-"
    for d in range(0, max(decimals, 0) + 1):
        if abs(value - round(value, d)) < 1e-9:
            return format_number(value, d)
    return format_number(value, decimals)


def with_unit(value: float | None, unit: str, decimals: int = 1, fixed: bool = False) -> str:
    """ "2.701,1 ha", "85%", "6.940 nghìn viên"; ``fixed`` keeps every decimal (30,0)."""
    text = format_number(value, decimals) if fixed and value is not None else num(value, decimals)
    if not unit:
        return text
    if unit.startswith("1000 "):
        unit = "nghìn " + unit[5:]
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"


@dataclass
class CheckContext:
    """The plan under check: catalog, org tree, values and the narrative's claims.

    ``values`` is the value frame (ktxh.domain.values.SCHEMA); the context adds
    ``dec`` (decimals the value is known to: those printed, else the catalog's)
    and ``tol`` (half a unit in that last place: what rounding can explain).
    """

    catalog: Catalog
    tree: OrgTree
    values: pl.DataFrame
    year: int
    top: str
    claims: Sequence[Claim] = ()

    def __post_init__(self) -> None:
        """Accept a bare (indicator, orgunit, year, measure, value) frame too."""
        if "printed" not in self.values.columns:
            self.values = self.values.with_columns(pl.lit(None, pl.String).alias("printed"))
        if "seed_line" not in self.values.columns:
            self.values = self.values.with_columns(pl.lit(None, pl.Int32).alias("seed_line"))

    @cached_property
    def frame(self) -> pl.DataFrame:
        units = self.catalog.units
        cat = pl.DataFrame(
            {
                "indicator": [i.code for i in self.catalog],
                "cat_dec": [i.decimals for i in self.catalog],
                "count": [i.unit in units and units[i.unit].is_count for i in self.catalog],
            },
            schema={"indicator": pl.String, "cat_dec": pl.Int32, "count": pl.Boolean},
        )
        f = self.values
        printed_dec = (
            pl.col("printed").str.extract(r",(\d+)\)?[%‰]?$", 1).str.len_chars().cast(pl.Int32)
        )
        has_digits = pl.col("printed").str.contains(r"\d").fill_null(False)
        return (
            f.join(cat, on="indicator", how="left")
            .with_columns(
                pl.when(has_digits)
                .then(printed_dec.fill_null(0))
                .otherwise(pl.col("cat_dec").fill_null(0))
                .alias("dec")
            )
            .with_columns(
                # a count printed whole is exact; anything else is known to half a unit
                # of its last decimal
                pl.when(pl.col("count").fill_null(False) & (pl.col("dec") == 0))
                .then(0.0)
                .otherwise(0.5 * pl.lit(10.0).pow(-pl.col("dec")))
                .alias("tol")
            )
            .drop("cat_dec", "count")
        )

    @cached_property
    def base(self) -> pl.DataFrame:
        """Stored numbers of the base measures (no printed ratios, no "-")."""
        return self.frame.filter(
            pl.col("measure").is_in(["plan", "h1", "estimate", "actual"])
            & pl.col("value").is_not_null()
        )

    @cached_property
    def _by_indicator(self) -> dict[str, pl.DataFrame]:
        return {
            str(k[0]): part for k, part in self.base.partition_by("indicator", as_dict=True).items()
        }

    def rows_of(self, codes: Iterable[str]) -> pl.DataFrame:
        """The base rows of a few indicators, without scanning the whole table again."""
        parts = [self._by_indicator[c] for c in dict.fromkeys(codes) if c in self._by_indicator]
        return pl.concat(parts) if parts else self.base.clear()

    def parent_expr(self, column: str = "orgunit") -> pl.Expr:
        """The parent org unit of ``column`` (null at the top), as a fast lookup."""
        mapping = self.tree.parent_map()
        return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)

    @cached_property
    def filled(self) -> pl.DataFrame:
        """The values plus the totals consolidated from the units where none is stored
        (a form that leaves "Tổng cộng" blank still has one)."""
        key = ["indicator", "orgunit", "year", "measure"]
        base = self.values.filter(pl.col("measure").is_in(["plan", "h1", "estimate", "actual"]))
        at_top = base.filter(pl.col("orgunit") == self.top).select("indicator", "year", "measure")
        blank = (
            base.select("indicator", "year", "measure")
            .unique()
            .join(at_top, on=["indicator", "year", "measure"], how="anti")
        )
        if blank.is_empty():
            return self.values.select([*key, "value", "printed"])
        # consolidate only what the top unit lacks (and what those rows are made from)
        codes = set(blank["indicator"].unique())
        codes |= {b for c in list(codes) for b in self.catalog[c].basis}
        totals = consolidate(
            base.filter(pl.col("indicator").is_in(list(codes))), self.catalog, self.tree
        )
        missing = totals.join(self.values.select(key), on=key, how="anti")
        return pl.concat(
            [self.values.select([*key, "value", "printed"]), missing.select([*key, "value"])],
            how="diagonal_relaxed",
        )

    @cached_property
    def parents(self) -> pl.DataFrame:
        """child -> parent org unit."""
        return pl.DataFrame(
            [{"child": c, "parent": p} for c, p in self.tree.parent_map().items()],
            schema={"child": pl.String, "parent": pl.String},
        )

    def indicator(self, code: str) -> Indicator:
        return self.catalog[code]

    def unit_name(self, code: str) -> str:
        return self.catalog[code].unit

    def org_name(self, code: str | None) -> str:
        if code is None or code not in self.tree.units:
            return ""
        return self.tree[code].full_name


class Rule(Protocol):
    """A check: a small object with an id, a severity, and a way to find."""

    id: str
    title: str  # Vietnamese, what it checks

    def find(self, ctx: CheckContext) -> Iterable[Finding]: ...
