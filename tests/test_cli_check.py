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


CAUSE = (
    "Ô «Tổng diện tích đất nông nghiệp canh tác» (KH 2024, xã Sùng Phài) ghi 1.324,6: 2 phép "
    "kiểm tra cùng chỉ ra ô này, và cùng cho thấy nó phải là khoảng 1.354,6 ha"
)


def test_text_leads_with_the_causes_by_form_and_exit_code_says_errors() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1  # the Lai Châu report has errors
    out = result.stdout
    assert "Biểu số 2: ĐỊNH HƯỚNG MỘT SỐ CHỈ TIÊU PHÁT TRIỂN" in out
    # Biểu 2 line 271: the wards do not add up, and gieo trồng - tăng vụ says the same cell:
    # one cause, the cell, then the two findings under it
    lead = f"  [lỗi] dòng 271 · B02.009 Tổng diện tích đất nông nghiệp canh tác: {CAUSE}\n"
    assert lead in out
    after = out[out.index(lead) + len(lead) :].splitlines()
    assert after[0] == (
        f"      - [lỗi] dòng 271 · B02.009 Tổng diện tích đất nông nghiệp canh tác: {AREA}"
    )
    assert after[1].startswith(
        "      - [lỗi] dòng 274 · B02.012 Tổng diện tích gieo trồng: KH 2024"
    )
    assert out.index("Biểu số 2:") < out.index("Biểu số 3:")
    assert "nguyên nhân" in out
    assert "Kết quả kiểm tra:" in result.stderr and "nguyên nhân" in result.stderr


def test_min_severity() -> None:
    result = runner.invoke(app, ["check", "--min-severity", "lỗi"])
    causes = [line for line in result.stdout.splitlines() if line.startswith("  [")]
    assert causes and all(line.startswith("  [lỗi]") for line in causes)
    assert "cảnh báo," in result.stderr and "0 lưu ý" in result.stderr
    bad = runner.invoke(app, ["check", "--min-severity", "nặng"])
    assert bad.exit_code == 2 and "không hợp lệ" in bad.stderr


def test_json_follows_its_schema(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    result = runner.invoke(app, ["check", "--format", "json", "-o", str(out)])
    assert result.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    # one entry per cause; every finding kept, as the cause's first or its consequences
    assert doc["summary"]["lỗi"] == sum(1 for f in doc["findings"] if f["severity"] == "lỗi")
    assert doc["counts"]["causes"] == len(doc["findings"])
    assert doc["counts"]["findings"] == sum(1 + len(f["consequences"]) for f in doc["findings"])
    assert doc["counts"]["causes"] <= 72  # at most half the 144 findings of before issue 14
    cause = next(f for f in doc["findings"] if f["code"] == "B02.009")
    assert cause["cause"] == "units_sum|B02.009|lai-chau|2024|plan"
    assert cause["cause_message"] == CAUSE
    assert {"code": "B02.009", "orgunit_code": "sung-phai", "year": 2024, "measure": "plan"} in (
        cause["cells"]
    )
    (other,) = cause["consequences"]
    assert other["rule"] == "parts_sum" and other["code"] == "B02.012"
    assert other["orgunit_code"] == "sung-phai" and other["cause"] == cause["cause"]
    area = {k: v for k, v in cause.items() if k not in ("cause_message", "cells", "consequences")}
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
        "cause": "units_sum|B02.009|lai-chau|2024|plan",
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
