"""The database as a ktxh :class:`~ktxh.io.dataset.Dataset`: the one place where
the web hands its values to the domain (checks, consolidation, publishing).

The catalog, the tree, the claims and the declared rules change only when a
dataset is loaded, so they are built once per process and per load; the values
are read afresh each time (a city is a few thousand rows).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from ktxh.domain.catalog import Catalog, Form, Unit
from ktxh.domain.checks import DeclaredRule
from ktxh.domain.narrative import Claim
from ktxh.domain.orgunits import OrgTree
from ktxh.domain.orgunits import OrgUnit as DomainOrgUnit
from ktxh.domain.values import SCHEMA, ValueTable
from ktxh.io.dataset import Dataset, claim_from_row, indicator_from_row, rule_from_row
from ktxh.web.plan import models


class NoPlan(LookupError):
    """No dataset has been loaded into the database."""

    def __init__(self) -> None:
        super().__init__(
            "Chưa có bộ dữ liệu nào trong cơ sở dữ liệu: chạy «python -m ktxh.web.manage ktxh_load»"
        )


@dataclass(frozen=True)
class Static:
    """What changes only with a load: catalog, tree, claims, declared rules."""

    stamp: tuple[int, datetime]
    catalog: Catalog
    tree: OrgTree
    claims: list[Claim]
    rules: list[DeclaredRule]


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
        forms = {
            f.number: Form(f.number, f.title, tuple(f.columns.split()), f.seed_line)
            for f in models.Form.objects.all()
        }
        units = {
            u.name: Unit(u.name, u.dimension, Decimal(u.scale), u.base, u.share)
            for u in models.MeasureUnit.objects.all()
        }
        indicators = {
            i.code: indicator_from_row(i.row, f"chỉ tiêu {i.code}")
            for i in models.Indicator.objects.all()
        }
        catalog = Catalog(forms, indicators, units)
        tree = OrgTree(
            [
                DomainOrgUnit(o.code, o.name, o.level, o.parent_id, o.valid_from, o.valid_to)
                for o in models.OrgUnit.objects.order_by("order")
            ]
        )
        claims = [claim_from_row(r) for r in plan.claims]
        rules = [rule_from_row(r, f"quy tắc {r.get('id', '')}", indicators) for r in plan.rules]
        _static = Static(stamp, catalog, tree, claims, rules)
        return _static


def value_frame() -> pl.DataFrame:
    """Every stored value as a value frame (ktxh.domain.values.SCHEMA); cleared
    cells are left out. Provenance: "seed" for a line of the source report,
    "file" for a dataset or an imported workbook, "user" for what was typed."""
    rows = (
        models.Value.objects.exclude(value__isnull=True, printed="")
        .values_list(
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
        )
        .iterator(chunk_size=5000)
    )
    cols: dict[str, list[object]] = {c: [] for c in SCHEMA}
    for ind, org, year, measure, value, printed, source, ref, seed_line, conf, note in rows:
        cols["indicator"].append(ind)
        cols["orgunit"].append(org)
        cols["year"].append(year)
        cols["measure"].append(measure)
        cols["value"].append(value)
        cols["printed"].append(printed)
        if source == models.Source.LOAD:
            cols["source"].append("seed" if seed_line is not None else "file")
            cols["source_ref"].append(f"line {seed_line}" if seed_line is not None else ref)
        elif source == models.Source.IMPORT:
            cols["source"].append("file")
            cols["source_ref"].append(ref)
        else:
            cols["source"].append("user")
            cols["source_ref"].append(ref)
        cols["seed_line"].append(seed_line)
        cols["confidence"].append(conf)
        cols["note"].append(note)
    return pl.DataFrame(cols, schema=SCHEMA)


def dataset_from_db() -> Dataset:
    """The loaded plan with the database's current values."""
    plan = current_plan()
    parts = static_parts(plan)
    return Dataset(
        Path(plan.name),
        dict(plan.meta),
        parts.catalog,
        parts.tree,
        ValueTable(value_frame()),
        list(parts.claims),
        {},
        list(parts.rules),
    )
