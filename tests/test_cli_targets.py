"""`ktxh targets`: targets and their ratings on the command line, documents recorded from
CSV files all or nothing, a target set by a document; and a target typed into an input
template imported with `ktxh import`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.store import models
from tests.store_helpers import store_snapshot
from tests.targets_helpers import DOCUMENTS, targets_package
from tests.xlsx_helpers import fill

runner = CliRunner()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return targets_package(tmp_path_factory.mktemp("targets") / "package")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_targets_of_a_package_rated(package: Path) -> None:
    result = runner.invoke(app, ["targets", "list", "--dataset", str(package)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "chỉ tiêu có hiệu lực ngày 30/08/2023" in flat(out)
    assert "từ 93,5 trở lên" in out and "21/NQ-HĐND" in out and "Không đạt" in out
    assert "84-85" in out and "khoảng 200" in out
    assert "Toàn biểu: có 20/21 chỉ tiêu đạt và vượt kế hoạch" in flat(out)
    assert "Các chỉ tiêu về xã hội: có 12/13 chỉ tiêu đạt và vượt kế hoạch" in flat(out)
    assert (
        "⚠ B01.007 Tỷ lệ tăng dân số tự nhiên: chỉ tiêu theo Nghị quyết HĐND số 08/NQ-HĐND"
        in flat(out)
    )
    early = runner.invoke(
        app, ["targets", "list", "--dataset", str(package), "--on", "2023-01-01", "-f", "json"]
    )
    doc = json.loads(early.stdout)
    (row,) = [r for r in doc["rows"] if r["indicator"] == "B01.009"]
    assert row["target"]["text"] == "trên 92" and row["ratings"]["estimate"]["label"] == "Đạt"
    assert [h["document"]["code"] for h in row["history"]] == ["nq-21-2023"]  # not yet in force


def test_documents_of_a_package(package: Path) -> None:
    result = runner.invoke(app, ["targets", "documents", "--dataset", str(package)])
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "Nghị quyết HĐND số 21/NQ-HĐND ngày 14/07/2023" in out and "nq-08-2022" in out


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def test_record_documents_and_targets_from_csv_all_or_nothing(plan: Any, tmp_path: Path) -> None:
    docs = _csv(
        tmp_path / "van-ban.csv",
        [
            {k: d.get(k, "") for k in ("code", "kind", "number", "date", "amends")}
            for d in DOCUMENTS
        ],
    )
    rows = [
        {"indicator": "B01.014", "orgunit": "lai-chau", "year": "2023", "document": "nq-08-2022",
         "text": "84-85%"},
        {"indicator": "B01.014", "orgunit": "lai-chau", "year": "2023", "document": "nq-21-2023",
         "text": "trên 4.70"},
    ]  # fmt: skip
    before = store_snapshot()
    bad = runner.invoke(
        app,
        ["targets", "record", "--documents", str(docs), "--targets",
         str(_csv(tmp_path / "bad.csv", rows)), "--user", "admin"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "bad.csv, dòng 3: " in flat(bad.output) and "hãy viết 4,70" in flat(bad.output)
    assert "chưa ghi gì" in flat(bad.output)
    assert store_snapshot() == before
    rows[1]["text"] = "84,6-85,5%"
    good = runner.invoke(
        app,
        ["targets", "record", "--documents", str(docs), "--targets",
         str(_csv(tmp_path / "good.csv", rows)), "--user", "admin"],
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "Đã ghi 3 văn bản và 2 chỉ tiêu." in good.output
    value = models.Value.objects.get(
        indicator_id="B01.014", orgunit_id="lai-chau", year=2023, measure="plan"
    )
    assert value.printed == "84,6-85,5%"  # the amendment, in force
    listed = runner.invoke(app, ["targets", "list"])
    assert "84,6-85,5%" in listed.stdout and "21/NQ-HĐND" in listed.stdout
    unit = runner.invoke(
        app,
        ["targets", "set", "B01.014", "lai-chau", "2023", "85%", "-d", "nq-08-2022", "--user",
         "doan-ket"],
    )  # fmt: skip
    assert unit.exit_code == 2 and "không có quyền" in flat(unit.output)


def test_a_target_typed_into_a_template_is_imported(plan: Any, tmp_path: Path) -> None:
    out = tmp_path / "mau.xlsx"
    made = runner.invoke(app, ["template", "-u", "Đoàn Kết", "-o", str(out), "--form", "7"])
    assert made.exit_code == 0, made.output
    ws = openpyxl.load_workbook(out)["Biểu 7"]
    code_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "B07.048")
    plan_col = next(
        c for c in range(1, ws.max_column + 1) if ws.cell(code_row, c).value == 90.8
    )  # KH 2024: 90,8 %
    ref = ws.cell(code_row, plan_col).coordinate
    path = fill(out, tmp_path / "dk.xlsx", {("Biểu 7", ref): "90 - 92%"})
    result = runner.invoke(app, ["import", str(path), "--user", "admin"])
    assert result.exit_code == 0, result.output
    assert f"Biểu 7, ô {ref}" in flat(result.output) and "90,8 → 90 - 92%" in flat(result.output)
    value = models.Value.objects.get(
        indicator_id="B07.048", orgunit_id="doan-ket", year=2024, measure="plan"
    )
    assert (value.value, value.printed) == (90.0, "90 - 92%")
    assert models.Target.objects.get(indicator_id="B07.048", document=None).kind == "range"
    refused = fill(out, tmp_path / "dk2.xlsx", {("Biểu 7", ref): "trên 4.70"})
    before = store_snapshot()
    bad = runner.invoke(app, ["import", str(refused), "--user", "admin"])
    assert bad.exit_code == 2
    assert f"ô {ref}" in flat(bad.output) and "hãy viết 4,70" in flat(bad.output)
    assert store_snapshot() == before
