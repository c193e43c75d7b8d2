"""What a check finds, and everything a rule may look at."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

import polars as pl

from ktxh.domain.catalog import Catalog, Consolidation, Indicator, RowKind
from ktxh.domain.consolidate import PLAN, consolidate
from ktxh.domain.narrative import Claim
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, fold
from ktxh.domain.values import Keys, by_code, text_keys


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


Key = tuple[str, str, int, str]  # (indicator, orgunit, year, measure): one cell


@dataclass(frozen=True, slots=True)
class Hint:
    """What a broken relation says about one of its cells: the value it should hold for
    the relation to be true (``point``: somewhere in ``lo``..``hi``, the rounding of the
    other cells), or only a bound (``lo``..``hi``, either end infinite). Findings whose
    hints agree on one cell share a cause: that cell (see :mod:`.causes`)."""

    cell: Key
    lo: float
    hi: float
    point: bool = True

    @classmethod
    def value(cls, cell: Key, v: float, tol: float = 0.0) -> Hint:
        return cls(cell, v - tol, v + tol, True)

    @classmethod
    def at_most(cls, cell: Key, v: float) -> Hint:
        return cls(cell, -math.inf, v, False)

    @classmethod
    def at_least(cls, cell: Key, v: float) -> Hint:
        return cls(cell, v, math.inf, False)

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency, explained in Vietnamese for a planning officer.

    ``cells`` are the cells the broken relation involves (the checked cell first),
    ``hints`` what the relation says about them. ``uncertain`` is set on a notice that
    a check could not be made because a value is lost or uncertain; its text says
    why. ``cause`` is the id of the finding's cause, set by :func:`run_checks`: the
    findings of one cause are listed together (:mod:`.causes`)."""

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
    cells: tuple[Key, ...] = ()
    hints: tuple[Hint, ...] = ()
    uncertain: str = ""  # why a notice could not conclude (the dataset's note on the value)
    cause: str = ""

    @classmethod
    def at(
        cls,
        rule: str,
        severity: Severity,
        message: str,
        row: Mapping[str, Any],
        values: dict[str, float | None],
        expected: float | None = None,
        cells: tuple[Key, ...] = (),
        hints: tuple[Hint, ...] = (),
        uncertain: str = "",
    ) -> Finding:
        """A finding on the cell a row of a value frame names (its key and seed line)."""
        key = (row["indicator"], row["orgunit"], row["year"], row["measure"])
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
            cells if key in cells else (key, *cells),
            hints,
            uncertain,
        )

    @property
    def key(self) -> str:
        """ "rule|code|orgunit|year|measure" (empty fields for nulls); a finding about
        no cell adds its seed line ("narrative_unlinked||||@26")."""
        parts = [self.rule, self.indicator, self.orgunit, self.year, self.measure]
        text = "|".join("" if p is None else str(p) for p in parts)
        if self.indicator is None and self.seed_line is not None:
            text += f"@{self.seed_line}"
        return text

    @property
    def cell(self) -> Key | None:
        if self.indicator is None or self.orgunit is None or self.year is None:
            return None
        return (self.indicator, self.orgunit, self.year, self.measure or "")


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


BASE_MEASURES = ("plan", "h1", "estimate", "actual")
KEY = ["indicator", "orgunit", "year", "measure"]
# What a rule reads of each value; the rest (printed text, notes, provenance) stays in
# ``values`` and is joined only for the cells a finding shows.
COMPUTED = ["value", "dec", "low", "seed_line"]


