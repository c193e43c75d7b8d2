"""Past reports read into the store: a draft of a round, its review, its confirmation.

``ktxh read FILES --into-store`` (or the web) puts a reading of past reports
(:func:`ktxh.io.reports.read_reports`) into a :class:`~ktxh.store.models.Draft`:
its values, each with where it was read and how sure the reading is, and its
review list (uncertain matches, shifted rows, unreadable cells ...), each item
waiting for a person's decision. Nothing of a draft is a value of the plan:

* a planner decides every item, on the web (:func:`decide`) or in the review
  workbook sent back (:func:`apply_review`): keep the reading (accept), take the
  next-best placement (alternative), type the right values (correct), or leave
  the values out (reject);
* when every item is decided, the planner confirms (:func:`confirm`): the values,
  with the decisions applied, are written as the plan's values through
  :func:`ktxh.store.actions.write_values` (source "report", the file, page, table,
  row and column as provenance, one batch, the audit trail), all or nothing;
  the round of the report's year is made when the store has none (and closed
  again when it lies before the store's current round: past reports are history);
* or discards it (:func:`discard`).

Each function takes the acting user, checks the permission (the planner of the
top unit), runs in one transaction and records who acted and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ktxh.domain.catalog import PRINTED_RATIO_MEASURES
from ktxh.domain.numbers import NumberError, format_number, parse_number
from ktxh.domain.placement import Sureness
from ktxh.domain.reading import (
    REVIEW_LABELS,
    Reading,
    ReadProblem,
    ReadValue,
    ReviewItem,
    ReviewKind,
    TableInfo,
    Where,
)
from ktxh.io.review_xlsx import DECISION_WORDS, ReviewRow
from ktxh.store import models
from ktxh.store.actions import CellWrite, WriteRefused, new_batch, write_values
from ktxh.store.lookup import lookup
from ktxh.store.models import Decision, Draft, DraftItem, DraftStatus, DraftValue
from ktxh.store.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Key = tuple[str, str, int, str]
SHOWN = 20  # problems listed one by one in a refusal


class DraftError(ValueError):
    """A draft action that cannot happen; ``problems`` says why, located, in Vietnamese."""

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:SHOWN]
        text = "; ".join(shown) if len(shown) == 1 else "\n" + "\n".join(f"- {p}" for p in shown)
        if len(self.problems) > SHOWN:
            text += f"\n- ... và {len(self.problems) - SHOWN} lỗi khác"
        super().__init__(text)


def _require_planner(actor: User) -> None:
    plan = models.Plan.objects.first()
    if plan is None:
        raise DraftError("Kho số liệu chưa có kế hoạch nào")
    top = models.OrgUnit.objects.get(code=plan.top_orgunit)
    require(actor, "review", top)


def _where_dict(w: Where) -> dict[str, Any]:
    return {k: v for k, v in asdict(w).items() if v not in (None, "")}


def where_of(data: dict[str, Any]) -> Where:
    return Where(**{"file": "", **data})


def _same_table(a: Where, b: Where) -> bool:
    return (a.file, a.page, a.sheet, a.table) == (b.file, b.page, b.sheet, b.table)


# --- making a draft ---------------------------------------------------------------------


def create_draft(actor: User, reading: Reading, files: Sequence[str]) -> Draft:
    """Put a reading into a new draft. Refused when the reading has input it could not
    read (a file, a table, a page: fix or leave out the file and read again) or no year."""
    _require_planner(actor)
    if reading.problems:
        raise DraftError([str(p) for p in reading.problems])
    if reading.year is None:
        raise DraftError(
            "không rõ năm của báo cáo (tiêu đề cột không ghi năm): hãy cho biết năm (--year)"
        )
    if not reading.values:
        raise DraftError("không đọc được giá trị nào: không có gì để đưa vào bản nháp")
    with transaction.atomic():
        draft = Draft.objects.create(
            year=reading.year,
            files=list(files),
            tables=[
                {
                    "where": str(t.where),
                    "form": t.form,
                    "how": t.how,
                    "year": t.year,
                    "rows": t.rows,
                    "matched": t.matched,
                    "at": _where_dict(t.where),
                    "header_rows": t.header_rows,
                }
                for t in reading.tables
            ],
            created_by=actor.get_username(),
            created_at=timezone.now(),
        )
        DraftValue.objects.bulk_create(
            DraftValue(
                draft=draft,
                indicator=v.indicator,
                orgunit=v.orgunit,
                year=v.year,
                measure=v.measure,
                value=v.value,
                printed=v.printed,
                confidence=v.confidence.value,
                note=v.note,
                ocr_confidence=v.ocr_confidence,
                where=_where_dict(v.where),
                ref=v.where.compact[:300],
                order=n,
            )
            for n, v in enumerate(reading.values)
        )
        DraftItem.objects.bulk_create(
            DraftItem(
                draft=draft,
                number=n,
                kind=item.kind.value,
                where=_where_dict(item.where),
                message=item.message,
                printed=item.printed,
                indicator=item.indicator,
                keys=[list(k) for k in _item_keys(item, reading.values)],
                alternative=[[*k, v, p] for k, v, p in item.alternative],
                confidence=item.confidence.value,
            )
            for n, item in enumerate(reading.review, start=1)
        )
    return draft


def _item_keys(item: ReviewItem, values: Sequence[ReadValue]) -> list[Key]:
    """The values an item is about: its own keys; for a doubtful row match, the values
    of that row; for a table whose form was taken from its rows, the table's values."""
    if item.keys:
        return list(item.keys)
    if item.kind is ReviewKind.ROW_MATCH:
        row = item.where.whole_row()
        return [
            v.key for v in values if v.indicator == item.indicator and v.where.whole_row() == row
        ]
    if item.kind is ReviewKind.FORM:
        return [v.key for v in values if _same_table(v.where, item.where)]
    return []


