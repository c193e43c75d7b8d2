"""The value table: (indicator, org unit, year, measure) -> number, with provenance.

Values live in a columnar polars frame so that the same code serves a city of
3.000 values and a country of millions. A printed "-" is a value that is
explicitly none: ``value`` is null and ``printed`` is "-".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from ktxh.domain.catalog import MEASURES

KEY = ("indicator", "orgunit", "year", "measure")

SCHEMA: dict[str, Any] = {
    "indicator": pl.String,
    "orgunit": pl.String,
    "year": pl.Int32,
    "measure": pl.String,
    "value": pl.Float64,
    "printed": pl.String,
    # provenance: "seed" (a line of the source report), "file" (file!sheet!cell),
    # "user" (who typed it), "computed"
    "source": pl.String,
    "source_ref": pl.String,
    "seed_line": pl.Int32,
    "confidence": pl.String,
    "note": pl.String,
}


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def frame_from_rows(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a value frame from dict rows; missing columns become null."""
    return pl.DataFrame(list(rows), schema=SCHEMA, strict=False)


@dataclass(frozen=True)
class ValueTable:
    """An immutable wrapper that checks the key and offers the usual look-ups."""

    frame: pl.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in SCHEMA if c not in self.frame.columns]
        if missing:
            raise ValueError(f"Bảng giá trị thiếu cột: {', '.join(missing)}")
        bad = self.frame.filter(~pl.col("measure").is_in(MEASURES))
        if bad.height:
            raise ValueError(f"Chỉ số đo không hợp lệ: {bad['measure'][0]}")
        dup = self.frame.select(KEY).is_duplicated()
        if dup.any():
            first = self.frame.filter(dup).row(0, named=True)
            raise ValueError(
                "Giá trị bị trùng khóa (chỉ tiêu, đơn vị, năm, số đo): "
                f"{first['indicator']}, {first['orgunit']}, {first['year']}, {first['measure']}"
            )

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> ValueTable:
        return cls(frame_from_rows(rows))

    def __len__(self) -> int:
        return self.frame.height

    def get(self, indicator: str, orgunit: str, year: int, measure: str) -> float | None:
        hit = self.frame.filter(
            (pl.col("indicator") == indicator)
            & (pl.col("orgunit") == orgunit)
            & (pl.col("year") == year)
            & (pl.col("measure") == measure)
        )
        if hit.height == 0:
            return None
        v = hit["value"][0]
        return None if v is None else float(v)

    def wide(self, orgunit: str | None = None) -> pl.DataFrame:
        """One row per indicator (and org unit), one column per (measure, year)."""
        f = self.frame if orgunit is None else self.frame.filter(pl.col("orgunit") == orgunit)
        f = f.with_columns(
            (pl.col("measure") + "_" + pl.col("year").cast(pl.String)).alias("column")
        )
        return f.pivot(on="column", index=["indicator", "orgunit"], values="value")

    def merge(self, other: pl.DataFrame) -> ValueTable:
        """Upsert ``other`` (same schema) over this table by key."""
        kept = self.frame.join(other.select(KEY), on=list(KEY), how="anti")
        return ValueTable(pl.concat([kept, other.select(list(SCHEMA))], how="vertical_relaxed"))


# --- the compact value table ------------------------------------------------------------
#
# The engines that go over every value (consolidation, checks) work on the key as
# categories: indicator, org unit and measure as ``pl.Enum`` whose categories are the
# catalog's codes, the tree's codes and the measures, fixed for a plan (:class:`Keys`),
# so that a key is one or two bytes, a filter on a code compares small integers, and a
# join or a group-by hashes integers instead of strings. The categories are sorted, so
# that a frame sorts the same with categories as with text. Text frames are accepted and
# given back as text: the rest of ktxh (exports, tables, the store) keeps its text keys.


@dataclass(frozen=True)
class Keys:
    """The categorical types of a plan's value keys (:func:`compact`)."""

    indicator: pl.Enum
    orgunit: pl.Enum
    measure: pl.Enum

    @classmethod
    def of(cls, indicators: Iterable[str], orgunits: Iterable[str]) -> Keys:
        """From the catalog's codes and the tree's (every unit, past ones too)."""
        return cls(
            pl.Enum(sorted(set(indicators))),
            pl.Enum(sorted(set(orgunits))),
            pl.Enum(sorted(MEASURES)),
        )

    @property
    def dtypes(self) -> dict[str, pl.Enum]:
        return {"indicator": self.indicator, "orgunit": self.orgunit, "measure": self.measure}

    def cast(self, frame: pl.DataFrame, columns: Mapping[str, str] | None = None) -> pl.DataFrame:
        """``frame`` with its key columns (or ``columns``: name -> key, as
        {"parent": "orgunit"}) categorical; those already are stay as they are."""
        wanted = columns or {k: k for k in self.dtypes}
        change = {
            name: self.dtypes[key]
            for name, key in wanted.items()
            if name in frame.columns and frame.schema[name] != self.dtypes[key]
        }
        return frame.cast(change) if change else frame  # type: ignore[arg-type]

    def series(self, key: str, codes: Iterable[str]) -> pl.Series:
        """A few codes as a categorical series (for ``is_in`` and small join tables);
        codes outside the categories are left out."""
        dtype = self.dtypes[key]
        known = set(dtype.categories.to_list())
        return pl.Series(key, [c for c in codes if c in known], dtype=dtype)


def compact_keys(frame: pl.DataFrame, keys: Keys) -> pl.DataFrame:
    """The value frame with categorical keys (:class:`Keys`); other columns as they are.
    A code outside the categories is an error (the catalog or the tree lacks it)."""
    return keys.cast(frame)


def text_keys(frame: pl.DataFrame, columns: Iterable[str] = ()) -> pl.DataFrame:
    """Categorical key columns (and ``columns``) back to text."""
    names = {"indicator", "orgunit", "measure", *columns}
    change = {
        c: pl.String
        for c in names
        if c in frame.columns and isinstance(frame.schema[c], pl.Enum | pl.Categorical)
    }
    return frame.cast(change) if change else frame  # type: ignore[arg-type]


def is_compact(frame: pl.DataFrame) -> bool:
    return isinstance(frame.schema.get("indicator"), pl.Enum)


def by_code(dtype: pl.Enum, column: str, mapping: Mapping[str, Any], out: Any) -> pl.Expr:
    """``mapping[code]`` for each row of the categorical ``column`` (of ``dtype``), null
    where the code has none: a gather by the category's index, no hashing of text."""
    table = pl.Series([mapping.get(c) for c in dtype.categories.to_list()], dtype=out)
    return pl.lit(table).gather(pl.col(column).to_physical())
