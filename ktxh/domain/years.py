"""Years relative to a reporting round.

A catalog, a narrative's phrasebook and a report's letterhead are written once and
used every year: a title says "Kế hoạch năm {Y+1}", not "Kế hoạch năm 2024", and
a claim is about the first half of ``{Y}``. ``Y`` is the reference year of the
round (round Y reports the plan, first half and estimate of Y and sets the plan
of Y+1). :func:`render` writes the years of a round into such a text,
:func:`resolve` turns a year field ("{Y}", "{Y-1}" or an absolute year such as
"2026" for a multi-year plan) into a year, and :func:`to_placeholders` converts a
text written for one round into the relative form, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN = re.compile(r"\{Y(?:([+-])(\d{1,2}))?\}")
"""``{Y}``, ``{Y+1}``, ``{Y-1}`` ..."""

YEAR_FIELD = re.compile(r"^(?:\{Y(?:[+-]\d{1,2})?\}|\d{4})$")
"""What a year field of a package may hold: a relative year or an absolute one."""

# A year written as a number in running text: four digits not part of a longer
# number ("2.022", "12023", "2023,5"), from 1900 to 2099.
_LITERAL = re.compile(r"(?<![\d.,/])(?:19|20)\d\d(?![\d]|[.,]\d)")


def _offset(match: re.Match[str]) -> int:
    sign, digits = match.group(1), match.group(2)
    if not sign:
        return 0
    return int(digits) if sign == "+" else -int(digits)


def token(offset: int) -> str:
    """The placeholder for the year ``offset`` years after the round's (``{Y-1}``)."""
    if offset == 0:
        return "{Y}"
    return f"{{Y{offset:+d}}}"


def render(text: str, year: int) -> str:
    """``text`` with every placeholder replaced by the year it names in round ``year``."""
    if "{Y" not in text:
        return text
    return TOKEN.sub(lambda m: str(year + _offset(m)), text)


def resolve(field: str, year: int) -> int:
    """A year field ("{Y+1}" or "2026") as a year of round ``year``; ValueError with a
    Vietnamese message when it is neither."""
    text = field.strip()
    if not YEAR_FIELD.match(text):
        raise ValueError(
            f"«{field}» không phải năm: ghi năm tương đối theo kỳ báo cáo "
            "({Y}, {Y+1}, {Y-1} ...) hoặc một năm cụ thể (2026)"
        )
    if text.isdigit():
        return int(text)
    found = TOKEN.fullmatch(text)
    assert found is not None  # YEAR_FIELD matched
    return year + _offset(found)


def relative(year_value: int, year: int) -> str:
    """The field for ``year_value`` in round ``year``: a placeholder when it is within
    five years of the round, the year itself otherwise."""
    offset = year_value - year
    return token(offset) if abs(offset) <= 5 else str(year_value)


def to_placeholders(text: str, year: int, window: int = 5) -> str:
    """Replace the years written in ``text`` (within ``window`` years of round
    ``year``) by placeholders: the one-time conversion of a text written for one
    round ("ước thực hiện năm 2023") into one that serves every round
    ("ước thực hiện năm {Y}")."""

    def swap(match: re.Match[str]) -> str:
        value = int(match.group(0))
        return token(value - year) if abs(value - year) <= window else match.group(0)

    return _LITERAL.sub(swap, text)


def literal_years(text: str) -> list[int]:
    """The years written as numbers in ``text`` (after rendering), in order."""
    return [int(m.group(0)) for m in _LITERAL.finditer(text)]


def has_placeholders(texts: Iterable[str]) -> bool:
    return any(TOKEN.search(t) for t in texts)