def draft_reading(draft: Draft) -> Reading:
    """A draft as a reading (for the review workbook and for printing): its values,
    its review items in their order, its tables."""
    reading = Reading(year=draft.year)
    for v in draft.values.all():
        reading.values.append(
            ReadValue(
                v.indicator,
                v.orgunit,
                v.year,
                v.measure,
                v.value,
                v.printed,
                where_of(v.where),
                Sureness(v.confidence),
                v.note,
                v.ocr_confidence,
            )
        )
    for i in draft.items.all():
        reading.review.append(
            ReviewItem(
                ReviewKind(i.kind),
                where_of(i.where),
                i.message,
                i.printed,
                i.indicator,
                tuple((k[0], k[1], int(k[2]), k[3]) for k in i.keys),
                Sureness(i.confidence),
                tuple(((a[0], a[1], int(a[2]), a[3]), a[4], a[5]) for a in i.alternative),
            )
        )
    for t in draft.tables:
        reading.tables.append(
            TableInfo(
                where_of(t.get("at") or {"file": ""}),
                t.get("form"),
                t.get("how", ""),
                t.get("year"),
                int(t.get("header_rows") or 0),
                int(t.get("rows") or 0),
                int(t.get("matched") or 0),
            )
        )
    reading.problems = [ReadProblem(Where(""), p) for p in draft.problems]
    return reading


# --- deciding the review items ---------------------------------------------------------------


def allowed_decisions(item: DraftItem) -> list[str]:
    """What a person may decide for an item: accept and reject always; the alternative
    when the reading had a next-best placement; correct when the item is about values."""
    out = [Decision.ACCEPT.value]
    if item.alternative:
        out.append(Decision.ALTERNATIVE.value)
    if item.keys:
        out.append(Decision.CORRECT.value)
    out.append(Decision.REJECT.value)
    return out


def key_label(key: Sequence[Any], names: dict[str, str] | None = None) -> str:
    """ "B02.009 Đoàn Kết, Kế hoạch 2024" for a key, in Vietnamese."""
    from ktxh.domain.catalog import MEASURE_LABELS

    ind, org, year, measure = key[0], key[1], key[2], key[3]
    name = (names or {}).get(org, org)
    return f"{ind} {name}, {MEASURE_LABELS.get(measure, measure)} {year}"


