"""Every change of the store's state, one function each (after Zulip's actions).

Each function takes the acting user, checks the permission, runs in one
transaction and writes the audit record; the web's views, the API and the
command line only parse what they were given, call one of these and show what
comes back.

:func:`write_values` is the only way a value changes. It is all-or-nothing
(a batch is written whole or not at all) and refuses, cell by cell with a
Vietnamese reason, what it cannot write: a cell outside the user's scope, a
heading row, a year outside the store's reporting rounds, a number that is not
one ("4.70") or that the store cannot keep (not finite, too large, too many
digits: :func:`check_number`), text with control characters or too long
(:func:`clean_text`), a cell locked by the workflow, and a cell changed since
the writer read it (optimistic concurrency: each write names the version it
saw; 0 for an empty cell). The
Excel import (:mod:`ktxh.store.imports`, from the web or the command line)
calls it with ``source=Source.IMPORT`` and each cell's ``source_ref``
("phu-luc.xlsx!Biểu 2!F12").
"""

from __future__ import annotations

import fcntl
import math
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ktxh.domain.importing import Lock
from ktxh.domain.numbers import NumberError, format_number, parse_number
from ktxh.domain.orgunits import period_day
from ktxh.domain.targets import TARGET_MEASURES, is_target_text
from ktxh.store.lookup import IndicatorInfo, lookup
from ktxh.store.models import (
    ENTERABLE_MEASURES,
    LOCKING_STATUSES,
    Form,
    OrgUnit,
    Plan,
    Round,
    RoundStatus,
    Source,
    Status,
    Submission,
    SubmissionEvent,
    Target,
    Value,
    ValueChange,
)
from ktxh.store.permissions import require, scope_of
from ktxh.store.sql import KEYS_PER_QUERY, db_datetime, hot_cursor, where_keys

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Key = tuple[str, str, int, str]
VALUE_TABLE = Value._meta.db_table
CHANGE_TABLE = ValueChange._meta.db_table
SUBMISSION_TABLE = Submission._meta.db_table
CHANGE_COLUMNS = (
    "value_id, indicator_id, orgunit_id, year, measure, old_value, old_printed, new_value, "
    "new_printed, version, username, at, source, source_ref, batch"
)
VALUE_COLUMNS = (
    "indicator_id, orgunit_id, year, measure, value, printed, source, source_ref, seed_line, "
    "confidence, note, version, updated_at, updated_by"
)
UPDATE_VALUE = (
    f"UPDATE {VALUE_TABLE} SET value = %s, printed = %s, source = %s, source_ref = %s, "
    "version = version + 1, updated_at = %s, updated_by = %s WHERE id = %s AND version = %s"
)


def _one_cell_sql(new_cell: bool, typed: bool) -> str:
    """The save of one cell on PostgreSQL as one statement (:func:`_write_one`).

    ``lk``: the submissions of the cell's own rounds that lock it (submitted or
    approved), held until the statement ends as :func:`locks_for` holds them; ``cl``:
    those rounds when closed. ``w`` writes the cell only when neither is found and (an
    existing cell, ``new_cell`` false) its version is the one the writer saw and its
    content changes; ``a`` is the audit record of what ``w`` wrote, with the content
    it replaced; ``t`` (``typed``: a plan cell) drops the structure of a target the
    cell held before. The row it answers: the locks found, the id and new version of
    the cell written (null when nothing was), and the cell as it was."""
    free = "NOT EXISTS (SELECT 1 FROM lk) AND NOT EXISTS (SELECT 1 FROM cl)"
    marks = ", ".join(["%s"] * 14)
    head = (
        f"WITH lk AS MATERIALIZED (SELECT 1 FROM {SUBMISSION_TABLE} WHERE status IN (%s, %s) "
        "AND orgunit_id = %s AND form_id = %s AND year IN (%s, %s) FOR UPDATE), "
        f"cl AS MATERIALIZED (SELECT 1 FROM {ROUND_TABLE} WHERE status = %s AND year IN (%s, %s)), "
    )
    if new_cell:
        write = (
            f"w AS (INSERT INTO {VALUE_TABLE} ({VALUE_COLUMNS}) SELECT {marks} WHERE {free} "
            "ON CONFLICT DO NOTHING RETURNING id, version, CAST(NULL AS double precision) AS "
            "old_value, '' AS old_printed), "
        )
        old = "SELECT NULL AS id, NULL AS value, NULL AS printed, NULL AS version, NULL AS source, "
        old += "NULL AS source_ref, NULL AS updated_at, NULL AS updated_by"
    else:
        old = (
            "SELECT id, value, printed, version, source, source_ref, updated_at, updated_by "
            f"FROM {VALUE_TABLE} WHERE indicator_id = %s AND orgunit_id = %s AND year = %s "
            "AND measure = %s"
        )
        write = (
            f"w AS (UPDATE {VALUE_TABLE} v SET value = %s, printed = %s, source = %s, "
            "source_ref = %s, version = v.version + 1, updated_at = %s, updated_by = %s FROM old "
            "WHERE v.id = old.id AND old.version = %s AND v.version = %s AND (old.value IS "
            f"DISTINCT FROM CAST(%s AS double precision) OR old.printed <> %s) AND {free} "
            "RETURNING v.id, v.version, old.value AS old_value, old.printed AS old_printed), "
        )
    audit = (
        f"a AS (INSERT INTO {CHANGE_TABLE} ({CHANGE_COLUMNS}) SELECT w.id, %s, %s, %s, %s, "
        "w.old_value, w.old_printed, %s, %s, w.version, %s, %s, %s, %s, %s FROM w)"
    )
    target = (
        f", t AS (DELETE FROM {TARGET_TABLE} WHERE document_id IS NULL AND indicator_id = %s "
        "AND orgunit_id = %s AND year = %s AND measure = %s AND EXISTS (SELECT 1 FROM w))"
        if typed
        else ""
    )
    return (
        f"{head}old AS MATERIALIZED ({old}), {write}{audit}{target} "
        "SELECT (SELECT count(*) FROM lk) + (SELECT count(*) FROM cl), w.id, w.version, old.id, "
        "old.value, old.printed, old.version, old.source, old.source_ref, old.updated_at, "
        "old.updated_by FROM (SELECT 1) one LEFT JOIN old ON TRUE LEFT JOIN w ON TRUE"
    )


