"""Vietnamese numbers: strict parsing of printed text and formatting for people.

Vietnamese writes "." between groups of three digits and "," before decimals:
``2.022`` is two thousand and twenty-two, ``57,804`` is fifty-seven point eight.
Tables print negatives in parentheses, ``(1.730,0)``, and "-" for "none".

Parsing never guesses: text that could be read two ways (``4.70``: a thousands
dot before two digits, or an English decimal point?) is an error whose message
says why, in Vietnamese, so that it can be shown to the person who typed it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

NONE_MARKS = frozenset({"-", "–", "—"})
SUFFIXES = ("%", "‰")
ASCII_DIGITS = frozenset("0123456789")  # Python's \d and int() also take other scripts' digits

# Optional sign or parentheses, integer part grouped by "." in threes (or not
# grouped at all), optional "," decimal part, optional % or ‰.
_NUMBER = re.compile(
    r"""^(?P<int>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,(?P<frac>[0-9]+))?$""",
)


class NumberError(ValueError):
    """Text that is not a Vietnamese number; the message says why (in Vietnamese)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"«{text}» không phải là số hợp lệ: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed cell. ``value`` is None for a printed "-" (explicitly none)."""

    value: Decimal | None
    decimals: int = 0
    suffix: str = ""

    @property
    def is_none_mark(self) -> bool:
        return self.value is None


def parse_number(text: str | None) -> Parsed | None:
    """Parse a printed Vietnamese number.

    Returns None for an empty cell, ``Parsed(None)`` for "-", and raises
    :class:`NumberError` for anything ambiguous or malformed.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFC", text).strip()
    if not s:
        return None
    if s in NONE_MARKS:
        return Parsed(None)
    suffix = ""
    if s.endswith(SUFFIXES):
        suffix = s[-1]
        s = s[:-1].rstrip()
    negative = False
    if s.startswith("(") or s.endswith(")"):
        if not (s.startswith("(") and s.endswith(")")):
            raise NumberError(text, "thiếu dấu ngoặc đóng hoặc mở")
        negative = True
        s = s[1:-1].strip()
    elif s.startswith(("-", "−")):
        negative = True
        s = s[1:].lstrip()
    elif s.startswith("+"):
        s = s[1:].lstrip()
    if not s:
        raise NumberError(text, "không có chữ số")
    if any(ch.isspace() for ch in s):
        raise NumberError(text, "có khoảng trắng giữa các chữ số")
    if any(ch.isdigit() and ch not in ASCII_DIGITS for ch in s):
        raise NumberError(
            text,
            "có chữ số không phải chữ số thường 0-9 (chữ số Ả Rập - Ấn Độ, chữ số toàn độ rộng?); "
            "hãy gõ lại bằng các phím số thường",
        )
    if not re.fullmatch(r"[0-9.,]+", s):
        raise NumberError(text, "có ký tự không phải chữ số")
    if s.count(",") > 1:
        raise NumberError(text, "có nhiều hơn một dấu phẩy thập phân")
    if "," in s and "." in s and s.index(".") > s.index(","):
        raise NumberError(
            text, "dấu chấm đứng sau dấu phẩy (kiểu viết tiếng Anh?); số Việt Nam viết 1.234,5"
        )
    m = _NUMBER.match(s)
    if m is None:
        if "." in s and "," not in s:
            groups = s.split(".")
            if len(groups) == 2 and groups[1] and len(groups[1]) != 3:
                raise NumberError(
                    text,
                    f"dấu chấm ngăn cách hàng nghìn phải đứng trước đúng 3 chữ số; "
                    f"nếu là số thập phân, hãy viết {groups[0]},{groups[1]}",
                )
        raise NumberError(text, "nhóm chữ số không đúng (dấu chấm ngăn từng 3 chữ số)")
    int_part = m.group("int").replace(".", "")
    frac = m.group("frac") or ""
    if len(int_part) > 1 and m.group("int").startswith("0"):
        raise NumberError(text, "có chữ số 0 thừa ở đầu")
    value = Decimal(f"{int_part}.{frac}" if frac else int_part)
    if negative:
        value = -value
    return Parsed(value, len(frac), suffix)


def parse_value(text: str | None) -> Decimal | None:
    """Parse to a Decimal; None for empty or "-"."""
    parsed = parse_number(text)
    return None if parsed is None else parsed.value


def round_half_up(value: Decimal | float, decimals: int) -> Decimal:
    """Round the way people and Excel do: 0,25 -> 0,3 (not banker's rounding)."""
    d = value if isinstance(value, Decimal) else Decimal(repr(value))
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(
    value: Decimal | float | int | None,
    decimals: int | None = None,
    *,
    parens: bool = False,
    none: str = "-",
) -> str:
    """Format for people: ``2.022,5``; negatives as ``(2,9)`` when ``parens``.

    ``decimals`` None keeps the value's own decimals (no trailing zeros).
    """
    if value is None:
        return none
    if isinstance(value, float) and value != value:  # NaN
        return none
    d = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else value)
    )
    if decimals is None:
        d = d.normalize()
        exp = d.as_tuple().exponent
        decimals = max(0, -exp) if isinstance(exp, int) else 0
    d = round_half_up(d, decimals)
    text = grouped(d, decimals)
    if d >= 0:  # -0 after rounding is printed 0
        return text
    return f"({text})" if parens else f"-{text}"


def grouped(d: Decimal, decimals: int) -> str:
    """The magnitude of ``d`` with ``decimals`` places, Vietnamese: ``2.022,5``.

    CLDR's "vi" symbols (decimal ",", group ".") on the standard library's grouping of
    three: the text Babel's format_decimal gives, at a tenth of its cost
    (tests/domain/test_numbers.py holds the two together; docs/decisions.md)."""
    return f"{abs(d):,.{decimals}f}".translate(_VI_SEPARATORS)


_VI_SEPARATORS = str.maketrans(",.", ".,")


def plain_number(value: Decimal | float | None) -> str:
    """For machines: "." decimal point, no grouping, no exponent (1330.5, 700, 0.00001)."""
    if value is None:
        return ""
    d = value if isinstance(value, Decimal) else Decimal(repr(value))
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=8192)  # a workbook asks for the same printed texts again and again
def decimals_of(text: str | None) -> int | None:
    """How many decimals a printed number shows; None if it is not a number."""
    try:
        parsed = parse_number(text)
    except NumberError:
        return None
    if parsed is None or parsed.value is None:
        return None
    return parsed.decimals
