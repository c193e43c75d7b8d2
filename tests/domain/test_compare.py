import polars as pl
import pytest

from ktxh.domain.catalog import Catalog, Direction, Form, Indicator, RatioConvention, Unit
from ktxh.domain.compare import (
    Agreement,
    Rating,
    classify,
    comparison_frame,
    input_decimals,
    performance,
    rating,
    ratio,
    round_half_up,
)
from ktxh.domain.values import frame_from_rows


def test_higher_is_better_is_new_over_old() -> None:
    # Biểu 1 line 231: budget revenue, plan 2024 169,5 against estimate 207: printed 82
    r = ratio(169.5, 207)
    assert r is not None and round_half_up(r) == 82


def test_a_column_computes_what_its_header_says_whatever_the_direction() -> None:
    # Biểu 10 line 636: under-1 mortality 6,15 -> 6,1, lower is better: printed 99 = 6,1/6,15
    r = ratio(6.1, 6.15, Direction.DOWN)
    assert r is not None and round_half_up(r) == 99
    # Biểu 9 line 602: natural growth 10,5 -> 10,8: printed 103,2 (new ÷ old, 102,9 within
    # the rounding of the inputs)
    r = ratio(10.8, 10.5, Direction.DOWN)
    assert r is not None and round_half_up(r, 1) == 102.9


def test_a_form_may_invert_its_lower_is_better_rows() -> None:
    old_new = RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER
    # Biểu 1 line 236: malnutrition 9,7 -> 9,2: printed 105 (9,7 / 9,2)
    r = ratio(9.2, 9.7, Direction.DOWN, True, old_new)
    assert r is not None and round_half_up(r) == 105
    # natural population growth, estimate 10,8 against plan 10,5: printed 97
    r = ratio(10.8, 10.5, Direction.DOWN, True, old_new)
    assert r is not None and round_half_up(r) == 97
    # a higher-is-better row of the same form stays new ÷ old (line 231: 169,5/207 = 82)
    r = ratio(169.5, 207, Direction.UP, True, old_new)
    assert r is not None and round_half_up(r) == 82
    assert RatioConvention.parse("") is RatioConvention.NEW_OLD
    assert old_new.inverts(Direction.DOWN) and not old_new.inverts(Direction.NEUTRAL)
    assert not RatioConvention.NEW_OLD.inverts(Direction.DOWN)


def test_direction_decides_the_rating_not_the_ratio() -> None:
    # poverty rate 1,81 planned, 1,68 estimated: 93 % of the plan, and better than planned
    assert round_half_up(ratio(1.68, 1.81, Direction.DOWN) or 0) == 93
    assert round_half_up(performance(1.68, 1.81, Direction.DOWN) or 0) == 108
    assert rating(1.68, 1.81, Direction.DOWN) is Rating.EXCEEDED
    assert rating(1.9, 1.81, Direction.DOWN) is Rating.MISSED
    assert rating(207, 207, Direction.UP) is Rating.MET
    assert rating(57.804, 207, Direction.UP) is Rating.MISSED
    assert rating(10, 9, Direction.NEUTRAL) is None


@pytest.mark.parametrize(
    ("new", "old", "comparable"),
    [
        (-1.73, 0.10, True),
        (0.2, -1.73, True),
        (5.0, 0.0, True),
        (None, 1.0, True),
        (1.0, 2.0, False),
    ],
)
def test_no_ratio_where_it_means_nothing(
    new: float | None, old: float | None, comparable: bool
) -> None:
    assert ratio(new, old, comparable=comparable) is None


def test_rounding_is_half_up_to_the_printed_decimals() -> None:
    assert round_half_up(102.85, 1) == 102.9
    assert round_half_up(81.88, 0) == 82
    assert round_half_up(-2.5, 0) == -3