def _check_texts(item: DraftItem, texts: Sequence[str]) -> list[str]:
    """Why the typed values of a correction cannot be taken (one reason per value)."""
    if len(texts) != len(item.keys):
        return [
            f"mục {item.number} có {len(item.keys)} giá trị ("
            + "; ".join(key_label(k) for k in item.keys)
            + f"): hãy ghi {len(item.keys)} giá trị, cách nhau bởi dấu «;», theo thứ tự đó"
        ]
    out = []
    for key, text in zip(item.keys, texts, strict=True):
        try:
            parse_number(text)
        except NumberError as exc:
            out.append(f"{key_label(key)}: {exc}")
    return out


def _problem_of(item: DraftItem, decision: str, texts: Sequence[str]) -> list[str]:
    if decision not in allowed_decisions(item):
        labels = ", ".join(f"«{Decision(d).label}»" for d in allowed_decisions(item))
        if decision == Decision.ALTERNATIVE:
            why = "ktxh không có cách xếp khác cho mục này"
        elif decision == Decision.CORRECT:
            why = "mục này không có giá trị nào để sửa"
        else:
            why = f"«{decision}» không phải quyết định"
        return [f"mục {item.number}: {why}; chọn một trong: {labels}"]
    if decision == Decision.CORRECT:
        return [f"mục {item.number}: {p}" for p in _check_texts(item, texts)]
    return []


def _open(draft: Draft) -> None:
    if draft.status != DraftStatus.OPEN:
        raise DraftError(
            f"bản nháp {draft.pk} {draft.get_status_display().lower()}: không sửa được nữa"
        )


def decide(
    actor: User,
    item: DraftItem,
    decision: str,
    texts: Sequence[str] = (),
    comment: str = "",
) -> DraftItem:
    """Record a person's decision for one review item (``texts``: the right values of
    a correction, one per key; "" leaves a cell empty, "-" is a printed dash)."""
    _require_planner(actor)
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=item.draft_id)
        _open(draft)
        problems = _problem_of(item, decision, texts)
        if problems:
            raise DraftError(problems)
        _set(item, decision, texts, comment, actor.get_username())
        item.save()
    return item


def _set(item: DraftItem, decision: str, texts: Sequence[str], comment: str, who: str) -> None:
    item.decision = decision
    item.corrected = [t.strip() for t in texts] if decision == Decision.CORRECT else []
    item.comment = comment.strip()[:2000]
    item.decided_by = who
    item.decided_at = timezone.now()


def apply_review(
    actor: User, draft: Draft, rows: Sequence[ReviewRow], faults: Sequence[str]
) -> int:
    """Take the decisions of a review workbook sent back (read by
    :func:`ktxh.io.review_xlsx.read_review`), all or nothing: every fault is listed with
    the sheet, row and column, and no decision is recorded while one remains. A row
    left without a decision leaves its item as it is. Returns the decisions taken."""
    _require_planner(actor)
    problems = list(faults)
    items = {i.number: i for i in draft.items.all()}
    todo: list[tuple[DraftItem, str, list[str], str]] = []
    for row in rows:
        item = items.get(row.number)
        if (
            item is None
            or REVIEW_LABELS[ReviewKind(item.kind)] != row.label
            or (row.source_file and where_of(item.where).file != row.source_file)
        ):
            problems.append(
                f"{row.where('STT')}: mục {row.number} không phải một mục của bản nháp "
                f"{draft.pk} (bảng xem lại của một lần đọc khác?)"
            )
            continue
        if not row.decision:
            continue
        texts = row.texts() if row.decision == Decision.CORRECT else []
        for p in _problem_of(item, row.decision, texts):
            column = "Giá trị đúng" if row.decision == Decision.CORRECT else "Quyết định"
            problems.append(f"{row.where(column)}: {p.split(': ', 1)[1]}")
        todo.append((item, row.decision, texts, row.note))
    if problems:
        raise DraftError(problems)
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        _open(locked)
        for item, decision, texts, note in todo:
            _set(item, decision, texts, note, actor.get_username())
            item.save()
    return len(todo)


