"""A second locality, made for the tests: tỉnh Hòa Sơn (fictional), a province with a city
and a district, their wards, communes and a township, and a catalog of its own (two
forms: the province's own figures, and farming and population by district), written
as the catalog workbook an office would fill (ktxh.io.catalog_xlsx)."""

from __future__ import annotations

from pathlib import Path

from ktxh.io.catalog_xlsx import write_catalog

UNITS_CSV = """code,name,level,parent,valid_from
hoa-son,Hòa Sơn,tỉnh,,
tp-hoa-son,Hòa Sơn,thành phố,hoa-son,
an-phu,An Phú,huyện,hoa-son,
p-bac-son,Bắc Sơn,phường,tp-hoa-son,
p-nam-son,Nam Sơn,phường,tp-hoa-son,
x-an-lac,An Lạc,xã,an-phu,
x-an-binh,An Bình,xã,an-phu,
tt-an-phu,An Phú,thị trấn,an-phu,
"""

FORM_COLUMNS = "plan h1 estimate next_plan ratio_estimate_plan ratio_nextplan_estimate"


def _ind(code: str, form: int, name: str, **kw: str) -> dict[str, str]:
    row = {
        "code": code,
        "form": str(form),
        "name": name,
        "kind": "indicator",
        "direction": "up",
        "consolidation": "sum",
        "nature": "stock",
        "comparable": "1",
        "decimals": "0",
    }
    row.update(kw)
    return row


def catalog() -> dict[str, list[dict[str, str]]]:
    """The catalog's resources as package rows."""
    forms = [
        {
            "form": "1",
            "title": "MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI CHỦ YẾU CỦA TỈNH NĂM {Y+1}",
            "columns": FORM_COLUMNS,
        },
        {
            "form": "2",
            "title": "DÂN SỐ VÀ SẢN XUẤT LÚA THEO HUYỆN, THÀNH PHỐ NĂM {Y+1}",
            "columns": "plan h1 estimate next_plan units ratio_estimate_plan "
            "ratio_nextplan_estimate",
        },
    ]
    units = [
        {"unit": "người", "dimension": "persons", "scale": "1", "base": "người", "share": "0"},
        {"unit": "hộ", "dimension": "households", "scale": "1", "base": "hộ", "share": "0"},
        {"unit": "ha", "dimension": "area", "scale": "1", "base": "ha", "share": "0"},
        {"unit": "tạ/ha", "dimension": "yield", "scale": "100", "base": "kg/ha", "share": "0"},
        {"unit": "tấn", "dimension": "mass", "scale": "1000", "base": "kg", "share": "0"},
        {"unit": "%", "dimension": "share", "scale": "0.01", "base": "1", "share": "1"},
        {
            "unit": "tỷ đồng",
            "dimension": "money",
            "scale": "1000000000",
            "base": "đồng",
            "share": "0",
        },
    ]
    indicators = [
        _ind(
            "T01.001",
            1,
            "CHỈ TIÊU KINH TẾ",
            kind="group",
            stt="I",
            nature="",
            direction="neutral",
            consolidation="none",
            comparable="0",
            children="none",
        ),
        _ind(
            "T01.002",
            1,
            "Tốc độ tăng trưởng kinh tế (GRDP)",
            stt="1",
            parent="T01.001",
            unit="%",
            nature="rate",
            consolidation="city_only",
            comparable="0",
            decimals="1",
        ),
        _ind(
            "T01.003",
            1,
            "Thu ngân sách nhà nước trên địa bàn",
            stt="2",
            parent="T01.001",
            unit="tỷ đồng",
            nature="flow",
            consolidation="city_only",
            decimals="1",
        ),
        _ind(
            "T01.004",
            1,
            "CHỈ TIÊU XÃ HỘI",
            kind="group",
            stt="II",
            nature="",
            direction="neutral",
            consolidation="none",
            comparable="0",
            children="none",
        ),
        _ind(
            "T01.005",
            1,
            "Tổng số hộ",
            stt="1",
            parent="T01.004",
            unit="hộ",
            consolidation="city_only",
        ),
        _ind(
            "T01.006",
            1,
            "Số hộ nghèo",
            stt="2",
            parent="T01.004",
            unit="hộ",
            direction="down",
            consolidation="city_only",
        ),
        _ind(
            "T01.007",
            1,
            "Tỷ lệ hộ nghèo",
            stt="3",
            parent="T01.004",
            unit="%",
            nature="rate",
            direction="down",
            consolidation="city_only",
            basis="T01.006 T01.005",
            decimals="2",
        ),
        _ind("T02.001", 2, "Dân số trung bình", stt="1", unit="người"),
        _ind(
            "T02.002",
            2,
            "Lúa cả năm",
            kind="group",
            stt="2",
            nature="",
            direction="neutral",
            consolidation="none",
            comparable="0",
            children="none",
        ),
        _ind(
            "T02.003",
            2,
            "Diện tích",
            stt="-",
            parent="T02.002",
            unit="ha",
            full_name="Lúa cả năm - Diện tích",
            decimals="1",
        ),
        _ind(
            "T02.004",
            2,
            "Năng suất",
            stt="-",
            parent="T02.002",
            unit="tạ/ha",
            full_name="Lúa cả năm - Năng suất",
            nature="rate",
            consolidation="weighted_mean",
            basis="T02.003",
            decimals="1",
        ),
        _ind(
            "T02.005",
            2,
            "Sản lượng",
            stt="-",
            parent="T02.002",
            unit="tấn",
            full_name="Lúa cả năm - Sản lượng",
            nature="flow",
            decimals="1",
        ),
    ]
    rules = [
        {
            "id": "san_luong_lua",
            "title": "Sản lượng lúa = diện tích × năng suất",
            "left": "T02.005",
            "operator": "==",
            "right": "T02.003 * T02.004 / 10",
            "severity": "lỗi",
            "scope": "all",
            "message": "{where}: sản lượng lúa là {left}, khác diện tích × năng suất = "
            "{right} (lệch {diff})",
        }
    ]
    departments = [
        {"code": "so-tai-chinh", "name": "Sở Tài chính", "forms": "1"},
        {"code": "so-nong-nghiep", "name": "Sở Nông nghiệp và Môi trường", "forms": "2"},
    ]
    return {
        "forms": forms,
        "units": units,
        "indicators": indicators,
        "rules": rules,
        "departments": departments,
    }


def write_files(directory: Path) -> tuple[Path, Path]:
    """The list of units (CSV) and the catalog workbook, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    units = directory / "don-vi.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    book = directory / "danh-muc.xlsx"
    write_catalog(catalog(), book)
    return units, book