ROUND_TABLE = Round._meta.db_table
TARGET_TABLE = Target._meta.db_table
WRITE_ONE = {(n, t): _one_cell_sql(n, t) for n in (False, True) for t in (False, True)}


# --- what the store accepts ------------------------------------------------------------

MAX_MAGNITUDE = Decimal(10) ** 15  # |value| below a thousand trillion
MAX_SIGNIFICANT = 15  # digits a stored number (a double) keeps exactly
MAX_DECIMALS = 9
PRINTED_LENGTH: int = Value._meta.get_field("printed").max_length or 60
SOURCE_REF_LENGTH: int = Value._meta.get_field("source_ref").max_length or 300
KEY_LENGTH = 64  # an indicator's or an org unit's code
COMMENT_LENGTH = 2000  # a submitter's note, a reviewer's opinion
LINE_BREAKS = frozenset("\t\n\r")
SUSPECT_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Every character of the categories refused below (control: Cc; surrogate: Cs) and
the line breaks: text without any needs no closer look."""


class InvalidInput(ValueError):
    """A value refused at the boundary; the message (Vietnamese) names the field."""


def text_problem(text: str, max_length: int, *, multiline: bool = False) -> str | None:
    """Why ``text`` cannot be stored (Vietnamese), or None. Control characters are
    refused (a NUL cannot be stored by PostgreSQL; the others are invisible), and so
    are lone surrogates (not UTF-8) and text longer than ``max_length``; ``multiline``
    text may hold tabs and line breaks."""
    for ch in text if SUSPECT_CHARACTERS.search(text) else ():
        kind = unicodedata.category(ch)
        if kind == "Cc" and not (multiline and ch in LINE_BREAKS):
            return f"có ký tự điều khiển không in được (U+{ord(ch):04X})"
        if kind == "Cs":
            return f"có ký tự không hợp lệ trong UTF-8 (U+{ord(ch):04X})"
    if len(text) > max_length:
        return f"dài {format_number(len(text))} ký tự, tối đa {format_number(max_length)}"
    return None


def clean_text(text: str, field: str, max_length: int, *, multiline: bool = False) -> str:
    """``text`` when it may be stored; :class:`InvalidInput` naming ``field`` otherwise."""
    if not isinstance(text, str):
        raise InvalidInput(f"«{field}» phải là chuỗi ký tự")
    reason = text_problem(text, max_length, multiline=multiline)
    if reason:
        raise InvalidInput(f"«{field}» {reason}")
    return text


def check_number(d: Decimal) -> str | None:
    """Why a number cannot be stored (Vietnamese), or None: it must be finite, below
    :data:`MAX_MAGNITUDE` and have at most :data:`MAX_DECIMALS` decimals and
    :data:`MAX_SIGNIFICANT` significant digits (what the stored double keeps)."""
    if not d.is_finite():
        return "không phải số hữu hạn (NaN hoặc vô cực)"
    if abs(d) >= MAX_MAGNITUDE:
        return f"số quá lớn: giá trị tuyệt đối phải nhỏ hơn {format_number(MAX_MAGNITUDE)}"
    if d == 0:
        return None
    _sign, digits, exponent = d.normalize().as_tuple()
    assert isinstance(exponent, int)
    decimals = max(0, -exponent)
    if decimals > MAX_DECIMALS:
        return f"có {decimals} chữ số thập phân, tối đa {MAX_DECIMALS}"
    significant = len(digits)
    if significant > MAX_SIGNIFICANT:
        return (
            f"có {significant} chữ số có nghĩa, tối đa {MAX_SIGNIFICANT} (độ chính xác của số "
            "được lưu)"
        )
    return None


@dataclass(frozen=True, slots=True)
class CellWrite:
    """One cell to write. ``text`` is what a person typed ("1.234,5", "-" for
    explicitly none, "" to clear); machines may give ``value`` instead."""

    indicator: str
    orgunit: str
    year: int
    measure: str
    version: int  # the version the writer saw; 0 when the cell was empty
    text: str | None = None
    value: float | None = None
    source_ref: str = ""  # where it came from: "tệp.xlsx!Biểu 2!F12"

    @property
    def key(self) -> Key:
        return (self.indicator, self.orgunit, self.year, self.measure)


# Reasons a cell is refused, gravest first; the HTTP status the API answers with.
REASON_STATUS = {
    "forbidden": 403,
    "unknown": 404,
    "locked": 423,
    "invalid": 422,
    "conflict": 409,
}


@dataclass(frozen=True, slots=True)
class CellProblem:
    write: CellWrite
    reason: str  # a key of REASON_STATUS
    message: str  # Vietnamese
    current: Value | None = None  # for a conflict: the newer value

    def as_dict(self) -> dict[str, Any]:
        w = self.write
        out: dict[str, Any] = {
            "indicator": w.indicator,
            "orgunit": w.orgunit,
            "year": w.year,
            "measure": w.measure,
            "reason": self.reason,
            "message": self.message,
        }
        if self.reason == "conflict":
            out["current"] = value_record(self.current) if self.current else None
        return out


class WriteRefused(Exception):
    """Nothing was written; ``problems`` says why, cell by cell."""

    def __init__(self, problems: list[CellProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems[:5]))
        self.problems = problems

    @property
    def status(self) -> int:
        order = list(REASON_STATUS)
        worst = min((p.reason for p in self.problems), key=order.index)
        return REASON_STATUS[worst]


@dataclass
class Written:
    values: list[Value] = field(default_factory=list)
    changed: int = 0  # cells whose value changed (a write of the same value changes nothing)
    batch: str = ""  # the id the audit records of this write share


def display(value: float | None, printed: str, decimals: int = 0) -> str:
    """How a cell reads: the text as printed (typed), else the number formatted."""
    if printed:
        return printed
    return "" if value is None else format_number(value, decimals, parens=True)


def value_record(v: Value) -> dict[str, Any]:
    """A value as the API and the grid give it."""
    return {
        "indicator": v.indicator_id,
        "orgunit": v.orgunit_id,
        "year": v.year,
        "measure": v.measure,
        "value": v.value,
        "printed": v.printed,
        "display": display(v.value, v.printed),
        "version": v.version,
        "source": v.source,
        "source_ref": v.source_ref,
        "updated_at": v.updated_at.isoformat() if v.updated_at else None,
        "updated_by": v.updated_by or None,
    }


def _parse(w: CellWrite) -> tuple[float | None, str]:
    """(value, printed) of a write; raises NumberError or InvalidInput."""
    if w.text is None:
        if w.value is None:
            return None, ""
        number = w.value
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInput("«value» phải là một số")
        if isinstance(number, float) and not math.isfinite(number):
            raise InvalidInput("«value» không phải số hữu hạn (NaN hoặc vô cực)")
        d = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
        reason = check_number(d)
        if reason:
            raise InvalidInput(f"«value» {reason}")
        return float(d), _printed(format_number(d, parens=True))
    clean_text(w.text, "text", PRINTED_LENGTH)
    parsed = parse_number(w.text)
    if parsed is None:
        return None, ""
    if parsed.value is None:
        return None, "-"
    reason = check_number(parsed.value)
    if reason:
        raise NumberError(w.text, reason)
    return float(parsed.value), _printed(format_number(parsed.value, parsed.decimals, parens=True))


def _printed(text: str) -> str:
    if len(text) > PRINTED_LENGTH:  # not reached within the limits above; a last guard
        raise InvalidInput(f"số in ra dài {len(text)} ký tự, tối đa {PRINTED_LENGTH}")
    return text


def round_years() -> frozenset[int]:
    """The reference years of the store's reporting rounds."""
    return frozenset(Round.objects.values_list("year", flat=True))


