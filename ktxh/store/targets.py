"""Targets in the store: the documents that set them, the targets each set, and the
structure of the targets typed into plan cells (after :mod:`ktxh.store.actions`).

State changes, one function each, taking the acting user, checking the permission
and the locks, in one transaction, with an audit row (:class:`TargetEvent`):

* :func:`record_document` records a document (or corrects one): a resolution, a
  decision, an assignment from the level above, possibly amending an earlier one;
* :func:`set_target` records the target a document set for one plan cell and, when
  that document's target is the one in force, writes it into the cell
  (:func:`ktxh.store.actions.write_values`, so the value's own audit trail, locks
  and versions apply);
* :func:`remove_target` removes a document's target from a cell (a correction).

Typing a target into a plan cell ("6,5-7", "trên 90") goes through
``write_values`` like any value: :func:`typed_target` reads the text
(:func:`ktxh.domain.targets.parse_target`) into the value's number (the target's
representative: what must be reached) and its printed text (as written), and
:func:`sync_typed` keeps the structure of the cell's target beside it (a
:class:`Target` row without a document) in the same transaction.

Reading: :func:`book_from_store` (every document and target, for the domain),
:func:`form_ratings` (one unit's form rated against its targets, for the grid, the
API and the command line), :func:`rating_day` (the day whose targets rate a
round: its report's date, else today).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ktxh.domain.catalog import Direction
from ktxh.domain.numbers import NumberError, format_number
from ktxh.domain.targets import (
    ACCEPTED,
    DOCUMENT_KIND_LABELS,
    TARGET_MEASURES,
    CellRating,
    DocumentKind,
    TargetBook,
    TargetError,
    TargetRecord,
    is_number_like,
    is_target_text,
    looks_like_target,
    parse_target,
    rate_cell,
    rating_dict,
    target_columns,
)
from ktxh.domain.targets import Document as DomainDocument
from ktxh.domain.targets import Target as DomainTarget
from ktxh.store import models
from ktxh.store.frames import current_plan, static_parts
from ktxh.store.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ktxh.store.actions import CellWrite
    from ktxh.store.lookup import IndicatorInfo

Key = tuple[str, str, int, str]
CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
TEXT_LENGTH = 200


class TargetRefused(ValueError):
    """A change of the targets' book that cannot be made; the message is Vietnamese.
    ``status``: the HTTP status the API answers with (422 invalid, 404 unknown, 423
    locked)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


# --- typing a target into a plan cell (called by actions.write_values) ----------------------


def typed_target(w: CellWrite, ind: IndicatorInfo, error: NumberError) -> tuple[float, str]:
    """(value, printed) of a text that is not a plain number: a target when the cell is
    a plan cell ("6,5-7" keeps 6,5 and "6,5-7" when higher is better); otherwise, or
    when the text reads as no target, :class:`ktxh.store.actions.InvalidInput` with
    the reason (the number's, or what a target may look like)."""
    from ktxh.store.actions import InvalidInput, check_number

    text = w.text or ""
    if not (is_target_text(text) and looks_like_target(text)):
        # "4.70", "1e308", "abc": the number's own reason (and, for a plan cell holding
        # words, what a target may look like)
        plan = w.measure in TARGET_MEASURES and not is_number_like(text)
        hint = f"; ô kế hoạch cũng nhận chỉ tiêu như văn bản viết: {ACCEPTED}" if plan else ""
        raise InvalidInput(str(error) + hint)
    try:
        target = parse_target(text)
    except TargetError as exc:
        if w.measure not in TARGET_MEASURES:
            raise InvalidInput(str(error)) from None
        raise InvalidInput(str(exc)) from None
    if target is None:  # not reached: "" and "-" are numbers' business
        raise InvalidInput(str(error))
    if w.measure not in TARGET_MEASURES:
        raise InvalidInput(
            f"«{target.text}» là chỉ tiêu dạng {target.describe()}: chỉ ô kế hoạch nhận khoảng, "
            "cận trên, cận dưới; ô này cần một số (1.234,5)"
        )
    if target.suffix and ind.unit and target.suffix != ind.unit:
        raise InvalidInput(
            f"«{target.text}» có ký hiệu «{target.suffix}» nhưng chỉ tiêu tính bằng «{ind.unit}»"
        )
    number = target.representative(Direction(ind.direction or "up"))
    reason = check_number(number)
    if reason:
        raise InvalidInput(f"«{target.text}»: {reason}")
    return float(number), target.text


