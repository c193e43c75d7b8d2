"""The data package: the shipped one is valid and reads whole; every kind of fault is
refused with its file, row and column, in Vietnamese, all of them at once."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from frictionless import validate

from ktxh.domain.catalog import Consolidation, Direction, RowKind
from ktxh.domain.dataset import Dataset
from ktxh.io.datapackage import (
    DESCRIPTOR,
    RESOURCES,
    PackageError,
    descriptor,
    read_dataset,
    read_package,
    shipped_package,
)

SHIPPED = shipped_package()


def test_the_shipped_package_is_a_valid_frictionless_package() -> None:
    report = validate(str(SHIPPED / DESCRIPTOR))
    errors = [e.message for task in report.tasks for e in task.errors]
    assert report.valid, errors[:10]


def test_the_descriptor_is_the_one_the_code_writes() -> None:
    head = json.loads((SHIPPED / DESCRIPTOR).read_text(encoding="utf-8"))
    assert head == descriptor(head)
    assert [r["name"] for r in head["resources"]] == list(RESOURCES)


def test_the_shipped_package_reads_whole(dataset: Dataset) -> None:
    assert dataset.name == "laichau-2024"
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
    assert len(dataset.values) == 3619
    assert [d.name for d in dataset.departments][:2] == [
        "Phòng Kinh tế",
        "Phòng Lao động - Thương binh và Xã hội",
    ]
    assert dataset.departments[0].forms == (2, 3, 4, 5, 6)


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
    frame = dataset.values.frame
    row = frame.filter((frame["indicator"] == "B02.016") & (frame["orgunit"] == "tan-phong"))
    assert row["printed"].to_list() == ["-"]
    assert row["source"].to_list() == ["seed"]
    assert cat["B10.015"].direction is Direction.DOWN


# --- faults -----------------------------------------------------------------------------


@pytest.fixture
def package(tmp_path: Path) -> Path:
    target = tmp_path / "goi"
    shutil.copytree(SHIPPED, target)
    return target


def edit_csv(path: Path, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0]) if rows else []
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the line number people see (the header is line 1)."""

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[row - 2][column] = value
        return rows

    edit_csv(path, change)


def refused(package: Path) -> list[str]:
    with pytest.raises(PackageError) as caught:
        read_package(package)
    assert str(caught.value).startswith("Gói dữ liệu có")
    return caught.value.problems


def test_a_missing_resource_file(package: Path) -> None:
    (package / "orgunits.csv").unlink()
    assert refused(package) == [
        "datapackage.json, tài nguyên thứ 3 («orgunits»): không có tệp orgunits.csv"
    ]


def test_a_required_resource_not_listed(package: Path) -> None:
    head = json.loads((package / DESCRIPTOR).read_text(encoding="utf-8"))
    head["resources"] = [r for r in head["resources"] if r["name"] != "values"]
    (package / DESCRIPTOR).write_text(json.dumps(head), encoding="utf-8")
    assert refused(package) == ["datapackage.json: thiếu tài nguyên bắt buộc «values» (values.csv)"]


def test_a_resource_ktxh_does_not_know_and_a_path_outside(package: Path) -> None:
    head = json.loads((package / DESCRIPTOR).read_text(encoding="utf-8"))
    head["resources"].append({"name": "locks", "path": "locks.csv"})
    head["resources"][0]["path"] = "../forms.csv"
    (package / DESCRIPTOR).write_text(json.dumps(head), encoding="utf-8")
    problems = refused(package)
    unknown = f"tài nguyên thứ {len(RESOURCES) + 1}: tên «locks» không phải tài nguyên ktxh biết"
    assert any(unknown in p for p in problems)
    assert any(
        "(«forms»): đường dẫn «../forms.csv» phải là tên một tệp trong gói" in p for p in problems
    )


def test_a_bad_code(package: Path) -> None:
    set_cell(package / "orgunits.csv", 3, "code", "đoàn kết")
    problems = refused(package)
    assert problems[0] == (
        "orgunits.csv, dòng 3, cột «code»: «đoàn kết» không phải mã hợp lệ (chữ cái không "
        "dấu, chữ số, «.», «-», «_»; tối đa 64 ký tự)"
    )
    # the values and users of the old code are named too
    assert any(p.startswith("values.csv, dòng ") and "«doan-ket» không có" in p for p in problems)


def test_an_unknown_unit_of_measure(package: Path) -> None:
    set_cell(package / "indicators.csv", 3, "unit", "dặm")
    assert refused(package) == [
        "indicators.csv, dòng 3, cột «unit»: «dặm» không có trong units.csv"
    ]