def in_rounds(year: int, measure: str, rounds: frozenset[int]) -> bool:
    """Does the cell belong to one of ``rounds`` (:func:`periods_of`)?"""
    return any(p in rounds for p in periods_of(year, measure))


def rounds_text(rounds: frozenset[int]) -> str:
    """ "kỳ năm 2023 (số liệu năm 2023, kế hoạch năm 2024, thực hiện năm 2022)" for
    each round, for messages."""
    if not rounds:
        return "kho chưa có kỳ báo cáo nào"
    return "; ".join(
        f"kỳ năm {y} (số liệu năm {y}, kế hoạch năm {y + 1}, thực hiện cả năm {y - 1})"
        for y in sorted(rounds)
    )


def _write_problem(w: CellWrite) -> str | None:
    """What is wrong with a write's own fields (before looking anything up), or None."""
    for field_name, text, limit in (
        ("indicator", w.indicator, KEY_LENGTH),
        ("orgunit", w.orgunit, KEY_LENGTH),
        ("measure", w.measure, KEY_LENGTH),
        ("source_ref", w.source_ref, SOURCE_REF_LENGTH),
    ):
        if not isinstance(text, str):
            return f"«{field_name}» phải là chuỗi ký tự"
        reason = text_problem(text, limit)
        if reason:
            return f"«{field_name}» {reason}"
    for field_name, number in (("year", w.year), ("version", w.version)):
        if isinstance(number, bool) or not isinstance(number, int):
            return f"«{field_name}» phải là số nguyên"
    if w.version < 0:
        return "«version» không được âm"
    return None


PLAN_HORIZON = 5
"""A multi-year plan sets targets up to this many years after its round."""