# --- confirming -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Final:
    key: Key
    text: str  # the value as printed, or as a person typed it
    ref: str  # where it was read
    confidence: str
    note: str


@dataclass
class Confirmed:
    draft: Draft
    written: int  # values written (changed) in the store
    batch: str
    skipped: dict[str, int] = field(default_factory=dict)  # why values were not written
    round_made: bool = False


def final_values(draft: Draft) -> list[Final]:
    """The values a draft gives once its decisions are applied, in the order read;
    items are applied in their order (a later decision about a cell wins)."""
    out: dict[Key, Final] = {}
    for v in draft.values.all():
        key = (v.indicator, v.orgunit, v.year, v.measure)
        out[key] = Final(key, _text(v.value, v.printed), v.ref, v.confidence, v.note)
    for item in draft.items.all():
        keys = [(k[0], k[1], int(k[2]), k[3]) for k in item.keys]
        where = where_of(item.where).compact[:300]
        if item.decision in (Decision.REJECT, Decision.ALTERNATIVE):
            for k in keys:
                out.pop(k, None)
        if item.decision == Decision.ALTERNATIVE:
            for a in item.alternative:
                key = (a[0], a[1], int(a[2]), a[3])
                note = f"cách xếp khác, chọn khi xem lại (mục {item.number})"
                out[key] = Final(key, _text(a[4], a[5]), where, Sureness.MEDIUM.value, note)
        if item.decision == Decision.CORRECT:
            for k, text in zip(keys, item.corrected, strict=False):
                if text == "":
                    out.pop(k, None)
                    continue
                note = f"sửa khi xem lại (mục {item.number}) bởi {item.decided_by}"
                if item.comment:
                    note += f": {item.comment}"
                out[k] = Final(k, text, out[k].ref if k in out else where, "", note)
    return list(out.values())


def _text(value: float | None, printed: str) -> str:
    if printed:
        try:
            parsed = parse_number(printed)
        except NumberError:
            parsed = None
        if parsed is not None and (
            (parsed.value is None and value is None)
            or (parsed.value is not None and value is not None and float(parsed.value) == value)
        ):
            return printed
    return format_number(value, parens=True)


def undecided(draft: Draft) -> list[DraftItem]:
    return list(draft.items.filter(decision=""))


