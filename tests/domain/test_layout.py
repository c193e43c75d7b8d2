"""Forms declare their columns (issue 13): the layout language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ktxh.domain.catalog import Form
from ktxh.domain.layout import LayoutError, parse, short_header
from ktxh.domain.tables import shown_columns

LAI_CHAU = "plan h1 estimate next_plan units ratio_estimate_plan ratio_nextplan_estimate"


def test_the_first_catalogs_words_mean_the_lai_chau_layout() -> None:
    layout = parse(LAI_CHAU)
    assert layout.text == (
        "plan@Y h1@Y estimate@Y plan@Y+1:units estimate@Y/plan@Y plan@Y+1/estimate@Y"
    )
    assert parse(layout.text) == layout
    assert layout.flags() == tuple(LAI_CHAU.split())
    assert layout.entered(2023) == [
        ("plan", 2023),
        ("h1", 2023),
        ("estimate", 2023),
        ("plan", 2024),
    ]
    assert layout.unit_measures(2023) == [("plan", 2024)]


def test_a_commune_breakdown_and_a_three_year_plan() -> None:
    communes = parse(
        "plan@Y:units h1@Y:units estimate@Y:units h1@Y/plan@Y estimate@Y/plan@Y h1@Y/h1@Y-1"
    )
    assert communes.has_unit_breakdown
    assert communes.unit_measures(2025) == [("plan", 2025), ("h1", 2025), ("estimate", 2025)]
    three = parse("actual@Y-1 plan@2026 plan@2027 plan@2028 plan@2028/actual@Y-1")
    assert three.entered(2025) == [
        ("actual", 2024),
        ("plan", 2026),
        ("plan", 2027),
        ("plan", 2028),
    ]
    ratio = three.ratios[0]
    assert ratio.header(2025) == "KH 2028/TH cả năm 2024"
    assert short_header(ratio, 2025) == "KH/TH cả năm"


def test_shown_columns_follow_the_round_and_the_units() -> None:
    form = Form(2, "Biểu", tuple(parse(LAI_CHAU).text.split()))

    def units(measure: str, year: int) -> list[tuple[str, str]]:
        assert (measure, year) == ("plan", 2025)
        return [("a", "Phường A"), ("b", "Phường B")]

    shown = shown_columns(form, 2024, units)
    assert [(s.kind, s.measure, s.year, s.orgunit) for s in shown] == [
        ("value", "plan", 2024, None),
        ("value", "h1", 2024, None),
        ("value", "estimate", 2024, None),
        ("value", "plan", 2025, None),
        ("value", "plan", 2025, "a"),
        ("value", "plan", 2025, "b"),
        ("ratio", "", 0, None),
        ("ratio", "", 0, None),
    ]
    assert [s.spec.key for s in shown if s.spec] == ["estimate_plan", "nextplan_estimate"]
    assert shown[-2].column.header(2024) == "Ước TH cả năm 2024/Kế hoạch 2024"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "chưa khai báo cột nào"),
        ("plan@Y quarter@Y", "số đo «quarter» không có"),
        ("plan@X", "không hiểu «plan@X»"),
        ("plan@Y plan@Y", "khai báo hai lần"),
        ("full@Y-1:units", "không chia theo đơn vị"),
        ("plan@1800", "ngoài khoảng"),
        ("estimate@Y/plan@Y:units", "không phải một cột số liệu"),
    ],
)
def test_a_layout_that_cannot_be_read_says_what_is_accepted(text: str, says: str) -> None:
    with pytest.raises(LayoutError) as caught:
        parse(text)
    assert says in str(caught.value)
    if text and "hai lần" not in says:
        assert "SỐ_ĐO@NĂM" in str(caught.value)


value_tokens = st.builds(
    lambda m, y, units: f"{m}@{y}" + (":units" if units and m != "full" else ""),
    st.sampled_from(["plan", "h1", "estimate", "actual", "full"]),
    st.sampled_from(["Y", "Y+1", "Y-1", "Y-2", "2026", "2030"]),
    st.booleans(),
)


@given(st.lists(value_tokens, min_size=1, max_size=6, unique=True))
def test_every_layout_round_trips(tokens: list[str]) -> None:
    layout = parse(" ".join(tokens))
    assert parse(layout.text) == layout
    assert len(layout.columns) == len(tokens)
