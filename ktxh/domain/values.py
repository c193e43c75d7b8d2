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
