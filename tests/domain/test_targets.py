"""Targets as resolutions write them: reading every spelling, the rating, documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ktxh.domain.catalog import Direction, Nature
from ktxh.domain.compare import Rating
from ktxh.domain.numbers import format_number
from ktxh.domain.targets import (
    ACCEPTED,
    APPROXIMATE_TOLERANCE,
    Document,
    DocumentKind,
    Target,
    TargetBook,
    TargetError,
    TargetKind,
    TargetRecord,
    book_from_rows,
    format_target,
    h1_rated,
    implies,
    is_target_text,
    parse_target,
    rate,
    rating_expr,
    target_columns,
    target_key,
    target_of_cell,
)

RANGE, AT_LEAST, AT_MOST = TargetKind.RANGE, TargetKind.AT_LEAST, TargetKind.AT_MOST
UP, DOWN, NEUTRAL = Direction.UP, Direction.DOWN, Direction.NEUTRAL
D = Decimal


# --- reading: the spellings of the issue and of Vietnamese plans ------------------------


@pytest.mark.parametrize(
    ("text", "structure", "suffix"),
    [
        ("6,5-7", ("range", D("6.5"), D("7"), False, False), ""),
        ("6,5 - 7%", ("range", D("6.5"), D("7"), False, False), "%"),
        ("6,5% - 7%", ("range", D("6.5"), D("7"), False, False), "%"),
        ("6,0 - 6,5", ("range", D("6.0"), D("6.5"), False, False), ""),
        ("từ 6,5 đến 7", ("range", D("6.5"), D("7"), False, False), ""),
        ("Từ 6,5% đến 7%", ("range", D("6.5"), D("7"), False, False), "%"),
        ("6,5 ÷ 7%", ("range", D("6.5"), D("7"), False, False), "%"),
        ("6,5–7", ("range", D("6.5"), D("7"), False, False), ""),
        ("từ -1 đến 2", ("range", D("-1"), D("2"), False, False), ""),
        ("trên 90", ("at_least", D("90"), None, True, False), ""),
        ("Trên 90%", ("at_least", D("90"), None, True, False), "%"),
        ("hơn 90", ("at_least", D("90"), None, True, False), ""),
        ("> 90", ("at_least", D("90"), None, True, False), ""),
        ("từ 90 trở lên", ("at_least", D("90"), None, False, False), ""),
        ("90 trở lên", ("at_least", D("90"), None, False, False), ""),
        ("8% trở lên", ("at_least", D("8"), None, False, False), "%"),
        ("≥ 90", ("at_least", D("90"), None, False, False), ""),
        ("≥90%", ("at_least", D("90"), None, False, False), "%"),
        (">= 90", ("at_least", D("90"), None, False, False), ""),
        ("ít nhất 90", ("at_least", D("90"), None, False, False), ""),
        ("tối thiểu 90", ("at_least", D("90"), None, False, False), ""),
        ("không dưới 90", ("at_least", D("90"), None, False, False), ""),
        ("đạt trên 95%", ("at_least", D("95"), None, True, False), "%"),
        ("dưới 3", ("at_most", None, D("3"), False, True), ""),
        ("dưới 4%", ("at_most", None, D("4"), False, True), "%"),
        ("< 3", ("at_most", None, D("3"), False, True), ""),
        ("không quá 3", ("at_most", None, D("3"), False, False), ""),
        ("tối đa 3", ("at_most", None, D("3"), False, False), ""),
        ("≤ 3", ("at_most", None, D("3"), False, False), ""),
        ("từ 3 trở xuống", ("at_most", None, D("3"), False, False), ""),
        ("không vượt quá 1,5‰", ("at_most", None, D("1.5"), False, False), "‰"),
        ("khoảng 5.000", ("approximate", D("5000"), D("5000"), False, False), ""),
        ("xấp xỉ 5.000", ("approximate", D("5000"), D("5000"), False, False), ""),
        ("7,5", ("exact", D("7.5"), D("7.5"), False, False), ""),
        ("đạt 95%", ("exact", D("95"), D("95"), False, False), "%"),
        ("1.234,5", ("exact", D("1234.5"), D("1234.5"), False, False), ""),
    ],
)
def test_every_spelling_of_the_issue_reads(
    text: str, structure: tuple[object, ...], suffix: str
) -> None:
    target = parse_target(text)
    assert target is not None
    assert target.structure == structure
    assert target.suffix == suffix
    assert target.text == text  # kept as written
    assert target.shown() == text


def test_strict_and_inclusive_bounds_differ() -> None:
    strict, inclusive = parse_target("trên 90"), parse_target("từ 90 trở lên")
    assert strict is not None and inclusive is not None
    assert strict.low_strict and not inclusive.low_strict
    assert not strict.same(inclusive)
    assert not strict.contains(D("90")) and inclusive.contains(D("90"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4.70", "nếu là số thập phân, hãy viết 4,70"),
        ("trên 4.70", "hãy viết 4,70"),
        ("6,5-7-8", "có nhiều số"),
        ("7-6,5", "từ số nhỏ đến số lớn"),
        ("trên", "thiếu số"),
        ("từ 6,5", "cần «đến»"),
        ("khoảng trên 90", "không đi cùng một cận"),
        ("trên 90 trở xuống", "cận trên và cận dưới"),
        ("6,5%-7‰", "hai đơn vị khác nhau"),
        ("tăng nhanh", "có chữ ktxh không hiểu"),
        ("1 234", "khoảng trắng"),
        ("1,234.5", "kiểu viết tiếng Anh"),
    ],
)
def test_unreadable_text_is_refused_with_what_is_accepted(text: str, reason: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(text)
    assert reason in caught.value.reason
    message = str(caught.value)
    assert f"«{text}»" in message and ACCEPTED in message
    assert "6,5-7" in message and "trên 90" in message and "khoảng 5.000" in message


def test_empty_and_dash_are_no_target() -> None:
    assert parse_target("") is None
    assert parse_target("  ") is None
    assert parse_target(None) is None
    assert parse_target("-") is None


# --- reading: properties ----------------------------------------------------------------

numbers = st.decimals(min_value=D("-999999"), max_value=D("999999"), places=2, allow_nan=False).map(
    lambda d: d.normalize() if d == d.to_integral_value() else d
)
positive = st.decimals(min_value=D("0"), max_value=D("999999"), places=2, allow_nan=False)
suffixes = st.sampled_from(["", "%", "‰"])


def _vn(d: Decimal, *, parens: bool = False) -> str:
    exp = d.as_tuple().exponent
    places = max(0, -exp) if isinstance(exp, int) else 0
    return format_number(d, places, parens=parens)


RANGE_SPELLINGS = (
    "{a}-{b}{s}",
    "{a} - {b}{s}",
    "{a}{s} - {b}{s}",
    "{a}{s}-{b}{s}",
    "từ {a} đến {b}{s}",
    "từ {a}{s} đến {b}{s}",
    "Từ {a} tới {b}{s}",
    "{a} ÷ {b}{s}",
    "{a} – {b} {s}",
    "khoảng {a}-{b}{s}",
)
LOWER_SPELLINGS = {
    True: ("trên {a}{s}", "Trên {a}{s}", "hơn {a}{s}", "> {a}{s}", ">{a}{s}", "lớn hơn {a}{s}"),
    False: (
        "từ {a}{s} trở lên",
        "{a}{s} trở lên",
        "{a} {s} trở lên",
        "≥ {a}{s}",
        "≥{a}{s}",
        ">= {a}{s}",
        "ít nhất {a}{s}",
        "tối thiểu {a}{s}",
        "không dưới {a}{s}",
        "không thấp hơn {a}{s}",
    ),
}
UPPER_SPELLINGS = {
    True: ("dưới {a}{s}", "Dưới {a}{s}", "< {a}{s}", "nhỏ hơn {a}{s}", "thấp hơn {a}{s}"),
    False: (
        "không quá {a}{s}",
        "tối đa {a}{s}",
        "≤ {a}{s}",
        "<= {a}{s}",
        "từ {a}{s} trở xuống",
        "{a}{s} trở xuống",
        "không vượt quá {a}{s}",
    ),
}


@st.composite
def spelled_targets(draw: st.DrawFn) -> tuple[str, tuple[object, ...], str]:
    """A target drawn by its structure, written in one of the accepted spellings."""
    kind = draw(st.sampled_from(list(TargetKind)))
    s = draw(suffixes)
    if kind is TargetKind.RANGE:
        a, b = draw(positive), draw(positive)
        if a == b:
            b = a + 1
        a, b = min(a, b), max(a, b)
        text = draw(st.sampled_from(RANGE_SPELLINGS)).format(a=_vn(a), b=_vn(b), s=s)
        return text, ("range", a, b, False, False), s
    a = draw(numbers)
    if kind is TargetKind.EXACT:
        text = draw(st.sampled_from(("{a}{s}", "đạt {a}{s}", " {a} {s} "))).format(
            a=_vn(a, parens=draw(st.booleans())), s=s
        )
        return text, ("exact", a, a, False, False), s
    if kind is TargetKind.APPROXIMATE:
        text = draw(st.sampled_from(("khoảng {a}{s}", "xấp xỉ {a}{s}", "~ {a}{s}"))).format(
            a=_vn(a), s=s
        )
        return text, ("approximate", a, a, False, False), s
    strict = draw(st.booleans())
    spellings = LOWER_SPELLINGS if kind is TargetKind.AT_LEAST else UPPER_SPELLINGS
    text = draw(st.sampled_from(spellings[strict])).format(a=_vn(a), s=s)
    if kind is TargetKind.AT_LEAST:
        return text, ("at_least", a, None, strict, False), s
    return text, ("at_most", None, a, False, strict), s


@settings(max_examples=400, deadline=None)
@given(spelled_targets())
def test_every_accepted_spelling_round_trips(case: tuple[str, tuple[object, ...], str]) -> None:
    text, structure, suffix = case
    target = parse_target(text)
    assert target is not None, text
    assert target.structure == structure, text
    assert target.suffix == suffix
    assert is_target_text(text) == (target_key(text) is not None)
    again = parse_target(format_target(target))
    assert again is not None and again.same(target) and again.suffix == suffix
    words = parse_target(target.describe())
    assert words is not None and words.same(target)
    # the package's columns say the same thing as the text
    cols = target_columns(target)
    assert cols["kind"] == target.kind.value


TOKENS = ("trên ", "dưới ", "từ ", " đến ", " trở lên", " trở xuống", "khoảng ", "tối đa ", "đạt ")


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"0123456789.,-–÷%‰ ()≥≤<>~x", *TOKENS]),
        max_size=12,
    ).map("".join)
    | st.text(max_size=20)
)
def test_every_text_is_read_or_refused_with_a_message(text: str) -> None:
    try:
        target = parse_target(text)
    except TargetError as exc:
        assert exc.reason
        assert ACCEPTED in str(exc)
        return
    if target is not None:
        again = parse_target(format_target(target))
        assert again is not None and again.same(target)


def test_a_plain_number_is_no_target_text_and_a_range_is() -> None:
    assert not is_target_text("2.731,1")
    assert not is_target_text("(1.730,0)")
    assert not is_target_text("-")
    assert not is_target_text("7,5%")
    assert is_target_text("6,5-7")
    assert is_target_text("trên 90")
    assert target_key("6,5 - 7") == target_key("từ 6,5 đến 7")
    assert target_key("2.731,1") is None


def test_a_plan_cell_holds_its_text_or_its_number() -> None:
    ranged = target_of_cell(6.5, "6,5-7")
    assert ranged is not None and ranged.kind is RANGE
    exact = target_of_cell(62.0, "62")
    assert exact is not None and exact.kind is TargetKind.EXACT and exact.number == 62
    assert target_of_cell(None, "-") is None
    assert target_of_cell(None, "") is None


@pytest.mark.parametrize(
    ("text", "direction", "representative"),
    [
        ("6,5-7", UP, D("6.5")),
        ("6,5-7", DOWN, D("7")),
        ("6,5-7", NEUTRAL, D("6.75")),
        ("trên 90", UP, D("90")),
        ("dưới 3", DOWN, D("3")),
        ("khoảng 5.000", UP, D("5000")),
        ("7,5", DOWN, D("7.5")),
    ],
)
def test_the_value_table_keeps_the_number_to_reach(
    text: str, direction: Direction, representative: Decimal
) -> None:
    target = parse_target(text)
    assert target is not None
    assert target.representative(direction) == representative


# --- rating ---------------------------------------------------------------------------


def _t(text: str) -> Target:
    target = parse_target(text)
    assert target is not None
    return target


def test_the_growth_rate_of_the_issue_missed_its_range() -> None:
    # 5,5 against "6,0 - 6,5" is 92% of the lower end: amber on the old dashboard
    assert rate(5.5, _t("6,0 - 6,5"), UP).rating is Rating.MISSED
    assert rate(6.2, _t("6,0 - 6,5"), UP).rating is Rating.MET
    assert rate(6.8, _t("6,0 - 6,5"), UP).rating is Rating.EXCEEDED


@pytest.mark.parametrize(
    ("result", "text", "direction", "rating"),
    [
        # both ends of a range are reached; past the better end is Vượt
        (6.5, "6,5-7", UP, Rating.MET),
        (7.0, "6,5-7", UP, Rating.MET),
        (7.1, "6,5-7", UP, Rating.EXCEEDED),
        (6.4, "6,5-7", UP, Rating.MISSED),
        (6.5, "6,5-7", DOWN, Rating.MET),
        (7.0, "6,5-7", DOWN, Rating.MET),
        (6.4, "6,5-7", DOWN, Rating.EXCEEDED),
        (7.1, "6,5-7", DOWN, Rating.MISSED),
        # strict and inclusive bounds
        (90.0, "trên 90", UP, Rating.MISSED),
        (90.1, "trên 90", UP, Rating.MET),
        (90.0, "từ 90 trở lên", UP, Rating.MET),
        (99.0, "từ 90 trở lên", UP, Rating.MET),  # a bound has no better end to pass
        (89.9, "≥ 90", UP, Rating.MISSED),
        (3.0, "dưới 3", DOWN, Rating.MISSED),
        (2.9, "dưới 3", DOWN, Rating.MET),
        (3.0, "không quá 3", DOWN, Rating.MET),
        (3.1, "tối đa 3", DOWN, Rating.MISSED),
        (0.5, "dưới 3", DOWN, Rating.MET),
        # exact
        (7.5, "7,5", UP, Rating.MET),
        (7.6, "7,5", UP, Rating.EXCEEDED),
        (7.4, "7,5", DOWN, Rating.EXCEEDED),
        # approximate: within 5%
        (4750.0, "khoảng 5.000", UP, Rating.MET),
        (5250.0, "khoảng 5.000", UP, Rating.MET),
        (5251.0, "khoảng 5.000", UP, Rating.EXCEEDED),
        (4749.0, "khoảng 5.000", UP, Rating.MISSED),
    ],
)
def test_rating_by_direction_and_kind(
    result: float, text: str, direction: Direction, rating: Rating
) -> None:
    assert rate(result, _t(text), direction).rating is rating


def test_the_tolerance_of_an_approximate_target_is_five_percent() -> None:
    assert D("0.05") == APPROXIMATE_TOLERANCE
    lo, hi = _t("khoảng 5.000").band()
    assert (lo, hi) == (D("4750.00"), D("5250.00"))


def test_a_result_is_rated_as_shown() -> None:
    # 6,49 shown with one decimal is 6,5: the lower end reached
    assert rate(6.49, _t("6,5-7"), UP, decimals=1).rating is Rating.MET
    assert rate(6.49, _t("6,5-7"), UP).rating is Rating.MISSED
    # the target's own decimals count: 6,45 is not rounded away against "6,45-7"
    assert rate(6.449, _t("6,45-7"), UP, decimals=0).rating is Rating.MET


def test_missing_sides_and_neutral_indicators_are_not_rated() -> None:
    target = _t("6,5-7")
    for assessment, reason in (
        (rate(None, target, UP), "chưa có số liệu"),
        (rate(7.0, None, UP), "chưa có kế hoạch"),
        (rate(7.0, target, NEUTRAL), "không có chiều"),
        (rate(float("nan"), target, UP), "chưa có số liệu"),
    ):
        assert assessment.rating is None
        assert assessment.label == "Chưa đánh giá"
        assert assessment.code == "not_rated"
        assert reason in assessment.reason
        assert not assessment.reached


def test_a_first_half_is_rated_for_levels_and_rates_not_for_flows() -> None:
    assert h1_rated(Nature.RATE) and h1_rated(Nature.STOCK)
    assert not h1_rated(Nature.FLOW)


def _negated(t: Target) -> Target:
    """The target mirrored around zero: a lower bound becomes an upper one."""
    kinds = {AT_LEAST: AT_MOST, AT_MOST: AT_LEAST}
    return Target(
        kinds.get(t.kind, t.kind),
        -t.high if t.high is not None else None,
        -t.low if t.low is not None else None,
        t.high_strict,
        t.low_strict,
    )


results = st.one_of(
    st.none(),
    st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=2, allow_nan=False),
)


@settings(max_examples=500, deadline=None)
@given(spelled_targets(), results, st.sampled_from(list(Direction)))
def test_rating_properties(
    case: tuple[str, tuple[object, ...], str], x: Decimal | None, direction: Direction
) -> None:
    target = _t(case[0])
    got = rate(x, target, direction)
    if x is None or direction is NEUTRAL:
        assert got.rating is None and got.reason
        return
    # within the target is Đạt, whatever the direction
    assert (got.rating is Rating.MET) == target.contains(x)
    lo, hi = target.band()
    for end in (lo, hi):  # both ends of a range (and an inclusive bound) are reached
        if end is not None:
            strict = (end == lo and target.low_strict) or (end == hi and target.high_strict)
            assert (rate(end, target, direction).rating is Rating.MET) == (not strict)
    # lower is better is higher is better seen in a mirror
    mirrored = rate(-x, _negated(target), UP if direction is DOWN else DOWN)
    assert mirrored.rating is got.rating
    # a better result never rates worse
    order = [Rating.MISSED, Rating.MET, Rating.EXCEEDED]
    step = D("0.5") if direction is UP else D("-0.5")
    better = rate(x + step, target, direction).rating
    assert better is not None and order.index(better) >= order.index(got.rating)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            spelled_targets(),
            results,
            st.sampled_from(list(Direction)),
            st.one_of(st.none(), st.integers(0, 3)),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_frame_rates_as_the_function_does(
    cases: list[tuple[tuple[str, tuple[object, ...], str], Decimal | None, Direction, int | None]],
) -> None:
    rows = []
    expected = []
    for (text, _, _), x, direction, decimals in cases:
        target = _t(text)
        lo, hi = target.band()
        shown = None if decimals is None else max(decimals, target.decimals)
        rows.append(
            {
                "result": None if x is None else float(x),
                "low": None if lo is None else float(lo),
                "high": None if hi is None else float(hi),
                "low_strict": target.low_strict,
                "high_strict": target.high_strict,
                "direction": direction.value,
                "decimals": shown,
            }
        )
        got = rate(None if x is None else float(x), target, direction, decimals=decimals)
        expected.append(got.code if got.rating is not None else None)
    frame = pl.DataFrame(
        rows,
        schema={
            "result": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "low_strict": pl.Boolean,
            "high_strict": pl.Boolean,
            "direction": pl.String,
            "decimals": pl.Int32,
        },
    )
    out = frame.select(
        rating_expr(
            pl.col("result"),
            pl.col("low"),
            pl.col("high"),
            pl.col("low_strict"),
            pl.col("high_strict"),
            pl.col("direction"),
            pl.col("decimals"),
        ).alias("rating")
    )
    assert out["rating"].to_list() == expected


# --- documents and the target in force ----------------------------------------------------

KEY = ("B01.014", "lai-chau", 2024, "plan")
NQ12 = Document(
    "nq-12-2023",
    DocumentKind.COUNCIL_RESOLUTION,
    "12/NQ-HĐND",
    date(2023, 12, 10),
    "HĐND thành phố Lai Châu",
    "thành phố",
)
NQ25 = Document(
    "nq-25-2024",
    DocumentKind.COUNCIL_RESOLUTION,
    "25/NQ-HĐND",
    date(2024, 7, 12),
    "HĐND thành phố Lai Châu",
    "thành phố",
    amends="nq-12-2023",
)
QD = Document(
    "qd-2050-2023",
    DocumentKind.ASSIGNMENT,
    "2050/QĐ-UBND",
    date(2023, 12, 8),
    "UBND tỉnh Lai Châu",
    "tỉnh",
)


def _book(*records: tuple[str, str]) -> TargetBook:
    return TargetBook(
        {d.code: d for d in (NQ12, NQ25, QD)},
        [TargetRecord(*KEY, target=_t(text), document=doc) for doc, text in records],
    )


def test_an_amendment_replaces_the_target_from_its_date_and_keeps_the_history() -> None:
    book = _book(("nq-12-2023", "84,5-85"), ("nq-25-2024", "84-84,5"))
    assert book.line("nq-25-2024") == "nq-12-2023"
    assert [d.code for d in book.amendments("nq-12-2023")] == ["nq-25-2024"]
    before = book.resolve(KEY, None, on=date(2024, 6, 30))
    assert before.target is not None and before.target.text == "84,5-85"
    assert before.source is not None and before.source.document == NQ12
    after = book.resolve(KEY, None, on=date(2024, 8, 30))
    assert after.target is not None and after.target.text == "84-84,5"
    assert [(r.target.text, d.code) for r, d in after.history] == [("84,5-85", "nq-12-2023")]
    assert not after.conflicts
    # the rating follows the target in force: 84,2 missed the first, meets the amended one
    assert rate(84.2, before.target, UP).rating is Rating.MISSED
    assert rate(84.2, after.target, UP).rating is Rating.MET


def test_the_councils_resolution_rates_and_the_provinces_assignment_is_shown_beside() -> None:
    book = _book(("qd-2050-2023", "từ 84 trở lên"), ("nq-12-2023", "84,5-85"))
    got = book.resolve(KEY, _t("84,5-85"), on=date(2024, 1, 1))
    assert got.source is not None and got.source.document == NQ12
    assert [s.short for s in got.sources] == ["12/NQ-HĐND", "2050/QĐ-UBND"]
    (conflict,) = got.conflicts
    assert conflict.compatible  # reaching 84,5-85 reaches "từ 84 trở lên"
    assert "12/NQ-HĐND" in conflict.message() and "2050/QĐ-UBND" in conflict.message()
    assert "cũng đạt" in conflict.message()


def test_a_plan_cell_that_differs_from_the_document_is_a_conflict() -> None:
    book = _book(("nq-12-2023", "84,5-85"))
    got = book.resolve(KEY, _t("86"), on=date(2024, 1, 1))
    assert got.target is not None and got.target.text == "84,5-85"
    (conflict,) = got.conflicts
    assert conflict.second.document is None and not conflict.compatible
    assert "không khớp" in conflict.message()


def test_without_a_document_the_plan_cell_rates() -> None:
    got = TargetBook().resolve(KEY, _t("trên 90"), on=date(2024, 1, 1))
    assert got.target is not None and got.target.text == "trên 90"
    assert got.source is not None and got.source.document is None
    # a document dated after the day is not in force yet
    later = _book(("nq-25-2024", "84-84,5")).resolve(KEY, _t("85"), on=date(2024, 1, 1))
    assert later.target is not None and later.target.text == "85"
    assert [d.code for _, d in later.history] == ["nq-25-2024"]


def test_implication_between_targets() -> None:
    assert implies(_t("84,5-85"), _t("từ 84 trở lên"))
    assert not implies(_t("từ 84 trở lên"), _t("84,5-85"))
    assert implies(_t("trên 90"), _t("từ 90 trở lên"))
    assert not implies(_t("từ 90 trở lên"), _t("trên 90"))
    assert implies(_t("2"), _t("dưới 3"))


def test_documents_and_targets_from_package_rows() -> None:
    docs = [
        {
            "code": "nq-12-2023",
            "kind": "nghi_quyet_hdnd",
            "number": "12/NQ-HĐND",
            "date": "2023-12-10",
            "issuer": "HĐND thành phố",
            "level": "thành phố",
            "title": "",
            "amends": "",
            "note": "",
        },
        {
            "code": "nq-25-2024",
            "kind": "nghi_quyet_hdnd",
            "number": "25/NQ-HĐND",
            "date": "2024-07-12",
            "issuer": "HĐND thành phố",
            "level": "thành phố",
            "title": "",
            "amends": "nq-12-2023",
            "note": "",
        },
        {"code": "bad", "kind": "cong_van", "number": "", "date": "2024-01-01"},
    ]
    good = {
        "indicator": "B01.014",
        "orgunit": "lai-chau",
        "year": "2024",
        "measure": "plan",
        "document": "nq-12-2023",
        **target_columns(_t("84,5-85")),
    }
    wrong = {**good, "document": "nq-25-2024", "text": "84-84,5", "low": "84.5"}
    unreadable = {**good, "document": "", "text": "4.70"}
    book, problems = book_from_rows(docs, [good, wrong, unreadable])
    assert set(book.documents) == {"nq-12-2023", "nq-25-2024"}
    assert len(book) == 1
    messages = {(f, n): m for f, n, m in problems}
    assert (
        "cong_van" in messages[("documents.csv", 2)]
        and "nghi_quyet_hdnd" in messages[("documents.csv", 2)]
    )
    assert "khác các cột" in messages[("targets.csv", 1)]
    assert "hãy viết 4,70" in messages[("targets.csv", 2)]


def test_an_amendment_cannot_be_older_than_what_it_amends() -> None:
    early = Document(
        "x", DocumentKind.COUNCIL_RESOLUTION, "1", date(2023, 1, 1), amends="nq-12-2023"
    )
    book = TargetBook({NQ12.code: NQ12, "x": early}, [])
    assert any("ban hành sau nó" in p for p in book.check())
