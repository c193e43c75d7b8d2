"""Check findings for the web, from the checks engine (ktxh.domain.checks).

The whole plan is checked for the dashboard and the downloads; a data-entry
grid asks only for its form, and the checks then run on the values of that
form's indicators and of every indicator tied to them (their bases, the rows
a declared rule holds them against), with the rules and claims that concern
them. Results are cached per process until a value changes (:func:`data_stamp`,
read from the database on every request), so a grid that asks again after a save
gets the checks recomputed for what changed, and one that merely reloads gets the
cached ones; a save through another application server changes the stamp too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from ktxh.domain.checks import CheckContext, Finding, run_checks
from ktxh.domain.dataset import Dataset
from ktxh.store.frames import current_plan, dataset_from_store
from ktxh.store.models import ValueChange


@dataclass(frozen=True)
class Checked:
    dataset: Dataset
    findings: list[Finding]


_lock = threading.Lock()
_cache: dict[tuple[str, int | None], Checked] = {}


# The newest audit record's id, and how many records there are among the last ids:
# ids are handed out when a transaction inserts, not when it commits, so a save that
# commits after a later one adds a record below the newest id (the count sees it).
_NEWEST_CHANGES = (
    f"SELECT MAX(id), COUNT(*) FROM {ValueChange._meta.db_table} "
    f"WHERE id > (SELECT COALESCE(MAX(id), 0) FROM {ValueChange._meta.db_table}) - 10000"
)


def data_stamp() -> str:
    """Changes whenever a value changes or a dataset is (re)loaded."""
    plan = current_plan()
    with connection.cursor() as cursor:
        cursor.execute(_NEWEST_CHANGES)
        newest, recent = cursor.fetchone()
    return f"{plan.pk}/{plan.loaded_at.isoformat()}/{newest or 0}/{recent}"


def related_codes(ds: Dataset, codes: set[str]) -> set[str]:
    """``codes`` and every indicator a check may hold them against."""
    out = set(codes)
    for c in codes:
        ind = ds.catalog[c]
        out |= set(ind.basis)
        if ind.parent:
            out.add(ind.parent)
        out |= {k.code for k in ds.catalog.children_of(c)}
    for ind in ds.catalog:  # rates and means built on these
        if out & set(ind.basis):
            out.add(ind.code)
    for r in ds.rules:
        if out & set(r.codes):
            out |= set(r.codes)
    return out


def checked(form: int | None = None) -> Checked:
    """Findings of the whole plan (``form`` None) or of one form's indicators."""
    key = (data_stamp(), form)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    ds = dataset_from_store(window=True)
    frame = ds.values.frame
    rules = list(ds.rules)
    claims = list(ds.claims)
    shown: set[str] | None = None
    if form is not None:
        shown = {i.code for i in ds.catalog.in_form(form)}
        related = related_codes(ds, shown)
        frame = frame.filter(pl.col("indicator").is_in(sorted(related)))
        rules = [r for r in rules if set(r.codes) & related]
        claims = [c for c in claims if c.indicator in related]
    ctx = CheckContext(ds.catalog, ds.tree, frame, ds.reference_year, ds.top_orgunit, claims)
    found = run_checks(ctx, rules)
    if shown is not None:
        found = [f for f in found if f.indicator in shown]
    result = Checked(ds, found)
    with _lock:
        for k in [k for k in _cache if k[0] != key[0]]:
            _cache.pop(k, None)
        _cache[key] = result
    return result


def cell_findings(
    ds: Dataset, findings: list[Finding], orgunit: str
) -> list[tuple[Finding, str | None]]:
    """The findings a grid of ``orgunit`` shows, each with the key of the cell it
    sits beside ("indicator|orgunit|year|measure"): the unit's own, and for a unit
    below the top the totals that its value does not add up to."""
    parent = ds.tree[orgunit].parent if orgunit in ds.tree.units else None
    out: list[tuple[Finding, str | None]] = []
    for f in findings:
        own = f.orgunit == orgunit
        total = parent is not None and f.orgunit == parent and f.rule == "units_sum"
        if not (own or total):
            continue
        cell = (
            f"{f.indicator}|{orgunit}|{f.year}|{f.measure}"
            if f.indicator and f.year is not None and f.measure
            else None
        )
        out.append((f, cell))
    return out


def finding_dict(ds: Dataset, f: Finding, cell: str | None = None) -> dict[str, Any]:
    ind = ds.catalog.indicators.get(f.indicator or "")
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "message": f.message,
        "indicator": f.indicator,
        "indicator_name": ind.name if ind else None,
        "form": ind.form if ind else None,
        "orgunit": f.orgunit,
        "year": f.year,
        "measure": f.measure,
        "cell": cell,
    }
