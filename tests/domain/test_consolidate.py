from decimal import Decimal

import polars as pl
import pytest

from ktxh.domain.catalog import Catalog, Consolidation, Indicator, Unit
from ktxh.domain.consolidate import consolidate
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.values import frame_from_rows

UNITS = {
    u.name: u
    for u in (
        Unit("ha", "area", Decimal(1), "ha"),
        Unit("tạ/ha", "yield", Decimal(100), "kg/ha"),
        Unit("hộ", "households", Decimal(1), "hộ"),
        Unit("%", "ratio", Decimal("0.01"), "1", True),
        Unit("xã", "communes", Decimal(1), "xã"),
    )
}
WARDS = [
    "doan-ket",
    "tan-phong",
    "dong-phong",
    "quyet-thang",
    "quyet-tien",
    "san-thang",
    "sung-phai",
]


def catalog() -> Catalog:
    inds = [
        Indicator("AREA", 2, 1, "Diện tích lúa", unit="ha"),
        Indicator(
            "YIELD",
            2,
            2,
            "Năng suất lúa",
            unit="tạ/ha",
            consolidation=Consolidation.WEIGHTED_MEAN,
            basis=("AREA",),
        ),
        Indicator("POOR", 7, 1, "Số hộ nghèo", unit="hộ"),
        Indicator("HH", 7, 2, "Tổng số hộ", unit="hộ"),
        Indicator(
            "RATE",
            7,
            3,
            "Tỷ lệ hộ nghèo",
            unit="%",
            consolidation=Consolidation.RATE,
            basis=("POOR", "HH"),
        ),
        Indicator("STD", 7, 4, "Xã đạt chuẩn", unit="xã", consolidation=Consolidation.COUNT),
        Indicator("CITY", 1, 1, "Thu ngân sách", unit="ha", consolidation=Consolidation.CITY_ONLY),
    ]
    return Catalog({}, {i.code: i for i in inds}, UNITS)


def tree() -> OrgTree:
    units = [OrgUnit("lai-chau", "Lai Châu", "thành phố")]
    units += [OrgUnit(w, w, "phường", "lai-chau") for w in WARDS]
    return OrgTree(units)


def rows(code: str, values: list[float | None], org_year: int = 2024) -> list[dict[str, object]]:
    return [
        {"indicator": code, "orgunit": w, "year": org_year, "measure": "plan", "value": v}
        for w, v in zip(WARDS, values, strict=True)
    ]


def totals(frame: pl.DataFrame) -> dict[str, float | None]:
    return {r["indicator"]: r["value"] for r in frame.to_dicts()}


def test_sum_of_the_seed_area_row() -> None:
    # Biểu 2 line 271: total cultivated area 2024, seven units
    area = [82.8, 157.0, 149.7, 118.3, 54.4, 814.3, 1324.6]
    out = totals(consolidate(frame_from_rows(rows("AREA", area)), catalog(), tree()))
    assert out["AREA"] == pytest.approx(2701.1)  # the seed prints 2.731,1: a real error


def test_weighted_mean_rate_and_count() -> None:
    data = (
        rows("AREA", [10, 0, 30, None, 0, 50, 10])
        + rows("YIELD", [50, 40, 60, None, 0, 45, 55])
        + rows("POOR", [18, 7, 5, 8, 7, 26, 136])
        + rows("HH", [2416, 3670, 2469, 778, 1498, 1330, 1033])
        + rows("RATE", [0.7, 0.2, 0.2, 1.0, 0.5, 2.0, 13.2])
        + rows("STD", [1, 1, 0, 1, 1, 1, 1])
        + rows("CITY", [1, 1, 1, 1, 1, 1, 1])
    )
    out = consolidate(frame_from_rows(data), catalog(), tree())
    got = totals(out)
    assert got["YIELD"] == pytest.approx((10 * 50 + 30 * 60 + 50 * 45 + 10 * 55) / 100)
    assert got["RATE"] == pytest.approx(207 / 13194 * 100)  # recomputed, not averaged
    assert got["STD"] == 6
    assert "CITY" not in got
    assert set(out["orgunit"]) == {"lai-chau"}


def test_deep_trees_consolidate_bottom_up() -> None:
    t = OrgTree(
        [
            OrgUnit("p", "Tỉnh", "tỉnh"),
            OrgUnit("c1", "C1", "xã", "p"),
            OrgUnit("c2", "C2", "phường", "p"),
            OrgUnit("g1", "G1", "thôn", "c1"),
            OrgUnit("g2", "G2", "thôn", "c1"),
        ]
    )
    data = [
        {"indicator": "AREA", "orgunit": o, "year": 2024, "measure": "plan", "value": v}
        for o, v in (("g1", 1.5), ("g2", 2.5), ("c2", 10.0))
    ]
    out = {
        r["orgunit"]: r["value"]
        for r in consolidate(frame_from_rows(data), catalog(), t).to_dicts()
    }
    assert out == {"c1": 4.0, "p": 14.0}


def test_all_none_gives_no_total() -> None:
    out = consolidate(frame_from_rows(rows("AREA", [None] * 7)), catalog(), tree())
    assert out["value"].to_list() == [None]
