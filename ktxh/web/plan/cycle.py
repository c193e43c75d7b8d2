"""The yearly cycle on the web: proposals for the empty "Ước TH cả năm" cells (shown
beside them in the grid, written only when a person accepts one) and an indicator's
values across the years (the dashboard's trend charts).

* ``GET /api/forecasts?orgunit=&form=&year=``: the proposals of a unit's empty
  estimate cells (:func:`ktxh.store.forecasts.suggestions`);
* ``POST /api/forecasts/accept`` ``{"cells": [{indicator, orgunit, year, value}]}``:
  :func:`ktxh.store.forecasts.accept_forecast` as the logged-in person, all or
  nothing; ``value`` is the proposal the person saw;
* ``GET /api/trends?indicator=&orgunit=``: the unit's plan, first half and final
  figure of every year, "so với cùng kỳ" and the year against the year before,
  across reorganisations (:func:`ktxh.domain.trends.trends`).

Each view parses the request, checks the permission and calls the store or the
domain; the answers are described in openapi.json like the rest of the API.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from ktxh.domain.catalog import RowKind
from ktxh.domain.dataset import Dataset
from ktxh.domain.orgunits import period_day
from ktxh.domain.trends import Point, trends
from ktxh.store import actions
from ktxh.store.actions import WriteRefused, value_record
from ktxh.store.forecasts import Acceptance, ForecastRefused, accept_forecast, suggestions
from ktxh.store.frames import current_plan, current_year, static_parts, value_frame
from ktxh.store.models import Form, Indicator, OrgUnit
from ktxh.store.permissions import Scope, require, scope_of
from ktxh.web.plan.api import (
    FORMS,
    MAX_WRITES,
    YEARS,
    ApiError,
    _body,
    _bounded,
    _int,
    _members,
    _text,
    endpoint,
    error,
    ok,
)
from ktxh.web.plan.shortcuts import acting_user, get_or_404

CELL_FIELDS = ("indicator", "orgunit", "year", "value")


@endpoint("GET")
def forecasts(request: HttpRequest) -> HttpResponse:
    """The proposals for a unit's empty estimate cells of a round (of one form)."""
    code = _text(request, "orgunit")
    if not code:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần «orgunit»")
    form = _int(request, "form", bounds=FORMS)
    org = get_or_404(OrgUnit, code=code)
    if form is not None and not Form.objects.filter(number=form).exists():
        raise Http404(f"Không có biểu số {form}")
    require(request.user, "view", org, form)
    year = _int(request, "year")
    year = current_year() if year is None else year
    if year not in actions.round_years():
        raise Http404(f"Không có kỳ báo cáo năm {year}")
    scope = scope_of(request.user)
    forms = {form} if form is not None else (set(scope.forms) if scope and scope.forms else None)
    made = suggestions(year, orgunits={org.code}, forms=forms)
    return ok(
        {
            "year": made.year,
            "orgunit": org.code,
            "form": form,
            "suggestions": [s.as_dict() for s in made.items],
            "entered": made.entered,
            "without_h1": made.without_h1,
            "summary": made.summary(),
        }
    )


def _cells(data: dict[str, Any]) -> list[Acceptance]:
    """The cells of an acceptance, each field of the type the schema says."""
    _members(data, ("cells",))
    raw = data.get("cells")
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần danh sách «cells» không rỗng")
    if len(raw) > MAX_WRITES:
        raise ApiError(400, "Yêu cầu không hợp lệ: tối đa 5.000 ô mỗi lần")
    out = []
    for n, c in enumerate(raw, start=1):
        where = f"ô thứ {n} của «cells»"
        if not isinstance(c, dict):
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where} phải là một đối tượng")
        _members(c, CELL_FIELDS, where)
        texts = {}
        for name in ("indicator", "orgunit"):
            value = c.get(name)
            if not isinstance(value, str) or not value or len(value) > actions.KEY_LENGTH:
                raise ApiError(
                    400, f"Yêu cầu không hợp lệ: {where}: cần «{name}» là chuỗi (tối đa 64 ký tự)"
                )
            texts[name] = value
        if "year" not in c:
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: thiếu «year»")
        number = c.get("value")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: «value» phải là số")
        out.append(
            Acceptance(
                texts["indicator"],
                texts["orgunit"],
                _bounded(c["year"], "year", YEARS),
                None if number is None else float(number),
            )
        )
    return out


