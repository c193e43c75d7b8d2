"""The store as a :class:`~ktxh.domain.dataset.Dataset`: the one place where the
database hands its plan to the domain (checks, consolidation, publishing), for
the web and the command line alike.

The catalog, the tree, the claims, the declared rules and the departments
change only when a package is loaded, so they are built once per process and
per load (the plan's ``loaded_at`` is the stamp); the values are read afresh
each time.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import polars as pl
from django.db.models import Q

from ktxh.domain.catalog import Catalog, Unit
from ktxh.domain.checks import DeclaredRule
from ktxh.domain.dataset import Dataset, RoundInfo, catalog_for_round, meta_for_round
from ktxh.domain.importing import Department
from ktxh.domain.narrative import Claim
from ktxh.domain.orgunits import OrgTree
from ktxh.domain.orgunits import OrgUnit as DomainOrgUnit
from ktxh.domain.targets import TargetBook
from ktxh.domain.values import SCHEMA, ValueTable
from ktxh.io.datapackage import (
    claim_from_row,
    event_from_row,
    form_from_row,
    indicator_from_row,
    rule_from_row,
)
from ktxh.store import models


class NoPlan(LookupError):
    """No package has been loaded into the store."""

    def __init__(self) -> None:
        super().__init__(
            "Kho số liệu chưa có kế hoạch nào: nạp một gói dữ liệu bằng «ktxh load THƯ_MỤC» "
            "(hoặc «ktxh demo» để nạp bộ dữ liệu mẫu Lai Châu)"
        )


@dataclass(frozen=True)
class Static:
    """What changes only with a load: catalog, tree, claims, rules, departments."""

    stamp: tuple[int, datetime]
    catalog: Catalog
    tree: OrgTree
    claim_rows: list[dict[str, str]]
    rules: list[DeclaredRule]
    departments: list[Department]
    unplaced: dict[str, str]


_lock = threading.Lock()
_static: Static | None = None


def current_plan() -> models.Plan:
    plan = models.Plan.objects.first()
    if plan is None:
        raise NoPlan()
    return plan


def static_parts(plan: models.Plan) -> Static:
    global _static
    stamp = (plan.pk, plan.loaded_at)
    cached = _static
    if cached is not None and cached.stamp == stamp:
        return cached
    with _lock:
        forms = {f.number: form_from_row(f.row) for f in models.Form.objects.all()}
        units = {
            u.name: Unit(u.name, u.dimension, Decimal(u.scale), u.base, u.share)
            for u in models.MeasureUnit.objects.all()
        }
        rows = [i.row for i in models.Indicator.objects.all()]
        indicators = {r["code"]: indicator_from_row(r, f"chỉ tiêu {r['code']}") for r in rows}
        unplaced = {r["code"]: r["unplaced"] for r in rows if r.get("unplaced")}
        catalog = Catalog(forms, indicators, units)
        tree = OrgTree(
            [
                DomainOrgUnit(o.code, o.name, o.level, o.parent_id, o.valid_from, o.valid_to)
                for o in models.OrgUnit.objects.order_by("order")
            ],
            [event_from_row(e.row) for e in models.OrgEvent.objects.all()],
        )
        claim_rows = [dict(r) for r in plan.claims]
        rules = [rule_from_row(r, f"quy tắc {r.get('id', '')}", indicators) for r in plan.rules]
        forms_of: dict[str, list[int]] = {}
        for code, form in models.Department.forms.through.objects.values_list(
            "department_id", "form_id"
        ):
            forms_of.setdefault(code, []).append(form)
        departments = [
            Department(d.code, d.name, tuple(sorted(forms_of.get(d.code, []))))
            for d in models.Department.objects.all()
        ]
        _static = Static(stamp, catalog, tree, claim_rows, rules, departments, unplaced)
        return _static


def value_frame(
    years: Collection[int] | None = None,
    indicators: Collection[str] | None = None,
    *,
    window: tuple[set[int], set[tuple[str, int]]] | None = None,
) -> pl.DataFrame:
    """Every stored value as a value frame (ktxh.domain.values.SCHEMA), or those of
    ``years`` and of ``indicators``, or those of a round's ``window`` (whole years and
    single (measure, year) cells: :func:`round_cells`); cleared cells are left out.
    ``source`` and ``source_ref`` are the store's: "seed" with "line N", "import"
    with "file!sheet!cell", "web", "api", "package", "forecast"."""
    qs = models.Value.objects.exclude(value__isnull=True, printed="")
    if years is not None:
        qs = qs.filter(year__in=sorted(years))
    if window is not None:
        whole, cells = window
        wanted = Q(year__in=sorted(whole))
        for measure, year in sorted(cells):
            wanted |= Q(year=year, measure=measure)
        qs = qs.filter(wanted)
    if indicators is not None:
        qs = qs.filter(indicator_id__in=sorted(indicators))
    rows = qs.values_list(
        "indicator_id",
        "orgunit_id",
        "year",
        "measure",
        "value",
        "printed",
        "source",
        "source_ref",
        "seed_line",
        "confidence",
        "note",
    ).iterator(chunk_size=20000)
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


def round_info(year: int) -> RoundInfo | None:
    """A round of the store as the domain sees it, or None."""
    r = models.Round.objects.filter(year=year).first()
    if r is None:
        return None
    return RoundInfo(r.year, r.status, r.due, r.report_number, r.report_date)


def current_year(plan: models.Plan | None = None) -> int:
    """The store's current round: the latest open one (the latest of all when every
    round is closed; the plan's reference year when there is no round)."""
    years = list(models.Round.objects.order_by("-year").values_list("year", "status")[:50])
    for year, status in years:
        if status == models.RoundStatus.OPEN:
            return int(year)
    if years:
        return int(years[0][0])
    return (plan or current_plan()).reference_year


