"""Nothing yearly is typed in data: years relative to the round (issue 12)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ktxh.domain.years import literal_years, relative, render, resolve, to_placeholders


def test_a_text_written_for_one_round_serves_every_round() -> None:
    text = "Thu ngân sách ước thực hiện năm 2023 là 207 tỷ đồng, tăng 9,8% so với cùng kỳ năm 2022"
    relative_text = to_placeholders(text, 2023)
    assert relative_text == (
        "Thu ngân sách ước thực hiện năm {Y} là 207 tỷ đồng, tăng 9,8% so với cùng kỳ năm {Y-1}"
    )
    assert render(relative_text, 2023) == text
    assert render(relative_text, 2025).endswith(
        "năm 2025 là 207 tỷ đồng, tăng 9,8% so với cùng kỳ năm 2024"
    )


@pytest.mark.parametrize(
    "text", ["ước đạt 2.022 tỷ đồng", "12023 người", "2023,5 ha", "giai đoạn 1990", "số 2547/BC"]
)
def test_numbers_that_are_not_years_stay(text: str) -> None:
    assert to_placeholders(text, 2023) == text


def test_year_fields() -> None:
    assert resolve("{Y}", 2024) == 2024
    assert resolve("{Y+1}", 2024) == 2025
    assert resolve("{Y-2}", 2024) == 2022
    assert resolve("2027", 2024) == 2027
    assert relative(2025, 2024) == "{Y+1}" and relative(2040, 2024) == "2040"
    with pytest.raises(ValueError, match="không phải năm"):
        resolve("năm sau", 2024)


@given(st.integers(1910, 2090), st.integers(-5, 5))
def test_placeholders_round_trip(year: int, offset: int) -> None:
    text = f"kế hoạch năm {year + offset}"
    converted = to_placeholders(text, year)
    assert "{Y" in converted and render(converted, year) == text
    assert literal_years(render(converted, year + 1)) == [year + offset + 1]