@endpoint("POST")
def accept(request: HttpRequest) -> HttpResponse:
    """Accept proposals: their values written as the cells' estimates, audited as
    proposals this person accepted; all or nothing."""
    cells = _cells(_body(request))
    try:
        done = accept_forecast(acting_user(request), cells)
    except ForecastRefused as refused:
        return error(
            refused.status,
            refused.problems[0][1],
            problems=[{"status": s, "message": m} for s, m in refused.problems],
        )
    except WriteRefused as refused:
        return error(
            refused.status,
            refused.problems[0].message,
            problems=[p.as_dict() for p in refused.problems],
        )
    return ok(
        {
            "changed": done.written.changed,
            "values": [value_record(v) for v in done.written.values],
            "suggestions": [s.as_dict() for s in done.suggestions],
        }
    )


def point_record(p: Point) -> dict[str, Any]:
    return {
        "year": p.year,
        "plan": p.plan,
        "h1": p.h1,
        "full": p.full,
        "full_measure": p.full_measure or None,
        "mapped": p.mapped,
        "reasons": list(p.reasons),
        "h1_change": {
            "ratio": p.h1_change.ratio,
            "shown": p.h1_change.shown,
            "reason": p.h1_change.reason,
        },
        "full_change": {
            "ratio": p.full_change.ratio,
            "shown": p.full_change.shown,
            "reason": p.full_change.reason,
        },
    }


def trend_record(indicator: str, orgunit: str) -> dict[str, Any]:
    """An indicator's series for a unit, as the API and the dashboard give it."""
    plan = current_plan()
    parts = static_parts(plan)
    catalog, tree = parts.catalog, parts.tree
    ind = catalog[indicator]
    points: list[Point] = []
    if ind.kind is RowKind.INDICATOR:
        codes = {indicator, *ind.basis}
        frame = value_frame(indicators=codes)
        points = trends(frame, catalog, tree, [indicator], orgunit)[indicator]
        points = [p for p in points if p.plan is not None or p.h1 is not None or p.full is not None]
    unit = tree[orgunit]
    return {
        "indicator": ind.code,
        "name": ind.name,
        "unit": ind.unit,
        "decimals": ind.decimals,
        "direction": ind.direction.value,
        "comparable": ind.comparable,
        "orgunit": unit.code,
        "orgunit_name": unit.full_name,
        "points": [point_record(p) for p in points],
    }


def trend_choices(ds: Dataset, scope: Scope) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """What the dashboard's trend chart offers: the indicators of the forms the person
    sees (Biểu 1 first), and the city with the units below it in the round."""
    forms = sorted(
        (f for f in ds.catalog.forms.values() if scope.forms is None or f.number in scope.forms),
        key=lambda f: f.number,
    )
    indicators = [
        {"code": ind.code, "label": f"{ind.label} ({ind.unit})", "form": form.label}
        for form in forms
        for ind in ds.catalog.in_form(form.number)
        if ind.kind is RowKind.INDICATOR
    ]
    top = ds.tree[ds.top_orgunit]
    below = ds.tree.children(top.code, on=period_day(ds.reference_year, "h1"))
    units = [{"code": u.code, "name": u.full_name} for u in [top, *below]]
    return indicators, units


@endpoint("GET")
def trends_view(request: HttpRequest) -> HttpResponse:
    """An indicator of a unit (the top unit by default) across the years."""
    code = _text(request, "indicator")
    if not code:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần «indicator»")
    ind = get_or_404(Indicator, code=code)
    org_code = _text(request, "orgunit") or current_plan().top_orgunit
    org = get_or_404(OrgUnit, code=org_code)
    require(request.user, "view", org, ind.form_id)
    return ok(trend_record(ind.code, org.code))
