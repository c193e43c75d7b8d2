"""The Parquet snapshot of the store (ktxh.store.snapshot, ktxh.io.parquet): every
value, the catalog and the tree, read back equal to what the store holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.contrib.auth.models import User

from ktxh.io.parquet import scan_snapshot
from ktxh.store import models
from ktxh.store.actions import CellWrite, write_values
from ktxh.store.frames import dataset_from_store
from ktxh.store.snapshot import take_snapshot

KEY = ["indicator", "orgunit", "year", "measure"]


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("indicator", "orgunit", "measure").cast(pl.String))


def test_the_snapshot_holds_every_value_with_the_catalog_and_tree(
    plan: Any, tmp_path: Path
) -> None:
    ward = User.objects.get(username="doan-ket")
    write_values(ward, [CellWrite("B02.009", "doan-ket", 2024, "plan", 1, text="83,5")])
    done = take_snapshot(tmp_path / "snap")
    tables = {name: lf.collect() for name, lf in scan_snapshot(tmp_path / "snap").items()}
    values = tables["values"]
    assert done.values == values.height == models.Value.objects.count() == 3619
    # the key as enums over the catalog, the tree and the measures
    assert values.schema["indicator"] == pl.Enum(
        list(models.Indicator.objects.order_by("form", "position").values_list("code", flat=True))
    )
    assert values.schema["orgunit"] == pl.Enum(
        list(models.OrgUnit.objects.order_by("path").values_list("code", flat=True))
    )
    assert values.schema["value"] == pl.Float64
    # the same numbers and printed texts as the store's own value frame
    store = dataset_from_store().values.frame.select([*KEY, "value", "printed", "source"])
    got = as_text(values).select(store.columns).with_columns(pl.col("year").cast(pl.Int32))
    assert got.sort(KEY).equals(store.sort(KEY))
    changed = as_text(values).filter(
        indicator="B02.009", orgunit="doan-ket", year=2024, measure="plan"
    )
    assert changed.select("value", "printed", "version", "updated_by").row(0) == (
        83.5,
        "83,5",
        2,
        "doan-ket",
    )
    assert changed.schema["updated_at"] == pl.Datetime("us", "UTC")
    assert tables["indicators"].height == 439 and "consolidation" in tables["indicators"].columns
    assert tables["orgunits"]["code"].to_list()[0] == "lai-chau"
    assert tables["forms"].height == 13
    manifest = json.loads((tmp_path / "snap" / "snapshot.json").read_text("utf-8"))
    assert manifest["plan"] == plan.name
    assert manifest["counts"]["values"] == 3619
    assert manifest["reference_year"] == plan.reference_year


def test_values_are_written_in_parts_of_whole_org_units(plan: Any, tmp_path: Path) -> None:
    one = take_snapshot(tmp_path / "one")
    parts = take_snapshot(tmp_path / "parts", part_rows=600)
    assert one.parts == 1 and parts.parts > 3
    files = sorted((tmp_path / "parts" / "values").glob("part-*.parquet"))
    assert len(files) == parts.parts
    units = [set(pl.read_parquet(f)["orgunit"].cast(pl.String)) for f in files]
    for a in range(len(units)):  # no org unit is split between two files
        for b in range(a + 1, len(units)):
            assert not units[a] & units[b]
    whole = scan_snapshot(tmp_path / "one")["values"].collect()
    split = scan_snapshot(tmp_path / "parts")["values"].collect()
    assert as_text(split).sort(KEY).equals(as_text(whole).sort(KEY))


def test_a_snapshot_replaces_an_older_one_but_no_other_folder(plan: Any, tmp_path: Path) -> None:
    target = tmp_path / "snap"
    take_snapshot(target, part_rows=600)
    take_snapshot(target)  # fewer parts: the older ones are gone
    assert [p.name for p in (target / "values").iterdir()] == ["part-00000.parquet"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("giữ nguyên", encoding="utf-8")
    with pytest.raises(FileExistsError, match="thư mục trống"):
        take_snapshot(other)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "giữ nguyên"
