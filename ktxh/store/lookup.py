"""What every request needs to know about the catalog and the tree, kept in memory.

Forms, indicators and org units change only when a dataset is loaded, so a
process keeps a small index of them and checks one cheap row (the plan's id
and load time) per request instead of querying the catalog again. The value
writes and the permission checks use it; it holds no values.

The same query reads the reporting rounds and which are closed, afresh each time
(:attr:`Lookup.rounds`, :attr:`Lookup.closed`): nothing is trusted from an earlier
request, so another application server's load, reorganisation or round closing is
seen at once (docs/deploy.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db import connection

from ktxh.store.models import Form, Indicator, OrgUnit, Plan, Round, RoundStatus
from ktxh.store.sql import db_datetime, table


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    code: str
    name: str
    form: int
    is_group: bool
    city_only: bool
    direction: str = "up"  # which way is better: a typed range keeps its end to reach
    unit: str = ""


@dataclass(frozen=True, slots=True)
class OrgInfo:
    code: str
    full_name: str
    path: str
    valid_from: date | None = None
    valid_to: date | None = None  # the first day it is no longer in being

    def in_being(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


@dataclass(frozen=True)
class Lookup:
    stamp: tuple[int, datetime] | None
    top: str
    reference_year: int
    indicators: dict[str, IndicatorInfo]
    breakdown: dict[int, bool]  # form -> has a unit breakdown
    orgunits: dict[str, OrgInfo]
    rounds: frozenset[int] = frozenset()  # the years of the reporting rounds
    closed: frozenset[int] = frozenset()  # ... of those that are closed

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
    stamp, rounds, closed = _stamp_and_rounds()
    cached = _current
    if cached is not None and cached.stamp == stamp:
        if (cached.rounds, cached.closed) == (rounds, closed):
            return cached
        return replace(cached, rounds=rounds, closed=closed)
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
                i.direction,
                i.unit,
            )
            for i in Indicator.objects.all()
        }
        orgunits = {
            o.code: OrgInfo(o.code, o.full_name, o.path, o.valid_from, o.valid_to)
            for o in OrgUnit.objects.all()
        }
        _current = Lookup(
            stamp,
            plan.top_orgunit if plan else "",
            plan.reference_year if plan else 0,
            indicators,
            breakdown,
            orgunits,
            rounds,
            closed,
        )
        return _current


def _stamp_and_rounds() -> tuple[tuple[int, datetime] | None, frozenset[int], frozenset[int]]:
    """The plan's stamp and the rounds (every year, the closed ones), in one query:
    this runs on every request that writes or checks a permission."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, loaded_at, NULL, NULL FROM (SELECT id, loaded_at FROM {table(Plan)} "
            f"ORDER BY id LIMIT 1) p UNION ALL SELECT NULL, NULL, year, status FROM {table(Round)}"
        )
        rows = cursor.fetchall()
    stamp = None
    rounds, closed = set(), set()
    for pk, loaded_at, year, status in rows:
        if pk is not None:
            when = db_datetime(loaded_at)
            assert when is not None
            stamp = (int(pk), when)
        else:
            rounds.add(int(year))
            if status == RoundStatus.CLOSED:
                closed.add(int(year))
    return stamp, frozenset(rounds), frozenset(closed)
