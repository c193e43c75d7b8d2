"""The Parquet snapshot of a store: the plan's values, catalog and tree as Parquet
files, for analytics of a whole country (polars, DuckDB, Spark, R's arrow ...)
away from the store itself (docs/deploy.md).

A snapshot is a directory::

    snapshot.json            what it is: the plan, when, from which database, counts
    forms.parquet            the forms (one row each)
    indicators.parquet       the catalog: one row per indicator, its catalog row's fields
    units.parquet            the units of measure
    orgunits.parquet         the tree: code, name, level, parent, path, validity
    rounds.parquet           the reporting rounds
    values/part-00000.parquet ...  the values, a few million rows a file

The values' key columns are categorical (``pl.Enum``, dictionary-encoded in the
files) over the catalog's codes, the tree's codes and the measures, so that a
reader joins and groups on small integers; ``value`` is float64. Read a snapshot
with :func:`scan_snapshot` (lazy frames), or straight from DuckDB::

    SELECT * FROM read_parquet('snap/values/*.parquet')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

FORMAT = "ktxh-snapshot"
VERSION = 1
TABLES = ("forms", "indicators", "units", "orgunits", "rounds")
PART_ROWS = 4_000_000  # values in one part file, about the memory it takes to write one


def value_schema(
    indicators: Sequence[str], orgunits: Sequence[str], measures: Sequence[str]
) -> dict[str, pl.DataType]:
    """The values' columns: the key as enums over the catalog, the tree and the measures."""
    return {
        "indicator": pl.Enum(list(indicators)),
        "orgunit": pl.Enum(list(orgunits)),
        "year": pl.Int16(),
        "measure": pl.Enum(list(measures)),
        "value": pl.Float64(),
        "printed": pl.String(),
        "source": pl.Categorical(),
        "source_ref": pl.String(),
        "seed_line": pl.Int32(),
        "confidence": pl.Categorical(),
        "note": pl.String(),
        "version": pl.Int32(),
        "updated_at": pl.Datetime("us", "UTC"),
        "updated_by": pl.Categorical(),
    }


VALUE_COLUMNS = tuple(value_schema([], [], []))


def part_path(directory: Path, n: int) -> Path:
    return directory / "values" / f"part-{n:05d}.parquet"


def prepare(directory: Path) -> None:
    """An empty snapshot directory (refused when it holds anything but an older
    snapshot, which is replaced)."""
    directory = Path(directory)
    if directory.exists():
        names = {p.name for p in directory.iterdir()}
        if names and "snapshot.json" not in names:
            raise FileExistsError(f"thư mục {directory} đã có tệp khác; hãy chọn một thư mục trống")
        for p in sorted(directory.rglob("*.parquet")):
            p.unlink()
        (directory / "snapshot.json").unlink(missing_ok=True)
    (directory / "values").mkdir(parents=True, exist_ok=True)


def write_table(directory: Path, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """One of :data:`TABLES` from its rows (every value as it is; text stays text)."""
    if name not in TABLES:
        raise ValueError(f"unknown snapshot table {name!r}")
    frame = pl.DataFrame(list(rows), infer_schema_length=None) if rows else pl.DataFrame()
    frame.write_parquet(Path(directory) / f"{name}.parquet", statistics=True)
    return frame.height


def write_part(directory: Path, n: int, frame: pl.DataFrame) -> Path:
    """Part ``n`` of the values (its columns :data:`VALUE_COLUMNS`, typed by
    :func:`value_schema`)."""
    if tuple(frame.columns) != VALUE_COLUMNS:
        raise ValueError(f"the values' columns are {VALUE_COLUMNS}, not {tuple(frame.columns)}")
    path = part_path(Path(directory), n)
    frame.write_parquet(path, statistics=True, row_group_size=512 * 1024)
    return path


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    doc = {"format": FORMAT, "version": VERSION, **manifest}
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n"
    (Path(directory) / "snapshot.json").write_text(text, encoding="utf-8")


def read_manifest(directory: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(directory) / "snapshot.json").read_text("utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"{directory} không phải một bản chụp của ktxh (thiếu snapshot.json)")
    return doc


def scan_snapshot(directory: Path) -> dict[str, pl.LazyFrame]:
    """Every table of a snapshot as a lazy frame: "values" and :data:`TABLES`."""
    directory = Path(directory)
    read_manifest(directory)
    out = {"values": pl.scan_parquet(directory / "values" / "*.parquet")}
    for name in TABLES:
        out[name] = pl.scan_parquet(directory / f"{name}.parquet")
    return out