def test_classify() -> None:
    # exact
    assert classify(105, 0, 62, 59, 0, 0, Direction.UP, True)[0] is Agreement.EXACT
    # Biểu 1 line 239: plan 53, estimate 53,3, printed 100: 100,57 rounds to 101, but a plan
    # printed as 53 may be 53,3 rounded: explained by the rounding of the inputs
    assert classify(100, 0, 53.3, 53, 1, 0, Direction.UP, True)[0] is Agreement.ROUNDING
    # printed the other way round
    assert classify(97, 0, 10.8, 10.5, 1, 1, Direction.UP, True)[0] is Agreement.INVERTED
    # Biểu 7 line 472: poverty rate 1,81 -> 1,68 printed 108 = old/new, the header says new/old
    assert classify(108, 0, 1.68, 1.81, 2, 2, Direction.DOWN, True)[0] is Agreement.INVERTED
    # ... which is right where the form inverts its lower-is-better rows
    old_new = RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER
    assert classify(108, 0, 1.68, 1.81, 2, 2, Direction.DOWN, True, old_new)[0] is Agreement.EXACT
    # Biểu 7 line 474: 1,52 -> 1,42 printed 94: new/old (93,4) within the inputs' rounding
    assert classify(94, 0, 1.42, 1.52, 2, 2, Direction.DOWN, True)[0] is Agreement.ROUNDING
    assert classify(94, 0, 1.42, 1.52, 2, 2, Direction.DOWN, True, old_new)[0] is (
        Agreement.INVERTED
    )
    # Biểu 7 line 534: 1,21 -> 9 printed 700: 9 printed whole may be 8,5..9,5, new/old 702..785
    assert classify(700, 0, 9, 1.21, 0, 2, Direction.DOWN, True)[0] is Agreement.ROUNDING
    assert classify(58, 0, 163, 163, 0, 0, Direction.UP, True)[0] is Agreement.MISMATCH
    # a count printed whole is exact: 25 schools -> 27, printed 103 (line 717) fits nothing
    assert classify(103, 0, 27, 25, 6, 6, Direction.UP, True)[0] is Agreement.MISMATCH
    assert input_decimals("25", count=True) == 6 and input_decimals("25,5") == 1
    assert classify(-1730, 1, -1.73, 0.1, 2, 2, Direction.UP, False)[0] is Agreement.NOT_COMPUTABLE


@pytest.mark.parametrize(
    ("convention", "printed_b"),
    [(RatioConvention.NEW_OLD, 95), (RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER, 105)],
)
def test_comparison_frame_is_vectorised_over_the_value_table(
    convention: RatioConvention, printed_b: int
) -> None:
    units = {"%": Unit("%", "ratio", __import__("decimal").Decimal("0.01"), "1", True)}
    cat = Catalog(
        {1: Form(1, "Biểu 1", (), None, convention)},
        {
            "A": Indicator("A", 1, 1, "Thu ngân sách", unit="%"),
            "B": Indicator("B", 1, 2, "Suy dinh dưỡng", unit="%", direction=Direction.DOWN),
        },
        units,
    )
    rows = []
    for code, plan, est, nxt in (("A", 207, 207, 169.5), ("B", 9.7, 9.7, 9.2)):
        for measure, year, v in (
            ("plan", 2023, plan),
            ("estimate", 2023, est),
            ("plan", 2024, nxt),
        ):
            rows.append(
                {"indicator": code, "orgunit": "c", "year": year, "measure": measure, "value": v}
            )
    rows.append(
        {
            "indicator": "A",
            "orgunit": "c",
            "year": 2024,
            "measure": "printed_ratio_nextplan_estimate",
            "value": 82.0,
            "printed": "82",
        }
    )
    out = comparison_frame(frame_from_rows(rows), cat, 2023)
    got = {
        (r["indicator"], r["ratio"]): r for r in out.filter(pl.col("ratio") != "h1_plan").to_dicts()
    }
    assert round_half_up(got[("A", "nextplan_estimate")]["computed"]) == 82
    assert got[("A", "nextplan_estimate")]["printed"] == 82
    assert round_half_up(got[("B", "nextplan_estimate")]["computed"]) == printed_b
    assert round_half_up(got[("A", "estimate_plan")]["computed"]) == 100
