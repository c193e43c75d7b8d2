from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ktxh.domain.numbers import (
    NumberError,
    Parsed,
    decimals_of,
    format_number,
    parse_number,
    parse_value,
    round_half_up,
)


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("2.022", Decimal("2022"), 0),
        ("57,804", Decimal("57.804"), 3),
        ("1.693,9", Decimal("1693.9"), 1),
        ("(2,95)", Decimal("-2.95"), 2),
        ("(1.730,0)", Decimal("-1730.0"), 1),
        ("150.000", Decimal("150000"), 0),
        ("0,08", Decimal("0.08"), 2),
        ("100", Decimal("100"), 0),
        (" 8.241,2 ", Decimal("8241.2"), 1),
    ],
)
def test_parses_every_form_printed_in_the_seed(text: str, value: Decimal, decimals: int) -> None:
    parsed = parse_number(text)
    assert parsed == Parsed(value, decimals)


def test_suffixes_are_kept() -> None:
    assert parse_number("10,8‰") == Parsed(Decimal("10.8"), 1, "‰")
    assert parse_number("55%") == Parsed(Decimal("55"), 0, "%")


def test_none_and_empty_differ() -> None:
    assert parse_number("") is None
    assert parse_number(None) is None
    dash = parse_number("-")
    assert dash is not None and dash.is_none_mark
    assert parse_value("-") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4.70", "3 chữ số"),  # line 394 of the seed: thousands dot or decimal point?
        ("0.5", "3 chữ số"),
        ("1,234.5", "kiểu viết tiếng Anh"),
        ("1.234.5", "nhóm chữ số"),
        ("12.34,5", "nhóm chữ số"),
        ("1,2,3", "nhiều hơn một dấu phẩy"),
        ("1 234", "khoảng trắng"),
        ("12a", "không phải chữ số"),
        ("(12", "ngoặc"),
        ("007", "chữ số 0 thừa"),
        ("0.500", "chữ số 0 thừa"),
        ("", None),
    ],
)
def test_ambiguous_text_is_an_error_with_its_reason(text: str, reason: str | None) -> None:
    if reason is None:
        assert parse_number(text) is None
        return
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert reason in str(info.value)
    assert f"«{text}»" in str(info.value)


@pytest.mark.parametrize(
    ("value", "decimals", "parens", "expected"),
    [
        (Decimal("2022.5"), 1, False, "2.022,5"),
        (2022.5, 1, False, "2.022,5"),
        (Decimal("-1730"), 1, True, "(1.730,0)"),
        (Decimal("-2.95"), 2, False, "-2,95"),
        (Decimal("0.25"), 1, False, "0,3"),  # half up, not banker's rounding
        (Decimal("0.35"), 1, False, "0,4"),
        (Decimal("1234567"), 0, False, "1.234.567"),
        (Decimal("-0.04"), 1, True, "0,0"),
        (None, 0, False, "-"),
    ],
)
def test_format(value: Decimal | float | None, decimals: int, parens: bool, expected: str) -> None:
    assert format_number(value, decimals, parens=parens) == expected


def test_format_keeps_own_decimals_when_not_told() -> None:
    assert format_number(Decimal("57.804")) == "57,804"
    assert format_number(Decimal("207.000")) == "207"
    assert format_number(165650) == "165.650"


def test_decimals_of() -> None:
    assert decimals_of("2.731,1") == 1
    assert decimals_of("-") is None
    assert decimals_of("4.70") is None


def test_round_half_up() -> None:
    assert round_half_up(Decimal("102.85"), 1) == Decimal("102.9")
    assert round_half_up(0.125, 2) == Decimal("0.13")


amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False
)


@given(amounts, st.integers(min_value=0, max_value=4), st.booleans())
def test_round_trip(value: Decimal, decimals: int, parens: bool) -> None:
    text = format_number(value, decimals, parens=parens)
    parsed = parse_number(text)
    assert parsed is not None
    expected = round_half_up(value, decimals)
    assert parsed.value == (expected if expected != 0 else abs(expected))
    assert parsed.decimals == decimals


@given(st.text(alphabet="0123456789.,()- ", max_size=12))
def test_parser_never_guesses_silently(text: str) -> None:
    """Anything it accepts formats back to the same digits."""
    try:
        parsed = parse_number(text)
    except NumberError:
        return
    if parsed is None or parsed.value is None:
        return
    again = format_number(parsed.value, parsed.decimals, parens=text.strip().startswith("("))
    assert parse_number(again) == parsed or parsed.value == 0


@given(amounts, st.integers(min_value=0, max_value=4), st.booleans())
def test_format_is_babels_vietnamese(value: Decimal, decimals: int, parens: bool) -> None:
    """format_number writes CLDR's "vi" symbols itself: the same text as Babel's
    formatter (a test dependency only) given the same half-up rounded figure."""
    from babel.numbers import format_decimal

    d = round_half_up(value, decimals)
    d = abs(d) if d == 0 else d
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    if parens:
        pattern = f"{pattern};({pattern})"
    expected = format_decimal(d, format=pattern, locale="vi", decimal_quantization=True)
    assert format_number(value, decimals, parens=parens) == expected
