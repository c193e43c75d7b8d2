import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.export import EXPORT_COLUMNS

runner = CliRunner()
# the commands read the store: the Lai Châu plan loaded into the test database
pytestmark = pytest.mark.usefixtures("plan")


def test_forms_lists_all_thirteen() -> None:
    result = runner.invoke(app, ["forms"])
    assert result.exit_code == 0, result.output
    for n in range(1, 14):
        assert f"│ {n:>4} │" in result.output
    assert "Tổng cộng" in result.output
    assert "3.619" in result.output  # Vietnamese grouping


def test_show_prints_vietnamese_numbers_and_marks_differences() -> None:
    result = runner.invoke(app, ["show", "2", "--units"])
    assert result.exit_code == 0, result.output
    assert "2.731,1" in result.output  # line 271 total
    assert "1.324,6" in result.output  # Sùng Phài
    assert "Sùng Phài" in result.output
    result = runner.invoke(app, ["show", "12"])
    assert "≠ 100" in result.output  # line 777: printed 58, computed 100
    assert "Số ô tỷ lệ khác bản in" in result.output


def test_show_one_unit() -> None:
    result = runner.invoke(app, ["show", "9", "--orgunit", "Sung Phai"])
    assert result.exit_code == 0, result.output
    assert "xã Sùng Phài" in result.output


def test_show_explains_bad_input_in_vietnamese() -> None:
    result = runner.invoke(app, ["show", "14"])
    assert result.exit_code == 2
    assert "không có biểu số 14" in result.output
    result = runner.invoke(app, ["show", "1", "--orgunit", "Hà Nội"])
    assert result.exit_code == 2
    assert "Không có đơn vị «Hà Nội»" in result.output


def test_values_csv_has_the_documented_columns(tmp_path: Path) -> None:
    out = tmp_path / "values.csv"
    result = runner.invoke(app, ["values", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 3619
    first = rows[0]
    assert first["form"] == "1" and first["position"] == "2"
    assert first["orgunit"] == "thành phố Lai Châu"
    assert {r["measure"] for r in rows} <= {
        "plan",
        "h1",
        "estimate",
        "actual",
        "printed_ratio_estimate_plan",
        "printed_ratio_nextplan_estimate",
    }
    budget = [r for r in rows if r["code"] == "B01.003" and r["measure"] == "h1"]
    assert budget[0]["value"] == "57.804" and budget[0]["printed"] == "57,804"
    assert budget[0]["seed_line"] == "231"
    wards = {r["orgunit"] for r in rows}
    assert "phường Đoàn Kết" in wards and "xã Sùng Phài" in wards
    dash = [r for r in rows if r["printed"] == "-"]
    assert dash and all(r["value"] == "" for r in dash)


def test_values_json() -> None:
    result = runner.invoke(app, ["values", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 3619
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    area = next(
        r
        for r in rows
        if r["code"] == "B02.009" and r["orgunit"] == "thành phố Lai Châu" and r["year"] == 2024
    )
    assert area["value"] == 2731.1


def test_values_rejects_unknown_format() -> None:
    result = runner.invoke(app, ["values", "--format", "xml"])
    assert result.exit_code == 2
    assert "không hỗ trợ" in result.output
