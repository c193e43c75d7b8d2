"""What every request needs to know about the catalog and the tree, kept in memory.

Forms, indicators and org units change only when a dataset is loaded, so a
process keeps a small index of them and checks one cheap row (the plan's id
and load time) per request instead of querying the catalog again. The value
writes and the permission checks use it; it holds no values.

The same query reads the reporting rounds and which are closed, afresh each time
(:attr:`Lookup.rounds`, :attr:`Lookup.closed`): nothing is trusted from an earlier
request, so another application server's load, reorganisation or round closing is
seen at once (docs/deploy.md). A web request reads them with its user, in the same
query (:class:`ktxh.web.plan.sessions.StoreBackend`, :func:`hold`).
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


Stamp = tuple[tuple[int, datetime] | None, frozenset[int], frozenset[int]]
"""What one request reads of the store's state: the plan's stamp, the rounds, the closed
ones."""


def lookup(holder: object | None = None) -> Lookup:
    """The index for the plan in the database now (one small query when unchanged).
    With ``holder`` (the request's user), the index is checked once per request, with
    the stamp read with the user when there is one (:func:`hold`)."""
    if holder is not None:
        held: Lookup | None = getattr(holder, "_ktxh_lookup", None)
        if held is not None:
            return held
        read: Stamp | None = getattr(holder, "_ktxh_stamp", None)
        if read is not None:
            delattr(holder, "_ktxh_stamp")  # used once (the holder may be a lazy object)
        found = _resolve(*read) if read is not None else lookup()
        setattr(holder, "_ktxh_lookup", found)  # noqa: B010 (a per-request cache)
        return found
    return _resolve(*_stamp_and_rounds())


def hold(holder: object, plan_id: int | None, loaded_at: object, rounds_text: str | None) -> None:
    """Keep on ``holder`` (a request's user) the stamp and the rounds its request read
    with the user (``rounds_text``: "2023:open,2024:closed"), for its first
    :func:`lookup`; a later one (after the request changed the rounds and dropped
    ``_ktxh_lookup``) reads them again."""
    stamp = None
    if plan_id is not None:
        when = db_datetime(loaded_at)
        assert when is not None
        stamp = (int(plan_id), when)
    rounds, closed = set(), set()
    for item in (rounds_text or "").split(","):
        if item:
            year, _, status = item.partition(":")
            rounds.add(int(year))
            if status == RoundStatus.CLOSED:
                closed.add(int(year))
    read: Stamp = (stamp, frozenset(rounds), frozenset(closed))
    setattr(holder, "_ktxh_stamp", read)  # noqa: B010 (a per-request cache)


def _resolve(
    stamp: tuple[int, datetime] | None, rounds: frozenset[int], closed: frozenset[int]
) -> Lookup:
    """The index for ``stamp``: the one in memory when the stamp is its own, else read
    again; with ``rounds`` and ``closed`` as just read."""
    global _current
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


def _stamp_and_rounds() -> Stamp:
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