def periods_of(year: int, measure: str) -> tuple[int, ...]:
    """The reporting rounds a cell belongs to: round Y holds the plan, first half and
    estimate of year Y, the plan of Y+1 (next year's target, set in round Y and the
    plan of round Y+1), the plans of later years a multi-year form declares, and the
    actual of Y-1 (known only a year later). The first two are the rounds whose
    closing locks a plan (:func:`lock_of`)."""
    if measure == "plan":
        return tuple(year - k for k in range(PLAN_HORIZON + 1))
    if measure == "actual":
        return (year + 1,)
    return (year,)


Locks = dict[tuple[str | None, int | None, int], Lock]
"""The locks of some cells: (org unit, form, round) -> lock; (None, None, round) for a
closed round."""


def locks_for(
    cells: Iterable[tuple[str, int, int, str]],
    for_update: bool = False,
    closed: frozenset[int] | None = None,
) -> Locks:
    """What locks any of ``cells`` (org unit, form, year, measure): a submission that
    is submitted or approved for one of the cell's rounds, or a closed round.
    ``for_update`` holds the submissions until the transaction ends (so that nobody
    approves a form while it is being written). ``closed``: the closed rounds when
    the caller has just read them (:attr:`Lookup.closed`), else they are read here."""
    wanted = sorted(
        {(org, form, p) for org, form, year, m in cells for p in periods_of(year, m)[:2]}
    )
    if not wanted:
        return {}
    suffix = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    out: Locks = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            where, params = where_keys(
                wanted[start : start + KEYS_PER_QUERY], "orgunit_id form_id year"
            )
            cursor.execute(
                f"SELECT orgunit_id, form_id, year, status, updated_by, updated_at "
                f"FROM {SUBMISSION_TABLE} WHERE status IN (%s, %s) AND ({where}){suffix}",
                [*LOCKING_STATUSES, *params],
            )
            for org, form, year, status, by, at in cursor.fetchall():
                approved = status == Status.APPROVED
                when = db_datetime(at)
                out[(org, form, year)] = Lock(
                    year=year,
                    orgunit=org,
                    form=form,
                    approved_by=by if approved else "",
                    approved_at=f"{timezone.localtime(when):%d/%m/%Y}" if approved and when else "",
                    note=f"Biểu số {form}, kỳ báo cáo năm {year}",
                    state="đã được duyệt" if approved else "đã nộp, đang chờ duyệt",
                )
    for year in {p for _, _, p in wanted} & (closed_rounds() if closed is None else closed):
        out[(None, None, year)] = Lock(year=year, note=f"kỳ báo cáo năm {year}", state="đã khóa sổ")
    return out


def lock_of(locks: Locks, org: str, form: int, year: int, measure: str) -> Lock | None:
    """The lock over one cell, if any: a submission of, or the closing of, one of the
    rounds that hold it as their own (for a plan: its year's round and the one
    before, which set it). The later years of a multi-year plan are entered in an
    earlier round but stay open to the rounds after it, until their own."""
    own = periods_of(year, measure)[:2]
    for p in own:  # a closed round first: it is the lasting reason
        found = locks.get((None, None, p))
        if found is not None:
            return found
    for p in own:
        found = locks.get((org, form, p))
        if found is not None:
            return found
    return None


def closed_rounds() -> frozenset[int]:
    """The years of the rounds that are closed (read-only)."""
    return frozenset(Round.objects.filter(status=RoundStatus.CLOSED).values_list("year", flat=True))


def lock_message(lock: Lock) -> str:
    if lock.form is None:
        return f"Kỳ báo cáo năm {lock.year} đã khóa sổ: số liệu không sửa được"
    return (
        f"Biểu số {lock.form} của đơn vị này cho kỳ năm {lock.year} {lock.state}: số liệu "
        "bị khóa cho đến khi thành phố trả lại hoặc mở lại"
    )


def _validate(
    actor: User, writes: Sequence[CellWrite]
) -> tuple[list[CellProblem], dict[Key, tuple[float | None, str]], dict[str, IndicatorInfo]]:
    index = lookup(actor)
    scope = scope_of(actor)
    rounds = index.rounds
    problems: list[CellProblem] = []
    parsed: dict[Key, tuple[float | None, str]] = {}
    for w in writes:
        wrong = _write_problem(w)
        if wrong:
            problems.append(CellProblem(w, "invalid", wrong))
            continue
        ind, org = index.indicators.get(w.indicator), index.orgunits.get(w.orgunit)
        if ind is None or org is None:
            what = f"chỉ tiêu «{w.indicator}»" if ind is None else f"đơn vị «{w.orgunit}»"
            problems.append(CellProblem(w, "unknown", f"Không có {what}"))
            continue
        if scope is None or not scope.reaches_path(org.path, ind.form):
            problems.append(
                CellProblem(
                    w,
                    "forbidden",
                    f"Tài khoản không có quyền nhập biểu số {ind.form} của {org.full_name}",
                )
            )
            continue
        where = f"{ind.code} ({ind.name})"
        if w.key in parsed:
            problems.append(CellProblem(w, "invalid", f"{where}: ô được ghi hai lần một lúc"))
            continue
        if ind.is_group:
            problems.append(CellProblem(w, "invalid", f"{where}: dòng tiêu đề không có số liệu"))
            continue
        if w.measure not in ENTERABLE_MEASURES:
            problems.append(CellProblem(w, "invalid", f"{where}: không nhập số đo «{w.measure}»"))
            continue
        if org.code != index.top and (not index.breakdown.get(ind.form) or ind.city_only):
            problems.append(
                CellProblem(w, "invalid", f"{where}: chỉ tiêu chỉ có số liệu của cấp thành phố")
            )
            continue
        if not in_rounds(w.year, w.measure, rounds):
            what = measure_year(w.measure, w.year)
            problems.append(
                CellProblem(
                    w,
                    "invalid",
                    f"{where}: {what} không thuộc kỳ báo cáo nào của kho ({rounds_text(rounds)})",
                )
            )
            continue
        day = period_day(w.year, w.measure)
        if not org.in_being(day):
            problems.append(
                CellProblem(
                    w,
                    "invalid",
                    f"{where}: {org.full_name} không tồn tại vào ngày {day:%d/%m/%Y} "
                    f"({measure_year(w.measure, w.year)} thuộc về "
                    "các đơn vị của ngày đó)",
                )
            )
            continue
        try:
            parsed[w.key] = _parse(w)
        except NumberError as exc:
            # a plan cell may hold a target: "6,5-7", "trên 90" (ktxh.store.targets)
            from ktxh.store.targets import typed_target

            try:
                parsed[w.key] = typed_target(w, ind, exc)
            except InvalidInput as refused:
                problems.append(CellProblem(w, "invalid", f"{where}: {refused}"))
        except InvalidInput as exc:
            problems.append(CellProblem(w, "invalid", f"{where}: {exc}"))
    return problems, parsed, index.indicators


