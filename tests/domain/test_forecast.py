"""Proposals for the full-year estimate: methods, ranges, notes."""

from __future__ import annotations

import polars as pl
import pytest

from ktxh.domain.catalog import Catalog, Form, Indicator, Nature
from ktxh.domain.forecast import propose
from ktxh.domain.values import frame_from_rows


def catalog() -> Catalog:
    inds = {
        "F": Indicator("F", 1, 1, "Doanh thu", "tỷ đồng", nature=Nature.FLOW),
        "G": Indicator("G", 1, 2, "Tốc độ tăng", "%", nature=Nature.RATE),
    }
    return Catalog({1: Form(1, "T", ("plan", "h1", "estimate"))}, inds, {})


def frame(rows: list[tuple[str, str, int, str, float]]) -> pl.DataFrame:
    return frame_from_rows(
        {"indicator": i, "orgunit": o, "year": y, "measure": m, "value": v, "printed": ""}
        for i, o, y, m, v in rows
    )


def test_the_usual_ratio_of_the_year_to_its_first_half() -> None:
    rows = []
    for year, full in ((2021, 100.0), (2022, 110.0), (2023, 130.0), (2024, 150.0)):
        rows += [("F", "a", year, "h1", full * 0.4), ("F", "a", year, "actual", full)]
    rows += [("F", "a", 2025, "h1", 66.0), ("F", "a", 2025, "plan", 150.0)]
    (p,) = propose(frame(rows), catalog(), 2025).iter_rows(named=True)
    assert p["method"] == "ratio" and p["value"] == pytest.approx(165.0)  # 66 / 0,4
    assert p["low"] == pytest.approx(165.0) and p["high"] == pytest.approx(165.0)
    assert p["years"] == "2021 2022 2023 2024"
    assert p["note"] == (
        "Đề xuất theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm của các năm trước "
        "(các năm 2021, 2022, 2023, 2024)"
    )


def test_a_range_from_the_spread_of_the_past_and_a_note_when_history_is_short() -> None:
    rows = [
        ("F", "a", 2023, "h1", 40.0),
        ("F", "a", 2023, "estimate", 100.0),  # no actual: the estimate stands for the year
        ("F", "a", 2024, "h1", 50.0),
        ("F", "a", 2024, "actual", 100.0),
        ("F", "a", 2025, "h1", 45.0),
    ]
    (p,) = propose(frame(rows), catalog(), 2025).iter_rows(named=True)
    assert p["value"] == pytest.approx(45 * 2.25)  # the median of 2,5 and 2
    assert (p["low"], p["high"]) == (pytest.approx(90.0), pytest.approx(112.5))
    assert p["note"].endswith("; ít năm số liệu nên khoảng tin cậy rộng")


def test_without_history_the_plan_or_twice_the_first_half() -> None:
    rows = [
        ("F", "a", 2025, "h1", 40.0),
        ("F", "a", 2025, "plan", 95.0),
        ("F", "b", 2025, "h1", 30.0),
    ]
    got = {r["orgunit"]: r for r in propose(frame(rows), catalog(), 2025).iter_rows(named=True)}
    assert (got["a"]["method"], got["a"]["value"]) == ("plan", 95.0)
    assert (got["b"]["method"], got["b"]["value"]) == ("double_h1", 60.0)
    assert got["b"]["note"] == "Đề xuất gấp đôi số 6 tháng (chưa đủ số liệu các năm trước)"


def test_a_series_that_crosses_zero_moves_by_the_usual_second_half() -> None:
    rows = [
        ("G", "a", 2023, "h1", -1.0),
        ("G", "a", 2023, "actual", 0.5),
        ("G", "a", 2024, "h1", 2.0),
        ("G", "a", 2024, "actual", 3.0),
        ("G", "a", 2025, "h1", 1.0),
    ]
    (p,) = propose(frame(rows), catalog(), 2025).iter_rows(named=True)
    assert p["method"] == "mid_year" and p["value"] == pytest.approx(1.0 + 1.25)


def test_nothing_is_proposed_where_an_estimate_is_entered() -> None:
    rows = [("F", "a", 2025, "h1", 40.0), ("F", "a", 2025, "estimate", 90.0)]
    assert propose(frame(rows), catalog(), 2025).is_empty()