def test_a_duplicate_key(package: Path) -> None:
    edit_csv(package / "values.csv", lambda rows: [*rows, rows[0]])
    (problem,) = refused(package)
    assert problem == (
        "values.csv, dòng 2, 3621: khóa (B01.002, lai-chau, 2023, estimate) bị trùng"
    )


def test_a_bad_number(package: Path) -> None:
    set_cell(package / "values.csv", 5, "value", "1,5")
    set_cell(package / "values.csv", 6, "value", "NaN")
    set_cell(package / "units.csv", 2, "scale", "mười")
    problems = refused(package)
    assert problems == [
        "units.csv, dòng 2, cột «scale»: «mười» không phải số (dấu chấm thập phân, không phân "
        "cách hàng nghìn: 2731.1)",
        "values.csv, dòng 5, cột «value»: «1,5» không phải số (dấu chấm thập phân, không phân "
        "cách hàng nghìn: 2731.1)",
        "values.csv, dòng 6, cột «value»: «NaN» không phải số (dấu chấm thập phân, không phân "
        "cách hàng nghìn: 2731.1)",
    ]


def test_every_kind_of_cell_fault_is_located(package: Path) -> None:
    set_cell(package / "values.csv", 2, "year", "2023.5")
    set_cell(package / "values.csv", 3, "measure", "kế hoạch")
    set_cell(package / "values.csv", 4, "indicator", "")
    set_cell(package / "values.csv", 7, "updated_at", "hôm qua")
    set_cell(package / "orgunits.csv", 2, "valid_to", "2025-02-30")
    set_cell(package / "indicators.csv", 4, "direction", "sideways")
    problems = refused(package)
    assert "values.csv, dòng 2, cột «year»: «2023.5» không phải số nguyên" in problems
    assert any(
        p.startswith("values.csv, dòng 3, cột «measure»: «kế hoạch» phải là một trong: plan, h1")
        for p in problems
    )
    assert "values.csv, dòng 4, cột «indicator»: «» thiếu giá trị (bắt buộc)" in problems
    assert any(p.startswith("values.csv, dòng 7, cột «updated_at»: «hôm qua»") for p in problems)
    assert (
        "orgunits.csv, dòng 2, cột «valid_to»: «2025-02-30» không phải ngày dạng YYYY-MM-DD"
        in problems
    )
    direction = "indicators.csv, dòng 4, cột «direction»: «sideways»"
    assert any(p.startswith(direction) for p in problems)


def test_a_broken_csv_file_and_a_wrong_header(package: Path) -> None:
    with (package / "claims.csv").open("a", encoding="utf-8") as fh:
        fh.write("x,y\n")
    text = (package / "rules.csv").read_text(encoding="utf-8")
    (package / "rules.csv").write_text(text.replace("tolerance", "sai_so", 1), encoding="utf-8")
    (package / "forms.csv").write_bytes(b"form,title,columns,seed_line\n1,Bi\xe1u,,\n")
    problems = refused(package)
    assert "forms.csv, dòng 2: không phải văn bản UTF-8" in problems
    assert "claims.csv, dòng 72: không đọc được dạng CSV (số ô của dòng khác dòng tiêu đề)" in (
        problems
    )
    assert (
        "rules.csv, dòng 1: cột không có trong định dạng: «sai_so»; các cột: id, title, left, "
        "operator, right, tolerance, severity, scope, message" in problems
    )


def test_the_catalog_and_the_tree_are_held_to_their_own_rules(package: Path) -> None:
    set_cell(package / "indicators.csv", 2, "position", "7")
    set_cell(package / "orgunits.csv", 2, "parent", "doan-ket")  # a cycle
    problems = refused(package)
    assert "indicators.csv: Biểu số 1: số thứ tự dòng không liên tục" in problems
    assert "orgunits.csv: Cây đơn vị có vòng lặp" in problems


def test_a_rule_over_an_unknown_code(package: Path) -> None:
    set_cell(package / "rules.csv", 2, "left", "B99.999")
    problems = refused(package)
    assert problems == [
        "rules.csv, dòng 2, cột «left»: mã chỉ tiêu không có trong danh mục: B99.999"
    ]


def test_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"thiếu datapackage\.json"):
        read_dataset(tmp_path)
    (tmp_path / DESCRIPTOR).write_text("{", encoding="utf-8")
    with pytest.raises(PackageError, match=r"datapackage\.json, dòng 1, cột 2: JSON sai"):
        read_dataset(tmp_path)


def test_a_package_of_another_format_version(package: Path) -> None:
    head = json.loads((package / DESCRIPTOR).read_text(encoding="utf-8"))
    head["ktxh"]["format_version"] = 1
    (package / DESCRIPTOR).write_text(json.dumps(head), encoding="utf-8")
    assert refused(package) == [
        "datapackage.json, trường «ktxh.format_version»: là 1; ktxh này đọc định dạng 2"
    ]