def new_batch(now: datetime | None = None) -> str:
    """An id for the changes of one save or one import: time and a random tail."""
    now = timezone.localtime(now or timezone.now())
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def write_values(
    actor: User,
    writes: Sequence[CellWrite],
    *,
    source: Source = Source.WEB,
    source_ref: str = "",
    batch: str = "",
) -> Written:
    """Write a batch of cells, all or nothing; raise :class:`WriteRefused`.

    Each landed change of a value bumps its version and adds one
    :class:`ValueChange` (who, when, old -> new, ``source``, the write's
    ``source_ref`` or else the batch's, and the ``batch`` id shared by every
    change of this call). Writing a cell's current value again changes nothing
    and records nothing.

    On PostgreSQL the save of one cell (the grid's typing) is one statement
    (:func:`_write_one`); a batch, a refusal, a target typed into a plan cell and
    SQLite take the general path: the cells as they are, then one transaction.
    """
    if not writes:
        return Written()
    # the catalog's stamp, the rounds and the closed ones (one query): read afresh for
    # each write, except for a web request's user, read once in the request (with it)
    index = lookup(actor) if getattr(actor, "_ktxh_per_request", False) else lookup()
    setattr(actor, "_ktxh_lookup", index)  # noqa: B010 (the cache lookup(actor) reads)
    problems, parsed, inds = _validate(actor, writes)
    if problems:
        raise WriteRefused(problems)
    now = timezone.now()
    batch = batch or new_batch(now)
    if len(writes) == 1 and connection.vendor == "postgresql":
        w = writes[0]
        new = parsed[w.key]
        # a target typed into a plan cell ("6,5-7") keeps its structure beside it
        # (sync_typed): the general path below
        if not (w.measure in TARGET_MEASURES and is_target_text(new[1])):
            form = inds[w.indicator].form
            one = _write_one(actor, w, new, form, source, source_ref, batch, now)
            if one is not None:
                return one
            # locked, or changed since the writer read it: nothing was written, and the
            # general path says why (as it would have)
    existing = _existing(writes)
    try:
        with serialized_writes(), transaction.atomic():
            written = _write(
                actor,
                writes,
                parsed,
                inds,
                existing,
                source,
                source_ref,
                batch,
                index.closed,
            )
            from ktxh.store.targets import sync_typed

            sync_typed(written.values)  # the structure of typed targets ("6,5-7")
            return written
    except WriteRefused as refused:
        # report the newest value of each conflicting cell, read after the rollback
        conflicts = [p for p in refused.problems if p.reason == "conflict"]
        if conflicts:
            current = _current({p.write.key for p in conflicts})
            refused.problems = [
                CellProblem(
                    p.write,
                    p.reason,
                    _conflict_message(p.write, current.get(p.write.key), parsed[p.write.key]),
                    current.get(p.write.key),
                )
                if p.reason == "conflict"
                else p
                for p in refused.problems
            ]
        raise