# What round Y reads besides its own year: the year before's first half and final
# figure (so với cùng kỳ, growth on last year, a copy from last year), the plans ahead
# (ktxh.store.actions.PLAN_HORIZON), and whatever its forms' layouts name.
WINDOW_AFTER = 5
LAST_YEAR_MEASURES = ("h1", "estimate", "actual")


def round_cells(catalog: Catalog, year: int) -> tuple[set[int], set[tuple[str, int]]]:
    """What round ``year`` reads: whole years (the round's and :data:`WINDOW_AFTER`
    after it) and single (measure, year) cells (last year's :data:`LAST_YEAR_MEASURES`,
    every cell a form's layout names in that round: an absolute year of a multi-year
    plan, ``actual@Y-3``; ``full`` is the actual and the estimate)."""
    years = set(range(year, year + WINDOW_AFTER + 1))
    cells = {(m, year - 1) for m in LAST_YEAR_MEASURES}
    for form in catalog.forms.values():
        for column in form.layout:
            for ref in (column.ref, column.old):
                if ref is None or ref.year.at(year) in years:
                    continue
                measure, at = ref.at(year)
                measures = ("actual", "estimate") if measure == "full" else (measure,)
                cells |= {(m, at) for m in measures}
    return years, cells


def dataset_from_store(year: int | None = None, *, window: bool = False) -> Dataset:
    """The plan in the store, with its current values, for round ``year`` (the
    current round by default): the round's reference year, its report letterhead,
    its form titles and its narrative's claims written for that year.

    ``window``: only the values the round reads (:func:`round_cells`),
    for what shows, checks or publishes one round: a store that holds ten years of
    rounds is read as fast as one that holds one. Without it every value is read (an
    export, the history a forecast learns from)."""
    plan = current_plan()
    parts = static_parts(plan)
    year = current_year(plan) if year is None else year
    info = round_info(year) or RoundInfo(year)
    # the numbers the claims state were printed in the report of the round they were
    # written for: ``claims_year``, recorded when a later round is opened
    printed_in = int(plan.meta.get("claims_year") or plan.reference_year)
    claims: list[Claim] = [claim_from_row(r, year, printed_in) for r in parts.claim_rows]
    return Dataset(
        plan.name,
        meta_for_round(plan.meta, info),
        catalog_for_round(parts.catalog, year),
        parts.tree,
        ValueTable(value_frame(window=round_cells(parts.catalog, year) if window else None)),
        claims,
        dict(parts.unplaced),
        list(parts.rules),
        list(parts.departments),
        _target_book(),
    )


def _target_book() -> TargetBook:
    """The documents and targets in the store (read afresh: they change without a load)."""
    from ktxh.store.targets import book_from_store

    return book_from_store()
