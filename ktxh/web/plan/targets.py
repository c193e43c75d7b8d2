"""Targets on the web: the ratings of a form (for the grid, the dashboard and the API),
the documents that set targets, and a document's target for a cell.

Each view parses the request, checks the permission and calls
:mod:`ktxh.store.targets` (reading, or one action); the API's answers are described
in openapi.json like the rest of it (:mod:`ktxh.web.plan.api`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from ktxh.domain.catalog import RowKind
from ktxh.domain.compare import Rating
from ktxh.domain.dataset import Dataset
from ktxh.domain.targets import (
    DOCUMENT_KIND_LABELS,
    Assessment,
    CellRating,
    Cells,
    DocumentKind,
    Tally,
    rate_cell,
    sections,
    tally,
)
from ktxh.store import targets as store
from ktxh.store.actions import WriteRefused
from ktxh.store.frames import current_plan, current_year, static_parts
from ktxh.store.models import Document, Form, Indicator, OrgUnit, Source
from ktxh.store.permissions import require, scope_of
from ktxh.web.plan.api import (
    FORMS,
    ApiError,
    _body,
    _bounded,
    _int,
    _members,
    _query,
    _text,
    endpoint,
    error,
    ok,
)
from ktxh.web.plan.shortcuts import acting_user, get_or_404

# the colours of a rating (the dashboard's and the grid's badges)
TONES = {Rating.EXCEEDED: "good", Rating.MET: "good", Rating.MISSED: "bad"}


def tone(assessment: Assessment) -> str:
    """The colour of a rating: green reached or passed, red missed, none unrated."""
    return "none" if assessment.rating is None else TONES[assessment.rating]


def _day(request: HttpRequest) -> date | None:
    raw = _query(request, "on")
    if raw is None or raw == "":
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            400, f"Yêu cầu không hợp lệ: «on» phải là ngày dạng YYYY-MM-DD, không phải «{raw[:20]}»"
        ) from None


def tally_dict(t: Tally) -> dict[str, Any]:
    return {
        "label": t.label,
        "exceeded": t.exceeded,
        "met": t.met,
        "missed": t.missed,
        "not_rated": t.not_rated,
        "rated": t.rated,
        "reached": t.reached,
        "sentence": t.sentence(),
    }


def form_tallies(form: int, rows: list[CellRating]) -> tuple[Tally, list[Tally]]:
    """Overall and per section (the form's headings): how many rows reached their
    targets, by each row's rating of the year (the actual where there is one, else
    the estimate)."""
    by_code = {r.indicator.code: r for r in rows}
    catalog = static_parts(current_plan()).catalog
    parts = [
        tally(name, [by_code[i.code].main for i in inds if i.code in by_code])
        for name, inds in sections(catalog, form)
    ]
    return tally("", [r.main for r in rows]), [p for p in parts if p.label]


@endpoint("GET")
def ratings(request: HttpRequest) -> HttpResponse:
    """``/api/ratings?orgunit=&form=&year=&on=``: each indicator row of a unit's form, its
    target in force (as written, where it comes from, the others, its history, the
    conflicts) and its first half, estimate and actual rated against it, with the
    tally per section and overall."""
    code = _text(request, "orgunit")
    form = _int(request, "form", bounds=FORMS)
    if not code or form is None:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần «orgunit» và «form»")
    org = get_or_404(OrgUnit, code=code)
    form_obj = get_or_404(Form, number=form)
    require(request.user, "view", org, form_obj.number)
    year = _int(request, "year")
    year = current_year() if year is None else year
    on = _day(request)
    day = store.rating_day(year) if on is None else on
    rows = store.form_ratings(form_obj.number, org.code, year, day)
    overall, parts = form_tallies(form_obj.number, rows)
    return ok(
        {
            "orgunit": org.code,
            "form": form_obj.number,
            "year": year,
            "on": day.isoformat(),
            "rows": [store.rating_record(r) for r in rows],
            "tally": {"overall": tally_dict(overall), "sections": [tally_dict(t) for t in parts]},
        }
    )


def document_record(d: Document, count: int | None = None) -> dict[str, Any]:
    return {
        "code": d.code,
        "kind": d.kind,
        "kind_label": DOCUMENT_KIND_LABELS[DocumentKind(d.kind)],
        "number": d.number,
        "date": d.day.isoformat(),
        "issuer": d.issuer,
        "level": d.level,
        "title": d.title,
        "amends": d.amends_id,
        "note": d.note,
        "recorded_at": d.recorded_at.isoformat() if d.recorded_at else None,
        "recorded_by": d.recorded_by or None,
        "targets": count if count is not None else d.targets.count(),
    }


DOCUMENT_FIELDS = ("code", "kind", "number", "date", "issuer", "level", "title", "amends", "note")
TARGET_FIELDS = ("indicator", "orgunit", "year", "text", "document", "note")


def _strings(
    data: dict[str, Any], names: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, str]:
    out = {}
    for name in names:
        value = data.get(name, "")
        if name in required and name not in data:
            raise ApiError(400, f"Yêu cầu không hợp lệ: thiếu «{name}»")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» phải là chuỗi")
        out[name] = value
    return out


@endpoint("GET", "POST")
def documents(request: HttpRequest) -> HttpResponse:
    """GET: the documents that set targets (each with how many cells it sets); POST:
    record one, or correct one already recorded (the city planner)."""
    if request.method == "GET":
        return ok({"documents": [document_record(d, n) for d, n in store.documents_with_targets()]})
    data = _body(request)
    _members(data, DOCUMENT_FIELDS)
    given = _strings(data, DOCUMENT_FIELDS, ("code", "kind", "date"))
    try:
        doc = store.record_document(
            acting_user(request),
            store.DocumentInput(
                given["code"],
                given["kind"],
                given["number"],
                given["date"],
                given["issuer"],
                given["level"],
                given["title"],
                given["amends"],
                given["note"],
            ),
            source=Source.API,
        )
    except store.TargetRefused as exc:
        return error(exc.status, str(exc))
    return ok(document_record(doc))


@endpoint("POST")
def set_target(request: HttpRequest) -> HttpResponse:
    """``{indicator, orgunit, year, text, document, note}``: the target a document set
    for a plan cell (the city planner); the cell is written with it when that
    document's target is the one in force. Answers the cell's rating."""
    data = _body(request)
    _members(data, TARGET_FIELDS)
    if "year" not in data:
        raise ApiError(400, "Yêu cầu không hợp lệ: thiếu «year»")
    year = _bounded(data["year"], "year", (1, 9999))
    given = _strings(data, tuple(f for f in TARGET_FIELDS if f != "year"), TARGET_FIELDS[:5])
    if scope_of(request.user) is None:
        raise PermissionDenied("Cần đăng nhập")
    key = (given["indicator"], given["orgunit"], year, "plan")
    try:
        done = store.set_target(
            acting_user(request),
            key,
            given["text"],
            given["document"],
            note=given["note"],
            source=Source.API,
        )
    except store.TargetRefused as exc:
        return error(exc.status, str(exc))
    except WriteRefused as refused:
        return error(
            refused.status,
            refused.problems[0].message,
            problems=[p.as_dict() for p in refused.problems],
        )
    ind = Indicator.objects.get(code=key[0])
    rated = next(
        r for r in store.form_ratings(ind.form_id, key[1], year) if r.indicator.code == key[0]
    )
    return ok(
        {
            "changed": done.changed,
            "value_written": done.value_written,
            "rating": store.rating_record(rated),
        }
    )


def dashboard_ratings(
    ds: Dataset, cells: Cells, form: int, orgunit: str, year: int
) -> tuple[dict[str, CellRating], list[Tally]]:
    """Each indicator row of a form for one unit rated against the targets in force on
    the round's day (``cells``: the values with the consolidated totals), and the tally
    overall (first) and per section."""
    day = store.rating_day(year)
    rated = {
        ind.code: rate_cell(ind, orgunit, year, cells, ds.targets, day)
        for ind in ds.catalog.in_form(form)
        if ind.kind is RowKind.INDICATOR
    }
    parts = [
        tally(name, [rated[i.code].main for i in inds])
        for name, inds in sections(ds.catalog, form)
        if name
    ]
    return rated, [tally("", [r.main for r in rated.values()]), *parts]