def _write_one(
    actor: User,
    w: CellWrite,
    new: tuple[float | None, str],
    form: int,
    source: Source,
    source_ref: str,
    batch: str,
    now: datetime,
) -> Written | None:
    """The save of one cell on PostgreSQL, the grid's typing, in one statement (one
    round trip and one commit, :func:`_one_cell_sql`): the lock check, the update
    conditional on the version the writer saw (or the insert of a new cell), its audit
    record, and for a plan cell the structure of a target it held. A statement is
    atomic whether or not a transaction surrounds it. None when it wrote nothing and the
    cell is not unchanged either (locked, changed since, deleted, created meanwhile):
    :func:`write_values` then takes its general path, which refuses with the reason."""
    new_value, new_printed = new
    who = actor.get_username()
    ref = w.source_ref or source_ref
    own = periods_of(w.year, w.measure)[:2]
    first, second = own[0], own[-1]
    typed = w.measure in TARGET_MEASURES
    params: list[Any] = [*(s.value for s in LOCKING_STATUSES), w.orgunit, form, first, second]
    params += [RoundStatus.CLOSED.value, first, second]
    if w.version == 0:
        params += [*w.key, new_value, new_printed, source.value, ref, None, "", "", 1, now, who]
    else:
        params += [*w.key, new_value, new_printed, source.value, ref, now, who]
        params += [w.version, w.version, new_value, new_printed]
    params += [*w.key, new_value, new_printed, who, now, source.value, ref, batch]
    if typed:
        params += w.key
    with hot_cursor() as cursor:
        cursor.execute(WRITE_ONE[(w.version == 0, typed)], params)
        row = cursor.fetchone()
    assert row is not None
    locks, value_id, landed, old_id, old_value, old_printed, old_version, *rest = row
    if locks:
        return None
    if landed is not None:  # written
        v = Value(
            id=value_id,
            indicator_id=w.indicator,
            orgunit_id=w.orgunit,
            year=w.year,
            measure=w.measure,
            value=new_value,
            printed=new_printed,
            source=source,
            source_ref=ref,
            version=landed,
            updated_at=now,
            updated_by=who,
        )
        return Written(values=[v], changed=1, batch=batch)
    if old_id is not None and old_version == w.version and (old_value, old_printed) == new:
        source_was, ref_was, at, by = rest  # unchanged: nothing to write
        v = Value(
            id=old_id,
            indicator_id=w.indicator,
            orgunit_id=w.orgunit,
            year=w.year,
            measure=w.measure,
            value=old_value,
            printed=old_printed,
            source=source_was,
            source_ref=ref_was,
            version=old_version,
            updated_at=db_datetime(at),
            updated_by=by,
        )
        return Written(values=[v], changed=0, batch=batch)
    return None


def _current(keys: set[Key]) -> dict[Key, Value]:
    ordered = sorted(keys)
    out: dict[Key, Value] = {}
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        q = Q()
        for ind, org, year, measure in ordered[start : start + KEYS_PER_QUERY]:
            q |= Q(indicator_id=ind, orgunit_id=org, year=year, measure=measure)
        for v in Value.objects.filter(q):
            out[(v.indicator_id, v.orgunit_id, v.year, v.measure)] = v
    return out


def measure_year(measure: str, year: int) -> str:
    """ "kế hoạch năm 2024", "TH cả năm 2023" for messages."""
    words = MEASURE_WORDS.get(measure, measure)
    return f"{words} {year}" if words.endswith("năm") else f"{words} năm {year}"


MEASURE_WORDS = {
    "plan": "kế hoạch",
    "h1": "TH 6 tháng",
    "estimate": "ước TH cả năm",
    "actual": "TH cả năm",
}


def cell_words(w: CellWrite) -> str:
    """A cell for people: "B02.009 «Tổng diện tích ...», phường Đoàn Kết, kế hoạch 2023"."""
    index = lookup()
    ind, org = index.indicators.get(w.indicator), index.orgunits.get(w.orgunit)
    name = f"{w.indicator} «{ind.name}»" if ind else w.indicator
    unit = org.full_name if org else w.orgunit
    return f"{name}, {unit}, {MEASURE_WORDS.get(w.measure, w.measure)} {w.year}"


def _conflict_message(w: CellWrite, cur: Value | None, mine: tuple[float | None, str]) -> str:
    wanted = display(*mine) or "(trống)"
    if cur is None:
        return (
            f"{cell_words(w)}: ô đã bị người khác xóa trong lúc bạn sửa; giá trị của bạn "
            f"({wanted}) chưa được lưu"
        )
    who = cur.updated_by or "hệ thống"
    when = (
        timezone.localtime(cur.updated_at).strftime(" lúc %H:%M:%S ngày %d/%m/%Y")
        if cur.updated_at
        else ""
    )
    shown = display(cur.value, cur.printed) or "(trống)"
    return (
        f"{cell_words(w)}: {who} đã sửa ô này thành {shown}{when} (phiên bản {cur.version}); "
        f"giá trị của bạn ({wanted}) chưa được lưu, hãy xem lại và nhập lại nếu cần"
    )


def _existing(writes: Sequence[CellWrite]) -> dict[Key, Value]:
    """The cells as they are now, read before the write transaction: the update is
    conditional on the version read here, and a version names one content, so the
    old value recorded in the audit trail is the one replaced."""
    keys = [w.key for w in writes]
    existing: dict[Key, Value] = {}
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        # in chunks: SQLite refuses an expression deeper than 1000 (an Excel import
        # writes thousands of cells at once)
        for start in range(0, len(keys), KEYS_PER_QUERY):
            where, params = where_keys(
                keys[start : start + KEYS_PER_QUERY], "indicator_id orgunit_id year measure"
            )
            cursor.execute(
                "SELECT id, indicator_id, orgunit_id, year, measure, value, printed, version, "
                f"source, source_ref, updated_at, updated_by FROM {VALUE_TABLE} WHERE {where}",
                params,
            )
            rows.extend(cursor.fetchall())
        for row in rows:
            v = Value(
                id=row[0],
                indicator_id=row[1],
                orgunit_id=row[2],
                year=row[3],
                measure=row[4],
                value=row[5],
                printed=row[6],
                version=row[7],
                source=row[8],
                source_ref=row[9],
                updated_at=db_datetime(row[10]),
                updated_by=row[11],
            )
            existing[(v.indicator_id, v.orgunit_id, v.year, v.measure)] = v
    return existing


