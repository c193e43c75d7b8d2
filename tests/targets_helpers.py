"""A small data package with targets as resolutions write them, made for the tests.

It is the shipped Lai Châu package (round 2023, report dated 30/08/2023) with three
made-up documents (clearly marked: "gói thử") and targets for six rows of Biểu số 1:

* nq-08-2022, a council resolution of 15/12/2022, sets ranges, bounds and an
  approximation for 2023; nq-21-2023 of 14/07/2023 amends it (the health
  insurance target is raised from "trên 92" to "từ 93,5 trở lên"): the amendment
  is in force on the report's date, the first stays in the history;
* qd-1520-2022, the province's assignment of 09/12/2022, sets "không quá 10,5" for
  the natural population growth, where the council set "dưới 11": a conflict,
  shown side by side (the council's resolution rates); and "ít nhất 80" for the
  schools meeting the national standard, which no council target covers;
* the malnutrition rate's plan cell is typed as a range, "9,5-10", without any
  document.

Biểu số 1 declares an "Đánh giá" column (``rating@Y``).

The plan cells hold the targets in force (text as written, the number to reach),
as ``ktxh.store.targets.set_target`` leaves them. Lai Châu's real report has no
such documents; none is added to the shipped package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ktxh.io.datapackage import RESOURCES, read_package, shipped_package, write_package

NAME = "thu-chi-tieu"
TOP = "lai-chau"
YEAR = 2023
REPORT_DAY = "2023-08-30"

DOCUMENTS = [
    {
        "code": "qd-1520-2022",
        "kind": "giao_chi_tieu",
        "number": "1520/QĐ-UBND",
        "date": "2022-12-09",
        "issuer": "UBND tỉnh (gói thử)",
        "level": "tỉnh",
        "title": "Giao chỉ tiêu kế hoạch phát triển kinh tế - xã hội năm 2023 (giả định)",
    },
    {
        "code": "nq-08-2022",
        "kind": "nghi_quyet_hdnd",
        "number": "08/NQ-HĐND",
        "date": "2022-12-15",
        "issuer": "HĐND thành phố (gói thử)",
        "level": "thành phố",
        "title": "Kế hoạch phát triển kinh tế - xã hội năm 2023 (giả định)",
    },
    {
        "code": "nq-21-2023",
        "kind": "nghi_quyet_hdnd",
        "number": "21/NQ-HĐND",
        "date": "2023-07-14",
        "issuer": "HĐND thành phố (gói thử)",
        "level": "thành phố",
        "title": "Điều chỉnh một số chỉ tiêu kế hoạch năm 2023 (giả định)",
        "amends": "nq-08-2022",
    },
]

# (indicator, document, text as written)
TARGETS = [
    ("B01.003", "nq-08-2022", "khoảng 200"),  # ngân sách, tỷ đồng: estimate 207 within 5%
    ("B01.007", "nq-08-2022", "dưới 11"),  # tăng dân số tự nhiên ‰ (lower is better)
    ("B01.007", "qd-1520-2022", "không quá 10,5"),  # the province's, stricter: a conflict
    ("B01.009", "nq-08-2022", "trên 92"),  # bảo hiểm y tế %
    ("B01.009", "nq-21-2023", "từ 93,5 trở lên"),  # ... amended in July
    ("B01.010", "qd-1520-2022", "ít nhất 80"),  # trường chuẩn %: the province's only
    ("B01.014", "nq-08-2022", "84-85"),  # lao động qua đào tạo %
]
TYPED = [("B01.008", "9,5-10")]  # suy dinh dưỡng %, typed into the plan cell

# the plan cells as the targets in force on the report's day leave them: (text, number)
PLAN_CELLS = {
    "B01.003": ("khoảng 200", "200"),
    "B01.007": ("dưới 11", "11"),
    "B01.008": ("9,5-10", "10"),
    "B01.009": ("từ 93,5 trở lên", "93.5"),
    "B01.010": ("ít nhất 80", "80"),
    "B01.014": ("84-85", "84"),
}


def _columns(text: str) -> dict[str, str]:
    from ktxh.domain.targets import parse_target, target_columns

    target = parse_target(text)
    assert target is not None
    return target_columns(target)


def targets_package(directory: Path) -> Path:
    """Write the package into ``directory`` (made if needed) and return it."""
    pkg = read_package(shipped_package())
    head: dict[str, Any] = dict(pkg.head)
    head["name"] = NAME
    head["title"] = "Gói thử: chỉ tiêu theo nghị quyết (văn bản giả định)"
    meta = dict(head["ktxh"])
    meta["title"] = "Gói thử chỉ tiêu"
    head["ktxh"] = meta
    values = pkg.frames["values"]
    for code, (text, number) in PLAN_CELLS.items():
        hit = (
            (pl.col("indicator") == code)
            & (pl.col("orgunit") == TOP)
            & (pl.col("year") == str(YEAR))
            & (pl.col("measure") == "plan")
        )
        assert values.filter(hit).height == 1, code
        values = values.with_columns(
            pl.when(hit).then(pl.lit(number)).otherwise(pl.col("value")).alias("value"),
            pl.when(hit).then(pl.lit(text)).otherwise(pl.col("printed")).alias("printed"),
        )
    tables: dict[str, Any] = {
        name: [[r.get(c, "") for c in RESOURCES[name].columns] for r in rows]
        for name, rows in pkg.rows.items()
    }
    # Biểu số 1 asks for an "Đánh giá" column after its comparisons
    tables["forms"] = [
        [
            f"{r['columns']} rating@Y" if c == "columns" and r["form"] == "1" else r.get(c, "")
            for c in RESOURCES["forms"].columns
        ]
        for r in pkg.rows["forms"]
    ]
    tables["rounds"] = [
        [REPORT_DAY if c == "report_date" else r.get(c, "") for c in RESOURCES["rounds"].columns]
        for r in pkg.rows["rounds"]
    ]
    tables["values"] = [values]
    tables["audit"] = [pkg.frames["audit"]]
    tables["documents"] = [
        [d.get(c, "") for c in RESOURCES["documents"].columns] for d in DOCUMENTS
    ]
    rows = []
    for code, document, text in [*TARGETS, *((c, "", t) for c, t in TYPED)]:
        row = {
            "indicator": code,
            "orgunit": TOP,
            "year": str(YEAR),
            "measure": "plan",
            "document": document,
            **_columns(text),
        }
        row["text"] = text
        rows.append([row.get(c, "") for c in RESOURCES["targets"].columns])
    tables["targets"] = rows
    write_package(directory, head, tables)
    return directory
