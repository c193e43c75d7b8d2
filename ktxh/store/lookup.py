"""What every request needs to know about the catalog and the tree, kept in memory.

Forms, indicators and org units change only when a dataset is loaded, so a
process keeps a small index of them and checks one cheap row (the plan's id
and load time) per request instead of querying the catalog again. The value
writes and the permission checks use it; it holds no values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from ktxh.store.models import Form, Indicator, OrgUnit, Plan


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    code: str
    name: str
    form: int
    is_group: bool
    city_only: bool


@dataclass(frozen=True, slots=True)
class OrgInfo:
    code: str
    full_name: str
    path: str


@dataclass(frozen=True)
class Lookup:
    stamp: tuple[int, datetime] | None
    top: str
    reference_year: int
    indicators: dict[str, IndicatorInfo]
    breakdown: dict[int, bool]  # form -> has a unit breakdown
    orgunits: dict[str, OrgInfo]

    @property
    def unit_forms(self) -> frozenset[int]:
        return frozenset(n for n, b in self.breakdown.items() if b)


_lock = threading.Lock()
_current: Lookup | None = None


def lookup(holder: object | None = None) -> Lookup:
    """The index for the plan in the database now (one small query when unchanged).
    With ``holder`` (the request's user), the index is checked once per request."""
    if holder is not None:
        held: Lookup | None = getattr(holder, "_ktxh_lookup", None)
        if held is not None:
            return held
        found = lookup()
        setattr(holder, "_ktxh_lookup", found)  # noqa: B010 (a per-request cache)
        return found
    global _current
    row = Plan.objects.order_by("pk").values_list("pk", "loaded_at").first()
    stamp = (row[0], row[1]) if row else None
    cached = _current
    if cached is not None and cached.stamp == stamp:
        return cached
    with _lock:
        plan = Plan.objects.order_by("pk").first()
        breakdown = {f.number: f.has_unit_breakdown for f in Form.objects.all()}
        indicators = {
            i.code: IndicatorInfo(
                i.code,
                i.name,
                i.form_id,
                i.is_group,
                i.row.get("consolidation") == "city_only",
            )
            for i in Indicator.objects.all()
        }
        orgunits = {o.code: OrgInfo(o.code, o.full_name, o.path) for o in OrgUnit.objects.all()}
        _current = Lookup(
            stamp,
            plan.top_orgunit if plan else "",
            plan.reference_year if plan else 0,
            indicators,
            breakdown,
            orgunits,
        )
        return _current
