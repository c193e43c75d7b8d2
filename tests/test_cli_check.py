"""`ktxh check`: text for people, JSON for machines, a highlighted workbook."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.domain.dataset import Dataset
from ktxh.domain.synthetic import consistent_plan
from ktxh.io.datapackage import RESOURCES, shipped_package
from ktxh.io.findings_json import SCHEMA_PATH

runner = CliRunner()
# the commands read the store: the Lai Châu plan loaded into the test database
pytestmark = pytest.mark.usefixtures("plan")
AREA = "KH 2024: Tổng 7 xã, phường là 2.701,1 ha, khác Tổng cộng 2.731,1 ha (lệch 30,0 ha)"


def test_text_is_grouped_by_form_and_exit_code_says_errors() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1  # the Lai Châu report has errors
    out = result.stdout
    assert "Biểu số 2: ĐỊNH HƯỚNG MỘT SỐ CHỈ TIÊU PHÁT TRIỂN" in out
    assert f"[lỗi] dòng 271 · B02.009 Tổng diện tích đất nông nghiệp canh tác: {AREA}" in out
    assert out.index("Biểu số 2:") < out.index("Biểu số 3:")
    assert "Kết quả kiểm tra:" in result.stderr


def test_min_severity() -> None:
    result = runner.invoke(app, ["check", "--min-severity", "lỗi"])
    assert "[cảnh báo]" not in result.stdout and "[lỗi]" in result.stdout
    bad = runner.invoke(app, ["check", "--min-severity", "nặng"])
    assert bad.exit_code == 2 and "không hợp lệ" in bad.stderr


def test_json_follows_its_schema(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    result = runner.invoke(app, ["check", "--format", "json", "-o", str(out)])
    assert result.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert doc["summary"]["lỗi"] == sum(1 for f in doc["findings"] if f["severity"] == "lỗi")
    area = next(f for f in doc["findings"] if f["rule"] == "units_sum" and f["code"] == "B02.009")
    assert area == {
        "rule": "units_sum",
        "severity": "lỗi",
        "form": 2,
        "position": 9,
        "code": "B02.009",
        "indicator": "Tổng diện tích đất nông nghiệp canh tác",
        "orgunit": "thành phố Lai Châu",
        "orgunit_code": "lai-chau",
        "year": 2024,
        "measure": "plan",
        "values": {
            "total": 2731.1,
            "children_sum": area["values"]["children_sum"],
            "difference": area["values"]["difference"],
        },
        "expected": area["expected"],
        "message": AREA,
        "seed_line": 271,
    }
    assert abs(area["expected"] - 2701.1) < 1e-6


def test_xlsx_highlights_cells_with_comments(tmp_path: Path) -> None:
    out = tmp_path / "kiem-tra.xlsx"
    result = runner.invoke(app, ["check", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 1
    book = openpyxl.load_workbook(out)
    ws = book["Biểu 2"]
    commented = [c for row in ws.iter_rows() for c in row if c.comment is not None]
    assert commented
    total = next(c for c in commented if c.value == 2731.1)
    assert "2.701,1" in total.comment.text
    assert total.fill.fgColor.rgb not in (None, "00000000")


def test_xlsx_needs_an_output() -> None:
    result = runner.invoke(app, ["check", "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.stderr


def test_a_consistent_plan_passes(tmp_path: Path, dataset: Dataset) -> None:
    """A dataset whose values are a consistent plan: no error, exit code 0."""
    target = tmp_path / "sach"
    shutil.copytree(shipped_package(), target)
    (target / "claims.csv").write_text(",".join(RESOURCES["claims"].columns) + "\n")
    plan = consistent_plan(dataset.catalog, dataset.tree, 2023, dataset.rules, seed=11)
    plan.with_columns(
        pl.col("value").round(6),
        pl.lit("").alias("printed"),
        pl.lit(None, pl.Int32).alias("seed_line"),
        pl.lit("high").alias("confidence"),
        pl.lit("").alias("note"),
    ).select(
        "indicator",
        "orgunit",
        "year",
        "measure",
        "value",
        "printed",
        "seed_line",
        "confidence",
        "note",
    ).write_csv(target / "values.csv")
    result = runner.invoke(app, ["check", "--dataset", str(target), "--min-severity", "lỗi"])
    assert result.exit_code == 0, result.stdout[:2000]
    assert "Không phát hiện chỗ nào không khớp." in result.stdout
