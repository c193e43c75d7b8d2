"""Quantitative statements of a narrative report, linked to the indicators.

A report's text repeats figures of its tables ("Tổng mức bán lẻ ... ước đạt
2.022 tỷ đồng, đạt 55% kế hoạch"). Each such figure is a :class:`Claim`: what
it says, about which indicator, measure and year, so that it can be checked
against the tables and written again from the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ClaimKind(StrEnum):
    VALUE = "value"  # the indicator's value for a measure
    RATIO_PLAN = "ratio_plan"  # "đạt X% kế hoạch": measure / plan of the same year
    GROWTH_SAME_PERIOD = "growth_same_period"  # "tăng X% so với cùng kỳ"


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    section: str  # "I.1.1", "I.2", "II.4"
    item: str  # "(1)".."(8)" or ""
    seed_line: int | None
    text: str  # the clause as printed
    printed: str  # the number as printed
    unit_printed: str
    kind: ClaimKind
    indicator: str | None  # catalog code, None when no table row carries it
    measure: str
    year: int
    value: Decimal | None
    note: str = ""