def sync_typed(values: Iterable[models.Value]) -> None:
    """Keep the structure of each written plan cell's target beside it: a row without a
    document when the cell's text is a target ("6,5-7"), none when it is a number."""
    plans = [v for v in values if v.measure in TARGET_MEASURES]
    if not plans:
        return
    wanted: dict[Key, DomainTarget] = {}
    for v in plans:
        if is_target_text(v.printed):
            target = parse_target(v.printed)
            if target is not None:
                wanted[(v.indicator_id, v.orgunit_id, v.year, v.measure)] = target
    existing = {
        (t.indicator_id, t.orgunit_id, t.year, t.measure): t
        for t in models.Target.objects.filter(
            document__isnull=True,
            orgunit_id__in={v.orgunit_id for v in plans},
            year__in={v.year for v in plans},
        )
    }
    keys = {(v.indicator_id, v.orgunit_id, v.year, v.measure) for v in plans}
    stale = [t.pk for k, t in existing.items() if k in keys and k not in wanted]
    if stale:
        models.Target.objects.filter(pk__in=stale).delete()
    now = timezone.now()
    for key, target in wanted.items():
        row = existing.get(key)
        cols = _columns(target)
        if row is not None and all(getattr(row, k) == val for k, val in cols.items()):
            continue
        if row is None:
            row = models.Target(indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3])
        for k, val in cols.items():
            setattr(row, k, val)
        row.recorded_at = now
        row.save()


def _columns(target: DomainTarget) -> dict[str, Any]:
    cols = target_columns(target)
    return {
        "text": target.shown(),
        "kind": cols["kind"],
        "low": cols["low"],
        "high": cols["high"],
        "low_strict": target.low_strict,
        "high_strict": target.high_strict,
    }


# --- reading -----------------------------------------------------------------------------


def domain_document(d: models.Document) -> DomainDocument:
    return DomainDocument(
        d.code,
        DocumentKind(d.kind),
        d.number,
        d.day,
        d.issuer,
        d.level,
        d.title,
        d.amends_id or "",
        d.note,
    )


def domain_record(t: models.Target) -> TargetRecord:
    target = parse_target(t.text)
    assert target is not None
    return TargetRecord(
        t.indicator_id,
        t.orgunit_id,
        t.year,
        t.measure,
        target,
        t.document_id or "",
        t.recorded_at,
        t.recorded_by,
        t.note,
    )


def book_from_store(
    orgunits: Iterable[str] | None = None, years: Iterable[int] | None = None
) -> TargetBook:
    """The store's documents and targets (of some units and years only, if given)."""
    docs = {d.code: domain_document(d) for d in models.Document.objects.all()}
    rows = models.Target.objects.all()
    if orgunits is not None:
        rows = rows.filter(orgunit_id__in=list(orgunits))
    if years is not None:
        rows = rows.filter(year__in=list(years))
    return TargetBook(docs, [domain_record(t) for t in rows])


def rating_day(year: int) -> date:
    """The day whose targets rate round ``year``: the date of its report when it has
    one (what was in force when it was written), else today."""
    found = models.Round.objects.filter(year=year).values_list("report_date", flat=True).first()
    return found or timezone.localdate()


@dataclass(frozen=True, slots=True)
class _Cell:
    value: float | None = None
    printed: str = ""


class _Cells(dict[Key, _Cell]):
    def __missing__(self, key: Key) -> _Cell:
        return _Cell()


def form_ratings(form: int, orgunit: str, year: int, on: date | None = None) -> list[CellRating]:
    """Every indicator row of one unit's form for ``year``: its target in force on
    ``on`` (:func:`rating_day` by default) and its results rated against it."""
    parts = static_parts(current_plan())
    catalog = parts.catalog
    indicators = [i for i in catalog.in_form(form) if i.kind.value == "indicator"]
    cells = _Cells()
    for ind, measure, value, printed in models.Value.objects.filter(
        orgunit_id=orgunit, year=year, indicator__form_id=form
    ).values_list("indicator_id", "measure", "value", "printed"):
        cells[(ind, orgunit, year, measure)] = _Cell(value, printed)
    book = book_from_store([orgunit], [year])
    day = rating_day(year) if on is None else on
    return [rate_cell(ind, orgunit, year, cells, book, day) for ind in indicators]


