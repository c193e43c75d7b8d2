"""Template filters for numbers people read: ``{{ n|so }}`` is 3.640, not 3640.

The pages are rendered with localisation off (a year is 2023, not 2.023), so every
count goes through :func:`ktxh.domain.numbers.format_number` here.
"""

from __future__ import annotations

from django import template

from ktxh.domain.numbers import format_number

register = template.Library()


@register.filter(name="so")
def so(value: object) -> str:
    """A count or a figure the Vietnamese way (3.640; 2.022,5); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return format_number(value)


@register.filter(name="theo_nam")
def theo_nam(text: object, year: object) -> str:
    """A title written for every round ("... NĂM {Y+1}") as round ``year`` prints it."""
    from ktxh.domain.years import render

    if not isinstance(text, str) or isinstance(year, bool) or not isinstance(year, int):
        return "" if text is None else str(text)
    return render(text, year)