def aligned(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column cut in the chunks of its first one.

    A table read in row groups (Parquet) keeps its columns in chunks, and the columns
    computed from them come out in one: an eager filter or select on such a frame
    first copies the whole frame into single chunks (a transient copy of the value
    table on every query). Cutting the computed columns where the first column's
    chunks end is free (slices of one buffer); a column cut elsewhere is copied once.
    """
    if frame.width == 0:
        return frame
    lengths = [len(c) for c in frame.to_series(0).get_chunks()]
    if len(lengths) <= 1:
        return frame
    out: list[pl.Series] = []
    for s in frame.get_columns():
        if [len(c) for c in s.get_chunks()] != lengths:
            whole, pieces, start = s.rechunk(), [], 0
            for n in lengths:
                pieces.append(whole.slice(start, n))
                start += n
            s = pl.concat(pieces, rechunk=False)
        out.append(s)
    return pl.DataFrame(out)


@dataclass
class CheckContext:
    """The plan under check: catalog, org tree, values and the narrative's claims.

    ``values`` is the value frame (ktxh.domain.values.SCHEMA), with text or categorical
    keys. The context is made once per run and holds one compact frame (:attr:`frame`):
    the keys as categories of the plan (:class:`~ktxh.domain.values.Keys`), the value,
    ``dec`` (decimals the value is known to: those printed, else the catalog's), ``low``
    (a best guess of the transcription) and the seed line; ``tol`` (half a unit in the
    last decimal: what rounding can explain) is computed in the rules' queries
    (:meth:`tol`). Rules take the rows of the indicators they concern as lazy queries
    (:meth:`scan`, :meth:`scan_below`, :meth:`scan_upper`), join and filter them there,
    and collect only what they find: the streaming engine never holds every row at
    once. A rule whose relations stay within an org unit and that relates many rows
    (the sums of parts, the columns of every row) runs by blocks of units
    (:meth:`by_units`, :attr:`block_rows`). What several rules need (the units' sums
    below each total) is computed once (:attr:`children`).
    """

    catalog: Catalog
    tree: OrgTree
    values: pl.DataFrame
    year: int
    top: str
    claims: Sequence[Claim] = ()
    # the declared rules of the run (set by run_checks): rows they declare equal are
    # "the same indicator" for the convention check; the values they derive need no
    # jump check of their own
    declared: Sequence[Any] = ()
    keys: Keys | None = None  # the plan's categories (else made from catalog and tree)
    # how many rows a rule relates at once: a rule over more (the sums of every part,
    # the columns of every row) runs on blocks of org units of about this many rows and
    # concatenates what it finds (:meth:`by_units`), so that a check's peak memory is a
    # block's, whatever the size of the plan; None: one block
    block_rows: int | None = 2_000_000

    def __post_init__(self) -> None:
        """Accept a bare (indicator, orgunit, year, measure, value) frame too."""
        extra = {
            "printed": pl.String,
            "seed_line": pl.Int32,
            "confidence": pl.String,
            "note": pl.String,
        }
        missing = [pl.lit(None, t).alias(c) for c, t in extra.items() if c not in self.values]
        if missing:
            self.values = self.values.with_columns(missing)
        if self.keys is None:
            self.keys = Keys.of(self.catalog.indicators, self.tree.units)
        self.values = self.keys.cast(self.values)

    @property
    def k(self) -> Keys:
        assert self.keys is not None
        return self.keys

    def table(self, rows: Sequence[Mapping[str, Any]], schema: Mapping[str, Any]) -> pl.DataFrame:
        """A small frame of a rule (its links, its specs): a column typed "indicator",
        "orgunit" or "measure" holds codes, as categories of the plan."""
        types = {c: self.k.dtypes[t] if isinstance(t, str) else t for c, t in schema.items()}
        return pl.DataFrame(list(rows), schema=types) if rows else pl.DataFrame(schema=types)

    def by_indicator(self, mapping: Mapping[str, Any], out: Any) -> pl.Expr:
        """``mapping[indicator]`` for each row (null where none)."""
        return by_code(self.k.indicator, "indicator", mapping, out)

    @cached_property
    def frame(self) -> pl.DataFrame:
        """The compact frame every rule reads: keys, value, dec, low, seed line."""
        units = self.catalog.units
        cat_dec = {i.code: i.decimals for i in self.catalog}
        printed = pl.col("printed")
        printed_dec = printed.str.extract(r",(\d+)\)?[%‰]?$", 1).str.len_chars().cast(pl.Int8)
        has_digits = printed.str.contains(r"\d").fill_null(False)
        dec = (
            pl.when(has_digits)
            .then(printed_dec.fill_null(0))
            .otherwise(self.by_indicator(cat_dec, pl.Int8).fill_null(0))
        )
        counts = {i.code: i.unit in units and units[i.unit].is_count for i in self.catalog}
        # computed by morsels (the streaming engine): a look-up by code over the whole
        # column at once first widens every code to an index (four bytes a value)
        computed = (
            self.values.lazy()
            .select(
                dec.alias("dec"),
                # a best guess of the transcription (its column, or the cell itself):
                # never taken as printed (docs/checks.md, "Uncertain values")
                (pl.col("confidence") == "low").fill_null(False).alias("low"),
                self.by_indicator(counts, pl.Boolean).fill_null(False).alias("count"),
            )
            .collect(engine="streaming")
        )
        return aligned(
            pl.concat([self.values.select(*KEY, "value", "seed_line"), computed], how="horizontal")
        ).select(*KEY, "value", "dec", "low", "seed_line", "count")

    @staticmethod
    def tol() -> pl.Expr:
        """Half a unit in the last decimal known; a count printed whole is exact."""
        return (
            pl.when(pl.col("count") & (pl.col("dec") == 0))
            .then(0.0)
            .otherwise(0.5 * pl.lit(10.0).pow(-pl.col("dec").cast(pl.Int32)))
            .alias("tol")
        )

    def _base_filter(self, codes: Iterable[str] | None) -> pl.Expr:
        keep = pl.col("measure").is_in(BASE_MEASURES) & pl.col("value").is_not_null()
        if codes is not None:
            keep = keep & pl.col("indicator").is_in(self.k.series("indicator", codes).implode())
        return keep

    @cached_property
    def lost(self) -> dict[Key, str]:
        """Cells lost in reading the source: a unit left without a value in a row whose
        other units' values were placed by guess (low confidence) because a cell is
        missing. Each with the note that says so."""
        if not self.frame["low"].any():
            return {}  # nothing was placed by guess (a plan typed in, not read from print)
        kinds = (Consolidation.SUM, Consolidation.COUNT, Consolidation.RATE)
        codes = [
            i.code
            for i in self.catalog
            if i.consolidation in kinds or i.consolidation is Consolidation.WEIGHTED_MEAN
        ]
        kids = (
            self.frame.with_columns(self.values["note"])
            .filter(
                pl.col("measure").is_in(BASE_MEASURES)
                & pl.col("indicator").is_in(self.k.series("indicator", codes).implode())
            )
            .with_columns(self.parent_expr().alias("parent"))
            .filter(pl.col("parent").is_not_null())
        )
        if kids.is_empty() or not kids["low"].any():
            return {}
        size = self.parents.group_by("parent").len("n_children")
        groups = (
            kids.group_by("indicator", "parent", "year", "measure")
            .agg(
                pl.len().alias("n"),
                pl.col("low").any().alias("any_low"),
                pl.col("note").filter(pl.col("low")).first().alias("why"),
                pl.col("orgunit"),
            )
            .join(size, on="parent")
            .filter(pl.col("any_low") & (pl.col("n") < pl.col("n_children")))
        )
        out: dict[Key, str] = {}
        for r in groups.iter_rows(named=True):
            have = set(r["orgunit"])
            for u in self.tree.children(r["parent"]):
                if u.code not in have:
                    out[(r["indicator"], u.code, r["year"], r["measure"])] = r["why"] or ""
        return out

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Results worth computing once per check run (a declared rule's evaluation)."""
        return {}

    @cached_property
    def _top_filled(self) -> dict[tuple[str, int, str], float | None]:
        return {
            (r[0], r[1], r[2]): r[3]
            for r in self.filled.select("indicator", "year", "measure", "value").iter_rows()
        }

    def filled_value(self, indicator: str, year: int, measure: str) -> float | None:
        """The top unit's value of a cell, or its total consolidated from the units."""
        return self._top_filled.get((indicator, year, measure))

    def cell_rows(self, cells: Iterable[Key]) -> dict[Key, dict[str, Any]]:
        """The stored rows of a few cells (value, printed, low, note ...)."""
        want = pl.DataFrame(
            list(dict.fromkeys(cells)),
            schema={
                "indicator": pl.String,
                "orgunit": pl.String,
                "year": pl.Int32,
                "measure": pl.String,
            },
            orient="row",
        )
        if want.is_empty():
            return {}
        codes = want["indicator"].unique().to_list()
        keep = pl.col("indicator").is_in(self.k.series("indicator", codes).implode())
        rows = self.frame.filter(keep).with_columns(
            self.values.filter(keep).select("printed", "confidence", "note")
        )
        hit = rows.join(self.k.cast(want), on=KEY).with_columns(self.tol())
        return {
            (r["indicator"], r["orgunit"], r["year"], r["measure"]): r
            for r in hit.iter_rows(named=True)
        }

    def with_text(self, condition: pl.Expr) -> pl.DataFrame:
        """The frame's rows that meet ``condition`` (on the key and the value) with their
        printed text, confidence and note from the values: for a few rows (the top's)."""
        return self.frame.filter(condition).with_columns(
            self.values.filter(condition).select("printed", "confidence", "note")
        )

    def scan(
        self, codes: Iterable[str] | None = None, condition: pl.Expr | None = None
    ) -> pl.LazyFrame:
        """The base rows (numbers of plan, h1, estimate, actual) of ``codes`` (every
        indicator: None) that meet ``condition`` (on the key and the value), with
        ``tol``, as a lazy query: a rule joins, groups and filters them and collects
        only what it finds, so that the rows are never all in memory at once (the
        streaming engine)."""
        keep = self._base_filter(None if codes is None else list(codes))
        if condition is not None:
            keep = keep & condition
        return self.frame.lazy().filter(keep).with_columns(self.tol())

    def rows_of(self, codes: Iterable[str]) -> pl.DataFrame:
        """:meth:`scan` of a few indicators, collected in one chunk: for rows a rule
        keeps and goes over many times (eager filters on many small chunks are slow)."""
        return self.scan(codes).collect().rechunk()

    def scan_below(self, codes: Iterable[str], numbers: bool = True) -> pl.LazyFrame:
        """The base-measure rows of ``codes`` in every unit that has a parent, with the
        parent's code (``parent``), as a lazy query; ``numbers=False`` keeps the cells
        stored without a number (a printed "-")."""
        children = self.k.series("orgunit", self.tree.parent_map())
        keep = (
            pl.col("measure").is_in(BASE_MEASURES)
            & pl.col("indicator").is_in(self.k.series("indicator", codes).implode())
            & pl.col("orgunit").is_in(children.implode())
        )
        if numbers:
            keep = keep & pl.col("value").is_not_null()
        return (
            self.frame.lazy()
            .filter(keep)
            .with_columns(self.parent_expr().alias("parent"), self.tol())
        )

    def scan_upper(self, codes: Iterable[str]) -> pl.LazyFrame:
        """The base rows of ``codes`` in the units that have units below them (the
        totals a rule compares with their units), as a lazy query."""
        tops = self.k.series("orgunit", sorted(set(self.tree.parent_map().values())))
        return self.scan(codes, pl.col("orgunit").is_in(tops.implode()))

    @cached_property
    def _sample(self) -> tuple[int, pl.DataFrame]:
        """Every n-th row of the frame (n, the first item; every row of a small frame):
        how many rows a query reads, and in which units, to size its blocks."""
        step = max(1, self.frame.height // 200_000)
        return step, self.frame.gather_every(step)

    def unit_blocks(
        self, codes: Iterable[str] | None = None, condition: pl.Expr | None = None
    ) -> list[pl.Expr]:
        """Filters that cut the rows of ``codes`` (every indicator: None) that meet
        ``condition`` (:meth:`scan`) into blocks of org units of about :attr:`block_rows`
        rows each (the units of a block are consecutive categories); one filter that
        keeps every row when they fit in one block."""
        step, sample = self._sample
        keep = self._base_filter(None if codes is None else list(codes))
        if condition is not None:
            keep = keep & condition
        index = pl.col("orgunit").to_physical()
        rows = sample.lazy().filter(keep).group_by(index).len().collect(engine="in-memory")
        if self.block_rows is None or int(rows["len"].sum()) * step <= self.block_rows:
            return [pl.lit(True)]
        per_unit = dict(zip(rows["orgunit"], rows["len"], strict=True))
        target = self.block_rows / step
        bounds: list[tuple[int, int]] = []
        start, count = 0, 0
        last = len(self.k.orgunit.categories) - 1
        for unit in range(last + 1):
            count += per_unit.get(unit, 0)
            if count >= target and unit < last:
                bounds.append((start, unit))
                start, count = unit + 1, 0
        bounds.append((start, last))
        return [index.is_between(lo, hi) for lo, hi in bounds]

    def by_units(
        self,
        codes: Iterable[str] | None,
        query: Callable[[pl.Expr], pl.LazyFrame],
        condition: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """A rule's lazy query whose relations stay within an org unit (a row's parts,
        its columns, its rate and basis), run on each block of units (:meth:`unit_blocks`
        of the rows of ``codes`` that meet ``condition``: ``query`` puts the block's
        filter in each of its scans), what it finds concatenated."""
        blocks = self.unit_blocks(codes, condition)
        found = [query(block).collect(optimizations=PLAN) for block in blocks]
        return found[0] if len(found) == 1 else pl.concat(found)

    @cached_property
    def children(self) -> pl.DataFrame:
        """What the rules comparing a total with its units need of the units, for every
        indicator that consolidates, in one pass over the table: per (indicator, parent,
        year, measure) the units stored (``n``), those with a number (``known``), their
        sum (a count: how many are above 0) and its rounding (``v``, ``t``), and the
        lowest and highest value (``v_min``, ``v_max``; ``lo``, ``hi`` with rounding)."""
        kinds = (
            Consolidation.SUM,
            Consolidation.COUNT,
            Consolidation.RATE,
            Consolidation.WEIGHTED_MEAN,
        )
        codes = [
            i.code for i in self.catalog if i.kind is RowKind.INDICATOR and i.consolidation in kinds
        ]
        counts = [i.code for i in self.catalog if i.consolidation is Consolidation.COUNT]
        is_count = pl.col("indicator").is_in(self.k.series("indicator", counts).implode())
        number = pl.col("value").is_not_null()
        return (
            self.scan_below(codes, numbers=False)
            .group_by("indicator", "parent", "year", "measure")
            .agg(
                pl.len().alias("n"),
                number.sum().alias("known"),
                pl.when(is_count)
                .then((pl.col("value") > 0).cast(pl.Float64))
                .otherwise(pl.col("value"))
                .sum()
                .alias("v"),
                pl.when(is_count)
                .then(0.0)
                .otherwise(pl.col("tol"))
                .filter(number)
                .sum()
                .alias("t"),
                (pl.col("value") - 2 * pl.col("tol")).min().alias("lo"),
                (pl.col("value") + 2 * pl.col("tol")).max().alias("hi"),
                pl.col("value").min().alias("v_min"),
                pl.col("value").max().alias("v_max"),
            )
            .collect()
        )

    def parent_expr(self, column: str = "orgunit") -> pl.Expr:
        """The parent org unit of ``column`` (null at the top), by its category."""
        return by_code(self.k.orgunit, column, self.tree.parent_map(), self.k.orgunit)

    @cached_property
    def filled(self) -> pl.DataFrame:
        """The top unit's values, with text keys, plus the totals consolidated from the
        units where the top has none (a form that leaves "Tổng cộng" blank still has
        one): what the forms print, for the comparisons."""
        at_top = self.values.filter(pl.col("orgunit") == self.top)
        stored = at_top.filter(pl.col("measure").is_in(BASE_MEASURES))
        # the (indicator, year, measure) stored in some unit below but not at the top
        below = (
            self.frame.lazy()
            .filter(
                pl.col("measure").is_in(BASE_MEASURES)
                & pl.col("orgunit").is_in(
                    self.k.series("orgunit", self.tree.parent_map()).implode()
                )
            )
            .select("indicator", "year", "measure")
            .unique()
            .join(
                stored.lazy().select("indicator", "year", "measure"),
                on=["indicator", "year", "measure"],
                how="anti",
            )
            .collect()
        )
        kept = [*KEY, "value", "printed"]
        if below.is_empty():
            return text_keys(at_top.select(kept))
        # consolidate only what the top unit lacks (and what those rows are made from)
        codes = set(below["indicator"].cast(pl.String).unique())
        codes |= {b for c in list(codes) for b in self.catalog[c].basis}
        totals = consolidate(
            self.frame.filter(
                pl.col("measure").is_in(BASE_MEASURES)
                & pl.col("indicator").is_in(self.k.series("indicator", codes).implode())
            ).select(*KEY, "value"),
            self.catalog,
            self.tree,
            self.k,
        ).filter(pl.col("orgunit") == self.top)
        missing = totals.join(self.values.select(KEY), on=KEY, how="anti")
        return text_keys(
            pl.concat(
                [at_top.select(kept), missing.select([*KEY, "value"])], how="diagonal_relaxed"
            )
        )

    @cached_property
    def parents(self) -> pl.DataFrame:
        """child -> parent org unit."""
        mapping = self.tree.parent_map()
        return pl.DataFrame(
            {"child": list(mapping), "parent": list(mapping.values())},
            schema={"child": self.k.orgunit, "parent": self.k.orgunit},
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
