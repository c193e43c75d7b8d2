"""An indicator of one unit across the years: the final figure of each year, the first
halves, "so với cùng kỳ" and the year against the year before, through reorganisations.

The real Lai Châu figures of 2023 with an earlier year added; and the 2025
reorganisation (ktxh/data/laichau-sap-xep-2025), where the new phường Đoàn Kết is
made of five units.
"""

from __future__ import annotations

import polars as pl
import pytest

from ktxh.domain.dataset import Dataset
from ktxh.domain.history import NOT_COMPARABLE
from ktxh.domain.trends import Change, trends
from ktxh.domain.values import frame_from_rows
from ktxh.io.datapackage import read_dataset, shipped_package


def rows(items: list[tuple[str, str, int, str, float]]) -> pl.DataFrame:
    return frame_from_rows(
        {"indicator": i, "orgunit": o, "year": y, "measure": m, "value": v, "printed": ""}
        for i, o, y, m, v in items
    )


def test_the_top_unit_over_the_years(dataset: Dataset) -> None:
    # Tổng thu ngân sách (B01.003): 2023 as reported (h1 57,804, estimate 207); 2022 added
    earlier = rows(
        [("B01.003", "lai-chau", 2022, "h1", 52.0), ("B01.003", "lai-chau", 2022, "actual", 190.0)]
    )
    values = pl.concat([dataset.values.frame, earlier], how="vertical_relaxed")
    (y2022, y2023, y2024) = trends(values, dataset.catalog, dataset.tree, ["B01.003"], "lai-chau")[
        "B01.003"
    ]
    assert (y2022.year, y2022.h1, y2022.full, y2022.full_measure) == (2022, 52.0, 190.0, "actual")
    assert (y2023.plan, y2023.h1, y2023.full, y2023.full_measure) == (
        207.0,
        57.804,
        207.0,
        "estimate",
    )
    assert y2023.h1_change.ratio == pytest.approx(57.804 / 52 * 100)
    assert y2023.h1_change.shown == "111,2"  # so với cùng kỳ, rounded half up to one decimal
    assert y2023.full_change.shown == "108,9"  # the estimate against last year's actual
    assert y2022.h1_change == y2022.full_change == Change(None, "", "")  # nothing before
    assert (y2024.plan, y2024.h1, y2024.full) == (169.5, None, None)  # next year's plan only
    assert not y2023.mapped

    # once the actual of 2023 is entered it replaces the estimate in the comparisons
    actual = rows([("B01.003", "lai-chau", 2023, "actual", 212.8)])
    later = trends(
        pl.concat([values, actual], how="vertical_relaxed"),
        dataset.catalog,
        dataset.tree,
        ["B01.003"],
        "lai-chau",
    )["B01.003"][1]
    assert (later.full, later.full_measure, later.full_change.shown) == (212.8, "actual", "112,0")


def test_direction_convention_and_what_cannot_be_compared(dataset: Dataset) -> None:
    # Tỷ lệ suy dinh dưỡng (B01.008, lower is better): Biểu 1 prints old ÷ new for it
    extra = rows(
        [
            ("B01.008", "lai-chau", 2022, "h1", 10.4),
            ("B09.013", "lai-chau", 2022, "h1", 0.1),  # Mức giảm tỷ lệ sinh: not comparable
            ("B09.013", "lai-chau", 2023, "h1", 0.2),
            ("B01.003", "lai-chau", 2022, "h1", -3.0),  # a change of sign
        ]
    )
    values = pl.concat([dataset.values.frame, extra], how="vertical_relaxed")
    got = trends(
        values, dataset.catalog, dataset.tree, ["B01.008", "B09.013", "B01.003"], "lai-chau"
    )
    rate = next(p for p in got["B01.008"] if p.year == 2023)
    assert rate.h1 == 9.7 and rate.h1_change.shown == "107,2"  # 10,4 ÷ 9,7
    share = next(p for p in got["B09.013"] if p.year == 2023)
    assert share.h1_change.ratio is None
    assert share.h1_change.reason == f"{NOT_COMPARABLE}: chỉ tiêu không so sánh theo tỷ lệ"
    flow = next(p for p in got["B01.003"] if p.year == 2023)
    assert flow.h1_change.reason == f"{NOT_COMPARABLE}: số liệu năm 2023 và năm 2022 trái dấu"


def test_a_merged_unit_is_compared_with_what_it_was_made_of() -> None:
    ds = read_dataset(shipped_package("laichau-sap-xep-2025"))
    # Tổng diện tích đất nông nghiệp canh tác (B02.009, ha): summed over the units merged
    # into the new phường Đoàn Kết on 1/7/2025
    parts = {"doan-ket": 100.0, "quyet-tien": 20.0, "quyet-thang": 30.0, "sung-phai": 400.0}
    items = []
    for year in (2023, 2024):
        for code, area in parts.items():
            items += [
                ("B02.009", code, year, "h1", area + year - 2023),
                ("B02.009", code, year, "estimate", area + 1 + year - 2023),
            ]
        items.append(("B02.009", "lan-nhi-thang", year, "estimate", 250.0))  # no first half
    items += [
        ("B02.009", "doan-ket-2025", 2025, "estimate", 812.0),
        ("B02.009", "doan-ket-2025", 2026, "plan", 815.0),
    ]
    h1_2025 = [("B02.009", code, 2025, "h1", area + 3) for code, area in parts.items()]
    values = rows(items + h1_2025 + [("B02.009", "lan-nhi-thang", 2025, "h1", 251.0)])
    series = trends(values, ds.catalog, ds.tree, ["B02.009"], "doan-ket-2025")["B02.009"]
    by_year = {p.year: p for p in series}
    assert sorted(by_year) == [2023, 2024, 2025, 2026]
    y2024 = by_year[2024]
    assert y2024.mapped and y2024.full == sum(parts.values()) + 4 * 2 + 250  # 808
    assert y2024.h1 is None  # Lản Nhì Thàng reported no first half in 2024
    assert y2024.reasons == (
        f"{NOT_COMPARABLE}: thiếu số liệu của lan-nhi-thang (đơn vị trước khi sắp xếp)",
    )
    y2025 = by_year[2025]
    assert y2025.h1 == sum(parts.values()) + 12 + 251  # the first half of 2025: the old units
    assert y2025.full == 812.0 and y2025.full_measure == "estimate"
    assert y2025.full_change.shown == format(812 / 808 * 100, ".1f").replace(".", ",")
    assert y2025.h1_change.ratio is None and "lan-nhi-thang" in y2025.h1_change.reason
    assert by_year[2026].plan == 815.0
