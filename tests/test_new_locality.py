"""A second locality end to end, on the command line: tỉnh Hòa Sơn (tests/locality.py), a
province with a city and a district, their wards, communes and a township, and a catalog
of its own from a workbook. Start the plan, make the input templates, import them filled,
check, publish, write the plan out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.datapackage import read_package
from ktxh.io.xlsx_template import FORECAST_HEADER
from ktxh.store import models
from tests import locality

runner = CliRunner()


def ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def fill(path: Path, rows: dict[str, dict[str, float]]) -> Path:
    """Type values into a template as an officer would: by the row of the indicator's code
    and the columns of the round (Kế hoạch giao, TH 6 tháng, Ước TH cả năm of the year,
    Kế hoạch of the next year)."""
    wb = openpyxl.load_workbook(path)
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("Biểu"))
    by_code = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Mã")
    plan = next(
        c for c in range(1, ws.max_column + 1) if ws.cell(header + 1, c).value == "Kế hoạch giao"
    )
    # the input columns from there on; ktxh's proposal beside the estimate is not one
    inputs = [
        c for c in range(plan, ws.max_column + 1) if ws.cell(header + 1, c).value != FORECAST_HEADER
    ]
    column = dict(zip(("plan", "h1", "estimate", "next"), inputs, strict=False))
    for code, cells in rows.items():
        for measure, value in cells.items():
            ws.cell(by_code[code], column[measure]).value = value
    wb.save(path)
    return path


def farming(pop: int, area: float, yield_: float) -> dict[str, dict[str, float]]:
    production = round(area * yield_ / 10, 1)
    same = {"plan": 0.0, "estimate": 0.0, "next": 0.0}
    return {
        "T02.001": {"plan": pop, "estimate": pop, "next": pop + 100},
        "T02.003": {k: area for k in same},
        "T02.004": {k: yield_ for k in same},
        "T02.005": {k: production for k in same},
    }


def test_a_province_from_start_to_published_annex(plan: Any, tmp_path: Path) -> None:
    units, book = locality.write_files(tmp_path / "vao")
    ok("catalog", "check", str(book))
    ok(
        "start", "--orgunits", str(units), "--catalog", str(book), "--title", "Tỉnh Hòa Sơn 2025",
        "--year", "2025", "--planner", "kh-hoa-son", "--replace",
    )  # fmt: skip
    ok("forms")

    # templates: each commune and township of An Phú, the district itself, the city, and
    # the province's departments (its own figures, its farming totals)
    out = tmp_path / "mau"
    out.mkdir()
    for unit in ("x-an-lac", "x-an-binh", "tt-an-phu", "an-phu", "tp-hoa-son"):
        ok("template", "-u", unit, "-o", str(out / f"{unit}.xlsx"))
    ok("template", "--department", "so-tai-chinh", "-o", str(out / "so-tai-chinh.xlsx"))
    made = ok("template", "--department", "so-nong-nghiep", "-o", str(out / "so-nn.xlsx"))
    assert "tỉnh Hòa Sơn (Sở Nông nghiệp và Môi trường), năm 2025 (biểu 2" in made.stderr

    # the communes, the district (its population 1.000 above its communes': a slip), the
    # city, the province
    fill(out / "x-an-lac.xlsx", farming(12000, 300, 55))
    fill(out / "x-an-binh.xlsx", farming(8000, 200, 50))
    fill(out / "tt-an-phu.xlsx", farming(6000, 50, 60))
    an_phu = farming(26000, 550, 53.6)
    an_phu["T02.001"]["plan"] = 27000
    an_phu["T02.001"]["next"] = 26300  # its communes' 12.100 + 8.100 + 6.100
    an_phu["T02.005"] = {k: 2950 for k in ("plan", "estimate", "next")}
    fill(out / "an-phu.xlsx", an_phu)
    fill(out / "tp-hoa-son.xlsx", farming(90000, 150, 52))
    province = {
        "T02.001": {"plan": 117000, "estimate": 116000, "next": 116400},
        "T02.003": {"plan": 700, "estimate": 700, "next": 700},
    }
    fill(out / "so-nn.xlsx", province)
    fill(
        out / "so-tai-chinh.xlsx",
        {
            "T01.002": {"plan": 7.5, "h1": 6.8, "estimate": 7.2, "next": 8},
            "T01.003": {"plan": 5200, "h1": 2300.5, "estimate": 5350, "next": 5600},
            "T01.005": {"plan": 30000, "estimate": 30500, "next": 31000},
            "T01.006": {"plan": 3000, "estimate": 2745, "next": 2500},
            # 2.745 / 30.500 is 9,00 %: 9,5 is a slip the rate check must find
            "T01.007": {"plan": 10, "estimate": 9.5, "next": 8.06},
        },
    )
    files = sorted(str(p) for p in out.iterdir())
    dry = ok("import", *files, "--user", "kh-hoa-son", "--dry-run")
    assert "Chạy thử (--dry-run): chưa ghi gì." in dry.stderr
    assert models.Value.objects.count() == 0
    done = ok("import", *files, "--user", "kh-hoa-son", "-f", "json")
    doc = json.loads(done.stdout)
    assert doc["applied"] and doc["problems"] == []
    assert len(doc["changes"]) == models.Value.objects.count() == 83
    assert {c["orgunit"] for c in doc["changes"]} == {
        "hoa-son", "an-phu", "x-an-lac", "x-an-binh", "tt-an-phu", "tp-hoa-son",
    }  # fmt: skip

    # check: exactly the two slips, found at their level of the tree
    checked = runner.invoke(app, ["check", "--format", "json"])
    findings = json.loads(checked.stdout)["findings"]
    by_rule = sorted(
        (f["rule"], f["code"], f["orgunit_code"], f["year"], f["measure"]) for f in findings
    )
    assert by_rule == [
        ("rate_parts", "T01.007", "hoa-son", 2025, "estimate"),
        ("units_sum", "T02.001", "an-phu", 2025, "plan"),
    ], findings
    rate = next(f for f in findings if f["rule"] == "rate_parts")
    assert (
        "Tỷ lệ hộ nghèo ghi 9,5%, nhưng Số hộ nghèo (2.745 hộ) trên Tổng số hộ (30.500 hộ)"
        in (rate["message"])
    )

    # publish: the annex workbook and the report, the years of the round in the titles
    annex, report = tmp_path / "phu-luc.xlsx", tmp_path / "bao-cao.docx"
    ok("report", "--xlsx", str(annex), "--docx", str(report))
    wb = openpyxl.load_workbook(annex)
    assert [s for s in wb.sheetnames if s.startswith("Biểu")] == ["Biểu 1", "Biểu 2"]
    sheet = wb["Biểu 2"]
    texts = [str(c.value) for row in sheet.iter_rows(max_row=12) for c in row if c.value]
    assert "DÂN SỐ VÀ SẢN XUẤT LÚA THEO HUYỆN, THÀNH PHỐ NĂM 2026" in texts
    assert {"An Phú", "Hòa Sơn"} <= {t.strip() for t in texts}  # the districts' columns
    numbers = [
        c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, float | int)
    ]
    # the province's plan, and next year's by district (the city, An Phú)
    assert {117000, 116400, 90100, 26300} <= set(numbers)
    assert report.stat().st_size > 5000

    # and out as a data package, which loads as any package does
    package = tmp_path / "goi"
    ok("dump", str(package))
    pkg = read_package(package)
    assert pkg.name == "tinh-hoa-son-2025" and len(pkg.frames["values"]) == 83
    assert [r["code"] for r in pkg.rows["departments"]] == ["so-tai-chinh", "so-nong-nghiep"]