def _write(
    actor: User,
    writes: Sequence[CellWrite],
    parsed: dict[Key, tuple[float | None, str]],
    inds: dict[str, IndicatorInfo],
    existing: dict[Key, Value],
    source: Source,
    source_ref: str,
    batch: str,
    closed: frozenset[int],
) -> Written:
    """The transaction of :func:`write_values`. This is the hot path of data entry,
    so it speaks SQL (the same on SQLite and PostgreSQL) rather than building
    ORM queries: three statements for a cell that changes (the lock check, the
    update guarded by the version, the audit record); on PostgreSQL the update and
    its audit record are one statement (a round trip less per save)."""
    locks = locks_for(
        ((w.orgunit, inds[w.indicator].form, w.year, w.measure) for w in writes),
        for_update=True,
        closed=closed,
    )
    problems: list[CellProblem] = []
    for w in writes:
        lock = lock_of(locks, w.orgunit, inds[w.indicator].form, w.year, w.measure)
        if lock is not None:
            problems.append(CellProblem(w, "locked", lock_message(lock)))
    if problems:
        raise WriteRefused(problems)

    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    who = actor.get_username()
    out = Written(batch=batch)
    changes: list[tuple[Any, ...]] = []  # audit records still to insert (SQLite)
    audited = 0  # ... and those inserted with their value's row (PostgreSQL)
    combined = connection.vendor == "postgresql"
    for w in writes:
        new_value, new_printed = parsed[w.key]
        ref = w.source_ref or source_ref
        cur = existing.get(w.key)
        if w.version != (cur.version if cur else 0):
            problems.append(CellProblem(w, "conflict", "", cur))
            continue
        if cur is not None and cur.value == new_value and cur.printed == new_printed:
            out.values.append(cur)
            continue
        # the audit record, after the value's id
        audit: list[Any] = [
            w.indicator,
            w.orgunit,
            w.year,
            w.measure,
            None if cur is None else cur.value,
            "" if cur is None else cur.printed,
            new_value,
            new_printed,
            1 if cur is None else cur.version + 1,
            who,
            at,
            source.value,
            ref,
            batch,
        ]
        landed: int | None
        if combined:  # the row and its audit record in one statement
            with connection.cursor() as cursor:
                if cur is None:  # a conflict: another writer created the cell first
                    cursor.execute(
                        f"WITH v AS (INSERT INTO {VALUE_TABLE} ({VALUE_COLUMNS}) VALUES "
                        f"({', '.join(['%s'] * 14)}) ON CONFLICT DO NOTHING RETURNING id) "
                        f"INSERT INTO {CHANGE_TABLE} ({CHANGE_COLUMNS}) SELECT v.id, "
                        f"{', '.join(['%s'] * 14)} FROM v RETURNING value_id",
                        [
                            *w.key,
                            new_value,
                            new_printed,
                            source.value,
                            ref,
                            None,
                            "",
                            "",
                            1,
                            at,
                            who,
                            *audit,
                        ],
                    )
                    row = cursor.fetchone()
                    landed = None if row is None else int(row[0])
                else:
                    cursor.execute(
                        f"WITH u AS ({UPDATE_VALUE} RETURNING id) INSERT INTO {CHANGE_TABLE} "
                        f"({CHANGE_COLUMNS}) SELECT u.id, {', '.join(['%s'] * 14)} FROM u",
                        [
                            *(new_value, new_printed, source.value, ref, at, who),
                            *(cur.pk, cur.version, *audit),
                        ],
                    )
                    landed = cur.pk if cursor.rowcount == 1 else None
            audited += landed is not None
        elif cur is None:
            try:
                with transaction.atomic():
                    landed = Value.objects.create(
                        indicator_id=w.indicator,
                        orgunit_id=w.orgunit,
                        year=w.year,
                        measure=w.measure,
                        value=new_value,
                        printed=new_printed,
                        source=source,
                        source_ref=ref,
                        version=1,
                        updated_at=now,
                        updated_by=who,
                    ).pk
            except IntegrityError:  # another writer created the cell first
                landed = None
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    UPDATE_VALUE,
                    [new_value, new_printed, source.value, ref, at, who, cur.pk, cur.version],
                )
                landed = cur.pk if cursor.rowcount == 1 else None
        if landed is None:
            problems.append(CellProblem(w, "conflict", ""))
            continue
        if not combined:
            changes.append((landed, *audit))
        if cur is None:
            cur = Value(
                id=landed,
                indicator_id=w.indicator,
                orgunit_id=w.orgunit,
                year=w.year,
                measure=w.measure,
                version=0,
            )
        cur.value, cur.printed, cur.source, cur.source_ref = new_value, new_printed, source, ref
        cur.version += 1
        cur.updated_at, cur.updated_by = now, who
        out.values.append(cur)
    if problems:
        raise WriteRefused(problems)
    if changes:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {CHANGE_TABLE} ({CHANGE_COLUMNS}) VALUES ({', '.join(['%s'] * 15)})",
                changes,
            )
    out.changed = len(changes) + audited
    return out