def confirm(actor: User, draft: Draft) -> Confirmed:
    """Write a draft whose every review item is decided as the plan's values, all or
    nothing (see the module's text); :class:`DraftError` says why not."""
    _require_planner(actor)
    _open(draft)
    left = undecided(draft)
    if left:
        numbers = ", ".join(str(i.number) for i in left[:15])
        more = f" và {len(left) - 15} mục khác" if len(left) > 15 else ""
        raise DraftError(
            f"còn {len(left)} mục cần xem lại chưa có quyết định (mục {numbers}{more}): "
            "quyết định hết rồi mới xác nhận được"
        )
    index = lookup()
    finals = final_values(draft)
    skipped: dict[str, int] = {}
    writes: list[tuple[Final, CellWrite]] = []
    problems = []
    for f in finals:
        ind_code, org, year, measure = f.key
        ind, unit = index.indicators.get(ind_code), index.orgunits.get(org)
        if ind is None or unit is None:
            what = f"chỉ tiêu {ind_code}" if ind is None else f"đơn vị «{org}»"
            problems.append(f"{what} không còn trong kế hoạch (danh mục hay cây đơn vị đã đổi)")
            continue
        reason = None
        if measure in PRINTED_RATIO_MEASURES:
            reason = "tỷ lệ so sánh in trên biểu (ktxh tự tính, không ghi)"
        elif ind.is_group:
            reason = "số in ở dòng tiêu đề nhóm"
        elif org != index.top and (not index.breakdown.get(ind.form) or ind.city_only):
            reason = "ô của đơn vị cấp dưới ở chỉ tiêu chỉ có số của cấp trên"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        writes.append(
            (f, CellWrite(ind_code, org, year, measure, 0, text=f.text, source_ref=f.ref))
        )
    if problems:
        raise DraftError(sorted(set(problems)))
    now = timezone.now()
    who = actor.get_username()
    batch = new_batch(now)
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        _open(locked)
        round_made = False
        period = models.Round.objects.filter(year=draft.year).first()
        if period is not None and period.status == models.RoundStatus.CLOSED:
            raise DraftError(
                f"kỳ báo cáo năm {draft.year} đã khóa sổ: số liệu của kỳ không ghi thêm được"
            )
        if period is None:
            models.Round.objects.create(year=draft.year, status=models.RoundStatus.OPEN)
            models.RoundEvent.objects.create(
                year=draft.year,
                action="open",
                username=who,
                at=now,
                note=f"mở để ghi số liệu đọc từ báo cáo cũ (bản nháp {draft.pk})",
            )
            round_made = True
            if hasattr(actor, "_ktxh_lookup"):
                delattr(actor, "_ktxh_lookup")
        current = _versions([w.key for _, w in writes])
        cells = [
            CellWrite(
                w.indicator,
                w.orgunit,
                w.year,
                w.measure,
                current.get(w.key, 0),
                w.text,
                source_ref=w.source_ref,
            )
            for _, w in writes
        ]
        try:
            done = write_values(actor, cells, source=models.Source.REPORT, batch=batch)
        except WriteRefused as exc:
            raise DraftError([p.message for p in exc.problems]) from None
        _keep_confidence([f for f, _ in writes])
        later = models.Round.objects.filter(year__gt=draft.year).exists()
        if round_made and later:
            models.Round.objects.filter(year=draft.year).update(status=models.RoundStatus.CLOSED)
            models.RoundEvent.objects.create(
                year=draft.year,
                action="close",
                username=who,
                at=timezone.now(),
                note=f"khóa sổ sau khi ghi số liệu báo cáo cũ (bản nháp {draft.pk})",
            )
        locked.status = DraftStatus.CONFIRMED
        locked.decided_by = who
        locked.decided_at = now
        locked.batch = batch
        locked.written = done.changed
        locked.save()
    draft.refresh_from_db()
    return Confirmed(draft, done.changed, batch, skipped, round_made)


def _versions(keys: Iterable[Key]) -> dict[Key, int]:
    wanted = set(keys)
    years = {k[2] for k in wanted}
    out = {}
    for v in models.Value.objects.filter(year__in=years).values_list(
        "indicator_id", "orgunit_id", "year", "measure", "version"
    ):
        key = (v[0], v[1], v[2], v[3])
        if key in wanted:
            out[key] = v[4]
    return out


def _keep_confidence(finals: Sequence[Final]) -> None:
    """The reading's confidence and reasoning on the values written (a value a person
    typed has none: it is what they decided)."""
    by_key = {f.key: f for f in finals}
    years = {k[2] for k in by_key}
    changed = []
    for v in models.Value.objects.filter(year__in=years, source=models.Source.REPORT):
        f = by_key.get((v.indicator_id, v.orgunit_id, v.year, v.measure))
        if f is not None and (v.confidence, v.note) != (f.confidence, f.note):
            v.confidence, v.note = f.confidence, f.note
            changed.append(v)
    models.Value.objects.bulk_update(changed, ["confidence", "note"], batch_size=500)


def discard(actor: User, draft: Draft) -> Draft:
    """Give up a draft: nothing of it is written; it stays listed as discarded."""
    _require_planner(actor)
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        _open(locked)
        locked.status = DraftStatus.DISCARDED
        locked.decided_by = actor.get_username()
        locked.decided_at = timezone.now()
        locked.save()
    return locked


__all__ = [
    "DECISION_WORDS",
    "Confirmed",
    "DraftError",
    "allowed_decisions",
    "apply_review",
    "confirm",
    "create_draft",
    "decide",
    "discard",
    "draft_reading",
    "final_values",
]
