"""`ktxh read` (past reports read in, nothing written), `ktxh export-sdmx` and
`ktxh report --annex-docx`."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.domain.dataset import Dataset
from ktxh.io.xlsx_forms import write_annex
from tests.conftest import SEED_FILE, SHIPPED

runner = CliRunner()


@pytest.fixture(scope="module")
def annex(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Path:
    path = tmp_path_factory.mktemp("read") / "phu-luc.xlsx"
    write_annex(dataset, path)
    return path


def test_read_as_json(annex: Path) -> None:
    result = runner.invoke(app, ["read", str(annex), "--dataset", str(SHIPPED), "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] and doc["year"] == 2023 and doc["problems"] == []
    assert [t["form"] for t in doc["tables"]] == list(range(1, 14))
    value = next(
        v
        for v in doc["values"]
        if (v["indicator"], v["orgunit"], v["year"], v["measure"])
        == ("B02.009", "lai-chau", 2024, "plan")
    )
    assert value["value"] == 2731.1 and value["printed"] == "2.731,1"
    assert value["confidence"] == "high"
    assert value["where"]["sheet"] == "Biểu 2" and value["where"]["cell"].startswith("G")
    assert [r["kind"] for r in doc["review"]] == ["ditto"]


@pytest.mark.skipif(not SEED_FILE.exists(), reason=f"the seed report is not here ({SEED_FILE})")
def test_read_the_seed_with_a_review_workbook(tmp_path: Path) -> None:
    out = tmp_path / "xem-lai.xlsx"
    result = runner.invoke(
        app, ["read", str(SEED_FILE), "--dataset", str(SHIPPED), "--review", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Năm của báo cáo: 2023 (kế hoạch năm sau: 2024)" in result.stdout
    assert "biểu số 13 (nhãn «Biểu số»)" in result.stdout
    assert "Cần người xem lại" in result.stdout
    assert f"Đã ghi bảng cần xem lại vào {out}." in result.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Cần xem lại", "Giá trị đã đọc", "Các bảng"]
    review = wb["Cần xem lại"]
    assert [c.value for c in review[1]][:3] == ["STT", "Loại", "Tệp"]
    assert review.max_row > 100
    [rule] = review.data_validations.dataValidation
    assert rule.formula1 == '"Đồng ý,Cách xếp khác,Sửa,Bỏ"'
    values = wb["Giá trị đã đọc"]
    assert values.max_row - 1 > 3500
    row = next(r for r in values.iter_rows(min_row=2, values_only=True) if r[7] == "57,804")
    assert row[:2] == ("B01.003", "Tổng thu ngân sách nhà nước trên địa bàn")
    assert row[6] == 57.804 and row[12] == 231  # the seed's line


def test_read_refuses_a_damaged_file_where_it_is(tmp_path: Path) -> None:
    bad = tmp_path / "bao-cao.docx"
    bad.write_bytes(b"PK\x03\x04 not a document")
    result = runner.invoke(app, ["read", str(bad), "--dataset", str(SHIPPED)])
    assert result.exit_code == 2
    assert "KHÔNG ĐỌC ĐƯỢC (1):" in result.stdout
    assert "tệp «bao-cao.docx»: tệp bị hỏng" in result.stdout


def test_read_a_missing_file() -> None:
    result = runner.invoke(app, ["read", "khong-co.pdf", "--dataset", str(SHIPPED)])
    assert result.exit_code == 2
    assert "không có tệp: khong-co.pdf" in result.stderr


@pytest.mark.django_db
def test_read_writes_nothing_into_the_store(plan: object, annex: Path) -> None:
    from tests.store_helpers import store_snapshot

    before = store_snapshot()
    result = runner.invoke(app, ["read", str(annex)])
    assert result.exit_code == 0, result.output
    assert store_snapshot() == before


def test_export_sdmx(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-sdmx", str(tmp_path / "sdmx"), "--dataset", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    csv_path = tmp_path / "sdmx" / "KTXH_LAICHAU_2024.csv"
    assert csv_path.is_file() and (tmp_path / "sdmx" / "KTXH_LAICHAU_2024-structure.xml").is_file()
    assert "Đã ghi 3.619 giá trị SDMX-CSV" in result.stderr
    bad = runner.invoke(
        app, ["export-sdmx", str(tmp_path / "x"), "--agency", "Sở", "--dataset", str(SHIPPED)]
    )
    assert bad.exit_code == 2 and "Mã cơ quan «Sở» không hợp lệ" in bad.stderr


def test_report_annex_as_word_tables(tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "phu-luc.docx"
    result = runner.invoke(app, ["report", "--annex-docx", str(out), "--dataset", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert f"Đã ghi phụ lục dạng bảng Word vào {out}." in result.stderr
    assert len(Document(str(out)).tables) == 13