@contextmanager
def serialized_writes() -> Iterator[None]:
    """On a SQLite file, writers queue on a file lock beside the database.

    SQLite lets one writer in at a time, and one that finds the database busy
    polls with growing sleeps (up to 100 ms each), which under load makes the
    slowest saves wait far longer than the queue is long. A blocking ``flock``
    hands the turn to the next writer as soon as the previous one commits.
    Nothing to do on PostgreSQL (row locks), nor inside an outer transaction.
    """
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor != "sqlite"
        or connection.in_atomic_block
        or not name
        or name == ":memory:"
        or "mode=memory" in name
    ):
        yield
        return
    fd = os.open(f"{name}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# --- workflow -------------------------------------------------------------------------


class WorkflowError(Exception):
    """A transition that cannot happen now; the message is Vietnamese."""


# action -> (statuses it starts from, status it leads to, permission it needs)
TRANSITIONS: dict[str, tuple[tuple[Status, ...], Status, str]] = {
    "submit": ((Status.DRAFT, Status.RETURNED, Status.REOPENED), Status.SUBMITTED, "submit"),
    "approve": ((Status.SUBMITTED,), Status.APPROVED, "review"),
    "return": ((Status.SUBMITTED,), Status.RETURNED, "review"),
    "reopen": ((Status.APPROVED,), Status.REOPENED, "review"),
}
ACTION_LABELS = {"submit": "Nộp", "approve": "Duyệt", "return": "Trả lại", "reopen": "Mở lại"}


def reports_in(orgunit: OrgUnit, year: int) -> bool:
    """Does ``orgunit`` report in round ``year``: is it in being on 30 June of the
    year, the day its first half is reported for?"""
    day = period_day(year, "h1")
    return (orgunit.valid_from is None or orgunit.valid_from <= day) and (
        orgunit.valid_to is None or day < orgunit.valid_to
    )


def expected(orgunit: OrgUnit, form: Form, top: str, year: int | None = None) -> bool:
    """Is a submission of ``form`` expected from ``orgunit`` (in round ``year``)? The
    top unit (by its departments) submits every form; the units below, the forms with
    a unit breakdown; a unit not in being in the round's year submits nothing."""
    if year is not None and not reports_in(orgunit, year):
        return False
    return orgunit.code == top or (form.has_unit_breakdown and orgunit.parent_id is not None)


def expected_submissions(user: User, year: int) -> list[Submission]:
    """Every form the user sees that is expected in round ``year``: as stored, or
    (when nothing was submitted yet) an unsaved one in "Chưa nộp"."""
    scope = scope_of(user)
    plan = Plan.objects.first()
    if scope is None or plan is None:
        return []
    stored = {
        (s.orgunit_id, s.form_id): s
        for s in Submission.objects.restrict(user, "view")
        .filter(year=year)
        .select_related("orgunit", "form")
    }
    forms = list(Form.objects.all())
    out = []
    for org in OrgUnit.objects.restrict(user, "view").order_by("order"):
        for form in forms:
            if expected(org, form, plan.top_orgunit, year) and scope.reaches(org, form.number):
                sub = stored.get((org.code, form.number))
                out.append(sub or Submission(orgunit=org, form=form, year=year))
    out.sort(key=lambda s: (s.form_id, s.orgunit.order))
    return out


def transition(
    actor: User,
    orgunit: OrgUnit,
    form: Form,
    year: int,
    action: str,
    comment: str = "",
) -> Submission:
    """Submit (with the unit's note), approve, return (with the reviewer's reason) or
    reopen a form of a unit for a round. A submitter's comment is the submission's
    ``note``; a reviewer's is its ``opinion``: each is kept with its author. Raises
    :class:`WorkflowError`, PermissionDenied, or :class:`InvalidInput` for a comment
    that cannot be stored (control characters, longer than :data:`COMMENT_LENGTH`)."""
    if action not in TRANSITIONS:
        raise WorkflowError(f"Thao tác «{action}» không hợp lệ")
    sources, target, permission = TRANSITIONS[action]
    require(actor, permission, orgunit, form.number)
    if isinstance(year, bool) or not isinstance(year, int) or year not in round_years():
        raise WorkflowError(f"Không có kỳ báo cáo năm {year}")
    plan = Plan.objects.first()
    if plan is None or not expected(orgunit, form, plan.top_orgunit, year):
        raise WorkflowError(f"{orgunit.full_name} không nộp {form.label} năm {year}")
    field_name = "ghi chú khi nộp" if action == "submit" else "ý kiến"
    comment = clean_text(comment, field_name, COMMENT_LENGTH, multiline=True).strip()
    if action == "return" and not comment:
        raise WorkflowError("Khi trả lại biểu, hãy ghi rõ lý do để đơn vị sửa")
    who = actor.get_username()
    now = timezone.now()
    with transaction.atomic():
        sub, _ = Submission.objects.select_for_update().get_or_create(
            orgunit=orgunit, form=form, year=year
        )
        if sub.status not in sources:
            raise WorkflowError(
                f"{form.label} của {orgunit.full_name} năm {year} đang ở trạng thái "
                f"«{sub.get_status_display()}»: không thể {ACTION_LABELS[action].lower()}"
            )
        sub.status = target
        if action == "submit":
            sub.note, sub.note_by = comment, who
            sub.submitted_at = now
        else:  # a review: its opinion replaces the last one (empty when none is given)
            sub.opinion, sub.opinion_by = comment, who if comment else ""
        sub.updated_at, sub.updated_by = now, who
        sub.save()
        SubmissionEvent.objects.create(
            submission=sub, action=action, status=target, comment=comment, username=who, at=now
        )
    return sub
