"""A data package made for the tests of declared layouts (issue 13).

The shipped Lai Châu catalog with two forms of other shapes added:

* Biểu 14, every ward's plan, first half and estimate side by side (each broken
  down by the wards), with its comparisons (TH 6 tháng/KH, Ước TH/KH);
* Biểu 15, a three-year plan (2024-2026) beside last year's actual, with the
  plan of the last year against that actual.

Their values are consistent: the city's totals are the sums of the wards.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from ktxh.domain.numbers import format_number
from ktxh.io.datapackage import descriptor, shipped_package

WARDS = (
    "doan-ket",
    "tan-phong",
    "dong-phong",
    "quyet-thang",
    "quyet-tien",
    "san-thang",
    "sung-phai",
)

FORMS = [
    {
        "form": "14",
        "title": "KẾT QUẢ THỰC HIỆN CỦA CÁC XÃ, PHƯỜNG NĂM {Y}",
        "columns": "plan@Y:units h1@Y:units estimate@Y:units h1@Y/plan@Y estimate@Y/plan@Y",
    },
    {
        "form": "15",
        "title": "KẾ HOẠCH BA NĂM 2024-2026",
        "columns": "actual@Y-1 plan@2024 plan@2025 plan@2026 plan@2026/actual@Y-1",
    },
]

INDICATORS = [
    # code, form, position, stt, name, kind, parent, unit, nature, direction, consolidation
    ("B14.001", "14", "1", "I", "NÔNG NGHIỆP", "group", "", "", "", "neutral", "none"),
    (
        "B14.002",
        "14",
        "2",
        "1",
        "Diện tích lúa cả năm",
        "indicator",
        "B14.001",
        "ha",
        "flow",
        "up",
        "sum",
    ),
    (
        "B14.003",
        "14",
        "3",
        "2",
        "Số hộ được hỗ trợ giống",
        "indicator",
        "B14.001",
        "hộ",
        "flow",
        "up",
        "sum",
    ),
    (
        "B15.001",
        "15",
        "1",
        "1",
        "Tổng vốn đầu tư phát triển trên địa bàn",
        "indicator",
        "",
        "tỷ đồng",
        "flow",
        "up",
        "city_only",
    ),
    (
        "B15.002",
        "15",
        "2",
        "2",
        "Số trường đạt chuẩn quốc gia",
        "indicator",
        "",
        "trường",
        "stock",
        "up",
        "city_only",
    ),
]

# the wards' values of Biểu 14 in 2023: plan, first half, estimate
WARD_VALUES = {
    "B14.002": [
        (120, 61, 121),
        (80, 40.5, 80),
        (95, 47, 96),
        (60, 30, 60),
        (75, 38, 75),
        (140, 70, 142),
        (130, 66, 131),
    ],
    "B14.003": [
        (40, 22, 41),
        (35, 18, 35),
        (30, 14, 31),
        (25, 12, 25),
        (20, 11, 22),
        (60, 31, 60),
        (55, 30, 56),
    ],
}
CITY_VALUES = {
    # indicator: {(year, measure): value}
    "B15.001": {
        (2022, "actual"): 1850.5,
        (2024, "plan"): 2100,
        (2025, "plan"): 2300,
        (2026, "plan"): 2550,
    },
    "B15.002": {(2022, "actual"): 14, (2024, "plan"): 16, (2025, "plan"): 18, (2026, "plan"): 20},
}


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in header})
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _printed(v: float) -> str:
    """As a report prints it: "1.850,5", "2.550"."""
    text = _number(v)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return format_number(v, decimals)


def make_layout_package(target: Path) -> Path:
    """Write the package into ``target`` (a new directory) and return it."""
    shutil.copytree(shipped_package(), target)
    _append(target / "forms.csv", FORMS)
    _append(
        target / "indicators.csv",
        [
            {
                "code": code,
                "form": form,
                "position": pos,
                "stt": stt,
                "name": name,
                "full_name": name,
                "kind": kind,
                "parent": parent,
                "children": "none" if kind == "group" else "",
                "unit": unit,
                "unit_printed": unit,
                "nature": nature,
                "direction": direction,
                "consolidation": consolidation,
                "comparable": "0" if kind == "group" else "1",
                "decimals": "1" if unit in ("ha", "tỷ đồng") else "0",
            }
            for (
                code,
                form,
                pos,
                stt,
                name,
                kind,
                parent,
                unit,
                nature,
                direction,
                consolidation,
            ) in INDICATORS
        ],
    )
    values = []
    for code, per_ward in WARD_VALUES.items():
        totals = [0.0, 0.0, 0.0]
        for ward, triple in zip(WARDS, per_ward, strict=True):
            for k, (measure, v) in enumerate(zip(("plan", "h1", "estimate"), triple, strict=True)):
                totals[k] += v
                values.append((code, ward, "2023", measure, v))
        for measure, v in zip(("plan", "h1", "estimate"), totals, strict=True):
            values.append((code, "lai-chau", "2023", measure, round(v, 6)))
    for code, cells in CITY_VALUES.items():
        for (year, measure), v in cells.items():
            values.append((code, "lai-chau", str(year), measure, v))
    _append(
        target / "values.csv",
        [
            {
                "indicator": code,
                "orgunit": org,
                "year": year,
                "measure": measure,
                "value": _number(v),
                "printed": _printed(v),
                "confidence": "high",
                "source": "package",
                "version": "1",
            }
            for code, org, year, measure, v in values
        ],
    )
    head = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    head["name"] = "laichau-layouts"
    text = json.dumps(
        descriptor({k: v for k, v in head.items() if k != "resources"}),
        ensure_ascii=False,
        indent=2,
    )
    (target / "datapackage.json").write_text(text + "\n", encoding="utf-8")
    return target