rating_record = rating_dict
"""A row's target and ratings as the API and the grid give them."""


# --- changes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """A document as a person or a file gives it (every field text, the date ISO)."""

    code: str
    kind: str
    number: str = ""
    day: str = ""
    issuer: str = ""
    level: str = ""
    title: str = ""
    amends: str = ""
    note: str = ""


def _text(value: str, field: str, limit: int = TEXT_LENGTH, *, multiline: bool = False) -> str:
    from ktxh.store.actions import InvalidInput
    from ktxh.store.actions import clean_text as store_text

    try:
        return store_text(value, field, limit, multiline=multiline).strip()
    except InvalidInput as exc:
        raise TargetRefused(str(exc)) from None


def _top_planner(actor: User) -> models.OrgUnit:
    """Documents are the city's to record: its planners only."""
    plan = current_plan()
    top = models.OrgUnit.objects.get(code=plan.top_orgunit)
    require(actor, "review", top)
    return top


def _event(
    actor: User,
    action: str,
    *,
    document: str = "",
    key: Key | None = None,
    old: str = "",
    new: str = "",
    source: str = "",
) -> None:
    models.TargetEvent.objects.create(
        at=timezone.now(),
        username=actor.get_username(),
        action=action,
        document=document,
        indicator=key[0] if key else "",
        orgunit=key[1] if key else "",
        year=key[2] if key else None,
        measure=key[3] if key else "",
        old=old,
        new=new,
        source=source,
    )


def _document_fields(d: models.Document) -> str:
    return json.dumps(
        {
            "kind": d.kind,
            "number": d.number,
            "date": d.day.isoformat(),
            "issuer": d.issuer,
            "level": d.level,
            "title": d.title,
            "amends": d.amends_id or "",
            "note": d.note,
        },
        ensure_ascii=False,
    )


def record_document(
    actor: User, given: DocumentInput, *, source: str = models.Source.WEB
) -> models.Document:
    """Record a document that sets targets, or correct one already recorded (same
    code); :class:`TargetRefused` names what is wrong. A city planner's act."""
    import re

    _top_planner(actor)
    code = _text(given.code, "mã văn bản", 64)
    if not re.match(CODE, code):
        raise TargetRefused(
            f"mã văn bản «{code}» không hợp lệ: chữ cái không dấu, chữ số, «.», «-», «_» "
            "(ví dụ nq-12-2023)"
        )
    try:
        kind = DocumentKind(given.kind)
    except ValueError:
        allowed = "; ".join(f"{k.value} ({DOCUMENT_KIND_LABELS[k]})" for k in DocumentKind)
        raise TargetRefused(f"loại văn bản «{given.kind}» không có; các loại: {allowed}") from None
    try:
        day = date.fromisoformat(given.day)
    except ValueError:
        raise TargetRefused(
            f"ngày ban hành «{given.day}» không đúng dạng YYYY-MM-DD (ví dụ 2023-12-10)"
        ) from None
    fields = {
        "number": _text(given.number, "số, ký hiệu", 100),
        "issuer": _text(given.issuer, "cơ quan ban hành", 300),
        "level": _text(given.level, "cấp", 100),
        "title": _text(given.title, "trích yếu", 2000, multiline=True),
        "note": _text(given.note, "ghi chú", 2000, multiline=True),
    }
    amends = _text(given.amends, "văn bản được sửa đổi", 64)
    with transaction.atomic():
        existing = models.Document.objects.select_for_update().filter(code=code).first()
        earlier = None
        if amends:
            earlier = models.Document.objects.filter(code=amends).first()
            if earlier is None:
                raise TargetRefused(f"văn bản được sửa đổi «{amends}» chưa có trong kho")
            if amends == code:
                raise TargetRefused("một văn bản không sửa đổi chính nó")
            if earlier.day > day:
                raise TargetRefused(
                    f"văn bản {code} ({day:%d/%m/%Y}) không thể sửa đổi văn bản {amends} ban "
                    f"hành sau nó ({earlier.day:%d/%m/%Y})"
                )
            line: models.Document | None = earlier
            seen = {code}
            while line is not None:
                if line.code in seen:
                    raise TargetRefused(f"văn bản {code} và {amends} sửa đổi lẫn nhau")
                seen.add(line.code)
                line = line.amends
        old = _document_fields(existing) if existing is not None else ""
        doc = existing or models.Document(code=code)
        doc.kind, doc.day, doc.amends = kind.value, day, earlier
        for k, v in fields.items():
            setattr(doc, k, v)
        if existing is None:
            doc.recorded_at, doc.recorded_by = timezone.now(), actor.get_username()
        new = _document_fields(doc)
        if new != old:
            doc.save()
            _event(actor, "document", document=code, old=old, new=new, source=source)
    return doc


