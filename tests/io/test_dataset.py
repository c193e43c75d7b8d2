import csv
import shutil
from pathlib import Path

import pytest
from frictionless import validate

from ktxh.domain.catalog import Consolidation, Direction, RowKind
from ktxh.io.dataset import DEFAULT_DATASET, Dataset, DatasetError, read_dataset


def test_the_default_dataset_is_a_valid_frictionless_package() -> None:
    report = validate(str(DEFAULT_DATASET / "datapackage.json"))
    errors = [e.message for task in report.tasks for e in task.errors]
    assert report.valid, errors[:10]


def test_the_default_dataset_reads_whole(dataset: Dataset) -> None:
    assert sorted(dataset.catalog.forms) == list(range(1, 14))
    assert dataset.reference_year == 2023
    assert dataset.top_orgunit == "lai-chau"
    assert [u.full_name for u in dataset.tree.children("lai-chau")] == [
        "phường Đoàn Kết",
        "phường Tân Phong",
        "phường Đông Phong",
        "phường Quyết Thắng",
        "phường Quyết Tiến",
        "xã San Thàng",
        "xã Sùng Phài",
    ]
    assert not dataset.catalog.validate()
    indicators = [i for i in dataset.catalog if i.kind is RowKind.INDICATOR]
    assert 370 <= len(indicators) <= 400  # "about 380 indicators"
    assert len(dataset.values) > 3500


def test_catalog_semantics_on_known_rows(dataset: Dataset) -> None:
    cat = dataset.catalog
    growth = cat["B01.007"]  # line 235: printed "%", really per thousand
    assert growth.unit == "‰" and growth.unit_printed == "%"
    assert growth.direction is Direction.DOWN
    assert cat["B01.002"].consolidation is Consolidation.CITY_ONLY
    area = cat["B02.009"]  # line 271
    assert area.seed_line == 271 and area.consolidation is Consolidation.SUM
    assert dataset.values.get("B02.009", "lai-chau", 2024, "plan") == 2731.1
    assert dataset.values.get("B02.009", "sung-phai", 2024, "plan") == 1324.6
    # a printed "-" is stored as explicitly none
    assert dataset.values.get("B02.016", "tan-phong", 2024, "plan") is None
    assert dataset.values.frame.filter(
        (dataset.values.frame["indicator"] == "B02.016")
        & (dataset.values.frame["orgunit"] == "tan-phong")
    )["printed"].to_list() == ["-"]
    mean = cat["B10.015"]
    assert mean.direction is Direction.DOWN


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "ds"
    shutil.copytree(DEFAULT_DATASET, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def test_unknown_indicator_in_values_is_named(tmp_path: Path) -> None:
    ds = _copy(tmp_path)

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["indicator"] = "B99.999"
        return rows

    _edit(ds / "values.csv", change)
    with pytest.raises(DatasetError, match=r"B99\.999"):
        read_dataset(ds)


def test_duplicate_value_key_is_refused(tmp_path: Path) -> None:
    ds = _copy(tmp_path)
    _edit(ds / "values.csv", lambda rows: [*rows, rows[0]])
    with pytest.raises(ValueError, match="trùng khóa"):
        read_dataset(ds)


def test_bad_enum_in_catalog_names_file_and_row(tmp_path: Path) -> None:
    ds = _copy(tmp_path)

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[4]["direction"] = "sideways"
        return rows

    _edit(ds / "indicators.csv", change)
    with pytest.raises(DatasetError, match=r"indicators\.csv, dòng 6"):
        read_dataset(ds)


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"datapackage\.json"):
        read_dataset(tmp_path)