@dataclass(frozen=True, slots=True)
class TargetSet:
    """What :func:`set_target` did."""

    target: models.Target
    changed: bool  # the document's target for the cell changed
    value_written: bool  # the plan cell was written with the target in force


def _cell(actor: User, key: Key) -> tuple[models.Indicator, models.OrgUnit]:
    from ktxh.store.actions import in_rounds, lock_message, lock_of, locks_for, round_years

    indicator, orgunit, year, measure = key
    ind = models.Indicator.objects.filter(code=indicator).first()
    org = models.OrgUnit.objects.filter(code=orgunit).first()
    if ind is None:
        raise TargetRefused(f"Không có chỉ tiêu «{indicator}»", 404)
    if org is None:
        raise TargetRefused(f"Không có đơn vị «{orgunit}»", 404)
    require(actor, "review", org, ind.form_id)
    where = f"{ind.code} ({ind.name}), {org.full_name}"
    if measure not in TARGET_MEASURES:
        raise TargetRefused(f"{where}: chỉ tiêu của văn bản chỉ đặt cho ô kế hoạch")
    if ind.is_group:
        raise TargetRefused(f"{where}: dòng tiêu đề không có chỉ tiêu")
    top = current_plan().top_orgunit
    breakdown = models.Form.objects.get(number=ind.form_id).has_unit_breakdown
    if org.code != top and (not breakdown or ind.row.get("consolidation") == "city_only"):
        raise TargetRefused(f"{where}: chỉ tiêu chỉ có số liệu của cấp thành phố")
    rounds = round_years()
    if not in_rounds(year, measure, rounds):
        raise TargetRefused(f"{where}: kế hoạch năm {year} không thuộc kỳ báo cáo nào của kho")
    lock = lock_of(
        locks_for([(org.code, ind.form_id, year, measure)]), org.code, ind.form_id, year, measure
    )
    if lock is not None:
        raise TargetRefused(f"{where}: {lock_message(lock)}", 423)
    return ind, org


def set_target(
    actor: User,
    key: Key,
    text: str,
    document: str,
    *,
    note: str = "",
    write_value: bool = True,
    source: models.Source = models.Source.WEB,
) -> TargetSet:
    """Record that ``document`` set the target ``text`` ("6,5-7%", "trên 90") for the
    plan cell ``key``. When the document's line is the one in force today and the
    cell does not show its target, the cell is written with it (``write_value``).
    A city planner's act; refused with the reason (:class:`TargetRefused`, or
    :class:`ktxh.store.actions.WriteRefused` from writing the cell)."""
    ind, org = _cell(actor, key)
    written = _text(text, "chỉ tiêu", TEXT_LENGTH)
    try:
        target = parse_target(written)
    except TargetError as exc:
        raise TargetRefused(str(exc)) from None
    if target is None:
        raise TargetRefused("chỉ tiêu trống: ghi chỉ tiêu như văn bản viết (6,5-7%, trên 90)")
    doc = models.Document.objects.filter(code=document).first()
    if doc is None:
        raise TargetRefused(f"văn bản «{document}» chưa có trong kho: ghi văn bản trước", 404)
    unit = ind.unit
    if target.suffix and unit and target.suffix != unit:
        raise TargetRefused(
            f"«{target.text}» có ký hiệu «{target.suffix}» nhưng chỉ tiêu tính bằng «{unit}»"
        )
    note = _text(note, "ghi chú", 2000, multiline=True)
    who = actor.get_username()
    with transaction.atomic():
        row = (
            models.Target.objects.select_for_update()
            .filter(
                indicator=ind,
                orgunit=org,
                year=key[2],
                measure=key[3],
                document=doc,
            )
            .first()
        )
        old = row.text if row is not None else ""
        cols = _columns(target)
        changed = row is None or any(getattr(row, k) != v for k, v in cols.items())
        if row is None:
            row = models.Target(
                indicator=ind, orgunit=org, year=key[2], measure=key[3], document=doc
            )
        if changed or row.note != note:
            for k, v in cols.items():
                setattr(row, k, v)
            row.note = note
            row.recorded_at, row.recorded_by = timezone.now(), who
            row.save()
        if changed:
            _event(
                actor, "set", document=doc.code, key=key, old=old, new=target.text, source=source
            )
        value_written = write_value and _write_in_force(actor, key, source)
    return TargetSet(row, changed, value_written)


def _write_in_force(actor: User, key: Key, source: models.Source) -> bool:
    """Write the document target in force today into the plan cell, if it differs."""
    from ktxh.domain.targets import target_of_cell
    from ktxh.store.actions import CellWrite, write_values

    value = models.Value.objects.filter(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    ).first()
    own = target_of_cell(value.value, value.printed) if value else None
    book = TargetBook(
        {d.code: domain_document(d) for d in models.Document.objects.all()},
        [
            domain_record(t)
            for t in models.Target.objects.filter(
                indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
            )
        ],
    )
    got = book.resolve(key, own, timezone.localdate())
    if got.source is None or got.source.document is None or got.target is None:
        return False
    if own is not None and own.same(got.target):
        return False
    text = got.target.shown()
    if not is_target_text(text):  # a plain number, written the Vietnamese way
        text = format_number(got.target.number, got.target.decimals)
    write_values(
        actor,
        [CellWrite(*key, version=value.version if value else 0, text=text)],
        source=source,
        source_ref=f"văn bản {got.source.document.short}",
    )
    return True


def remove_target(
    actor: User, key: Key, document: str, *, source: models.Source = models.Source.WEB
) -> bool:
    """Remove the target ``document`` set for the cell (a correction: the document
    stays); the cell is then written with the target in force, if another document
    sets one. False when there was none."""
    ind, org = _cell(actor, key)
    with transaction.atomic():
        row = (
            models.Target.objects.select_for_update()
            .filter(indicator=ind, orgunit=org, year=key[2], measure=key[3], document_id=document)
            .first()
        )
        if row is None:
            return False
        old = row.text
        row.delete()
        _event(actor, "remove", document=document, key=key, old=old, source=source)
        _write_in_force(actor, key, source)
    return True


def documents_with_targets() -> list[tuple[models.Document, int]]:
    """Every document and how many cells it sets a target for."""
    from django.db.models import Count

    return [
        (d, d.n)
        for d in models.Document.objects.annotate(n=Count("targets")).order_by("day", "code")
    ]


def conflicts(year: int, on: date | None = None) -> list[tuple[Key, CellRating]]:
    """The cells of ``year`` whose targets in force disagree (the province's
    assignment and the council's resolution, or a document and the plan cell)."""
    book = book_from_store(years=[year])
    parts = static_parts(current_plan())
    keys = sorted(book.documented())
    out = []
    day = rating_day(year) if on is None else on
    for key in keys:
        if key[2] != year:
            continue
        cells = _Cells()
        for measure, value, printed in models.Value.objects.filter(
            indicator_id=key[0], orgunit_id=key[1], year=year
        ).values_list("measure", "value", "printed"):
            cells[(key[0], key[1], year, measure)] = _Cell(value, printed)
        rated = rate_cell(parts.catalog[key[0]], key[1], year, cells, book, day)
        if rated.resolved.conflicts:
            out.append((key, rated))
    return out
