"""One finding per cause.

A single wrong cell breaks every relation it takes part in: the San Thàng rice
figure makes its ward column not add up, its crops not add up to its grain, and
its production differ from area × yield. Listing each broken relation on its own
sends a planning officer to the same cell three times. Findings share a cause,
and are listed as one :class:`Cause` with the others as its consequences, when

* they are the same rule on the same row (a rate that does not fit its basis in
  six wards; a row of the narrative that has no table row);
* they agree on one cell: each broken relation says what a cell should hold for
  it to be true (:class:`~ktxh.domain.checks.model.Hint`); when two say the same
  value for the same cell (or one says a value that the other's bound allows),
  fixing that one cell mends both. The cause then names the cell and the value;
* one is the notice that a unit's cell is blank and the other a relation that
  involves that cell;
* they are notices that a check could not be made for the same reason: the
  same note of the dataset on the values behind them (one cell lost on a page).

A cause takes the gravest severity of its findings; its id is the key of its
first finding (``rule|code|orgunit|year|measure``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ktxh.domain.catalog import MEASURES
from ktxh.domain.checks.expressions import CODE
from ktxh.domain.checks.model import (
    CheckContext,
    Finding,
    Hint,
    Key,
    Severity,
    cell_label,
    num,
    with_unit,
)

_RULE_ORDER = (
    "narrative",
    "units_sum",
    "parts_sum",
    "structure_sum",
    "part_le_whole",
    "rate_range",
    "rate_parts",
    "weighted_mean",
    "printed_ratio",
    "h1_le_estimate",
    "share_bounds",
    "whole_counts",
    "jump",
    "missing_unit",
)


@dataclass(frozen=True)
class Cause:
    """Findings with one cause: the first says it, the others are its consequences."""

    id: str
    findings: tuple[Finding, ...]
    message: str  # Vietnamese: the cause, or the first finding's message
    cell: Key | None = None  # the one cell every finding agrees on, when there is one
    value: float | None = None  # what that cell should hold, by the relations

    @property
    def lead(self) -> Finding:
        return self.findings[0]

    @property
    def consequences(self) -> tuple[Finding, ...]:
        return self.findings[1:]

    @property
    def severity(self) -> Severity:
        return self.lead.severity

    @property
    def cells(self) -> tuple[Key, ...]:
        return tuple(dict.fromkeys(c for f in self.findings for c in f.cells))


class _Union:
    def __init__(self, n: int) -> None:
        self.up = list(range(n))

    def find(self, i: int) -> int:
        while self.up[i] != i:
            self.up[i] = self.up[self.up[i]]
            i = self.up[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)


def _agree(a: Hint, b: Hint) -> bool:
    """Two hints on one cell that one value satisfies, at least one of them a value."""
    if a.point and b.point:
        return a.lo <= b.hi + 1e-9 and b.lo <= a.hi + 1e-9
    if a.point:
        return b.lo - 1e-9 <= a.mid <= b.hi + 1e-9
    if b.point:
        return a.lo - 1e-9 <= b.mid <= a.hi + 1e-9
    return False


def _row_key(f: Finding, forms: Mapping[str, int]) -> tuple[str, str]:
    """The row a finding is about. A unit printed wrong in the unit column is the
    form's habit, one cause per form; a figure of the narrative with no table row, one
    cause for the narrative."""
    if f.rule == "permille_as_percent" and f.indicator is not None and f.indicator in forms:
        return (f.rule, f"form {forms[f.indicator]}")
    if f.indicator is None:
        return (f.rule, "")
    return (f.rule, f.indicator)


def _agrees_on(a: Hint, fa: Finding, b: Hint, fb: Finding) -> bool:
    """Two values for one cell that agree; or a value inside a bound, when both findings
    are about that very cell (a jump and a wrong total of the same cell)."""
    if a.point and b.point:
        return _agree(a, b)
    if a.point or b.point:
        return fa.cell == fb.cell == a.cell and _agree(a, b)
    return False


def group_indices(
    findings: Sequence[Finding],
    same: Mapping[Key, Key] | None = None,
    forms: Mapping[str, int] | None = None,
) -> list[list[int]]:
    """The findings (by index) that share a cause, each group in input order. ``same``
    maps a cell to another it equals by a declared rule that holds (a row printed
    twice); ``forms`` maps indicator codes to their form."""
    same, forms = same or {}, forms or {}

    def canon(c: Key) -> Key:
        return same.get(c, c)

    u = _Union(len(findings))
    first: dict[tuple[str, str], int] = {}
    for i, f in enumerate(findings):
        k = _row_key(f, forms)
        if k in first:
            u.join(first[k], i)
        else:
            first[k] = i
    by_cell: dict[Key, list[tuple[int, Hint]]] = defaultdict(list)
    for i, f in enumerate(findings):
        for h in f.hints:
            if math.isfinite(h.lo) or math.isfinite(h.hi):
                by_cell[canon(h.cell)].append((i, h))
    for hints in by_cell.values():
        for n, (i, a) in enumerate(hints):
            for j, b in hints[n + 1 :]:
                if i != j and _agrees_on(a, findings[i], b, findings[j]):
                    u.join(i, j)
    involving: dict[Key, list[int]] = defaultdict(list)
    for i, f in enumerate(findings):
        for c in f.cells:
            involving[c].append(i)
    for i, f in enumerate(findings):
        if f.rule == "missing_unit" and f.cell is not None:
            for j in involving.get(f.cell, []):
                u.join(i, j)
    same_note: dict[str, int] = {}
    for i, f in enumerate(findings):
        if f.uncertain and f.severity is Severity.NOTICE:
            if f.uncertain in same_note:
                u.join(same_note[f.uncertain], i)
            else:
                same_note[f.uncertain] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(findings)):
        groups[u.find(i)].append(i)
    return list(groups.values())


def _culprit(findings: Sequence[Finding]) -> tuple[Key, float, int] | None:
    """The one cell every finding agrees on, with the value they give it (and how
    many findings): a cause that a single corrected cell would mend."""
    per_cell: dict[Key, list[tuple[int, Hint]]] = defaultdict(list)
    for i, f in enumerate(findings):
        for h in f.hints:
            per_cell[h.cell].append((i, h))
        if f.rule == "missing_unit" and f.cell is not None:
            per_cell[f.cell].append((i, Hint(f.cell, -math.inf, math.inf, False)))
    best: tuple[Key, float, int] | None = None
    for cell, hints in per_cell.items():
        points = [h for _, h in hints if h.point]
        who = {i for i, _ in hints}
        if not points or len(who) < 2 or len(who) < len(findings):
            continue
        lo = max(h.lo for h in points)
        hi = min(h.hi for h in points)
        if lo > hi + 1e-9:
            continue
        v = (lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else points[0].mid
        if any(not (h.lo - 1e-9 <= v <= h.hi + 1e-9) for _, h in hints if not h.point):
            continue
        if best is None or len(who) > best[2]:
            best = (cell, v, len(who))
    return best


def _order(ctx: CheckContext | None) -> tuple[dict[str, int], dict[str, int]]:
    if ctx is None:
        return {}, {}
    return {code: n for n, code in enumerate(ctx.tree.units)}, {
        i.code: i.form * 10_000 + i.position for i in ctx.catalog
    }


def _sort_key(f: Finding, orgs: dict[str, int], rows: dict[str, int]) -> tuple[object, ...]:
    measure_order = {m: n for n, m in enumerate(MEASURES)}
    return (
        rows.get(f.indicator or "", f.seed_line or 0),
        orgs.get(f.orgunit or "", -1),
        f.year or 0,
        measure_order.get(f.measure or "", -1),
        f.rule,
    )


def _same_cells(findings: Sequence[Finding], ctx: CheckContext | None) -> dict[Key, Key]:
    """Cells of the findings that equal another cell by a declared ``A == B`` rule that
    holds there (a row printed twice, Biểu 1 repeating a sector table): one cell."""
    if ctx is None:
        return {}
    cells = {h.cell for f in findings for h in f.hints}
    out: dict[Key, Key] = {}
    for rule in ctx.declared:
        a, b = _single(getattr(rule, "left", "")), _single(getattr(rule, "right", ""))
        if getattr(rule, "operator", None) != "==" or a is None or b is None:
            continue
        wanted = {c for c in cells if c[0] in (a, b)}
        if not wanted:
            continue
        holds = rule.holds(ctx)
        for c in wanted:
            if (c[1], c[2], c[3]) in holds:
                out[c] = (min(a, b), c[1], c[2], c[3])
    return out


def _single(text: str) -> str | None:
    text = text.strip()
    return text if CODE.fullmatch(text) else None


def assign_causes(findings: Sequence[Finding], ctx: CheckContext | None = None) -> list[Finding]:
    """The findings, each with the id of its cause (its group's first finding's key)."""
    orgs, rows = _order(ctx)
    out = list(findings)
    taken: set[str] = set()
    forms = {i.code: i.form for i in ctx.catalog} if ctx is not None else {}
    for group in group_indices(findings, _same_cells(findings, ctx), forms):
        members = [findings[i] for i in group]
        lead = _lead(members, orgs, rows)
        cid = lead.key
        n = 2
        while cid in taken:
            cid, n = f"{lead.key}#{n}", n + 1
        taken.add(cid)
        for i in group:
            out[i] = replace(findings[i], cause=cid)
    return out


def _lead(members: Sequence[Finding], orgs: dict[str, int], rows: dict[str, int]) -> Finding:
    culprit = _culprit(members)
    rank = {r: n for n, r in enumerate(_RULE_ORDER)}

    def key(f: Finding) -> tuple[object, ...]:
        on_culprit = culprit is not None and any(h.cell == culprit[0] for h in f.hints)
        return (
            -f.severity.rank,
            not on_culprit,
            rank.get(f.rule, len(rank) - 1),
            _sort_key(f, orgs, rows),
        )

    return min(members, key=key)


def group_causes(findings: Iterable[Finding], ctx: CheckContext | None = None) -> list[Cause]:
    """The causes of findings whose cause ids are set (:func:`assign_causes`), in the
    order of the forms; each cause's findings gravest first."""
    orgs, rows = _order(ctx)
    by_id: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_id[f.cause or f.key].append(f)
    culprits = {
        cid: _culprit(members) if len(members) > 1 and ctx is not None else None
        for cid, members in by_id.items()
    }
    # the culprits' stored rows, in one pass over the value table
    stored = ctx.cell_rows(c[0] for c in culprits.values() if c) if ctx is not None else {}
    out = []
    for cid, members in by_id.items():
        lead = _lead(members, orgs, rows)
        rest = sorted(
            (f for f in members if f is not lead),
            key=lambda f: (-f.severity.rank, _sort_key(f, orgs, rows)),
        )
        culprit = culprits[cid]
        message = lead.message
        cell = value = None
        if culprit is not None and ctx is not None:
            cell, value, n = culprit
            message = _culprit_message(ctx, cell, value, n, stored.get(cell))
        out.append(Cause(cid, (lead, *rest), message, cell, value))
    out.sort(key=lambda c: _sort_key(c.lead, orgs, rows))
    return out


def _culprit_message(
    ctx: CheckContext, cell: Key, value: float, n: int, row: Mapping[str, Any] | None
) -> str:
    code, org, year, measure = cell
    ind = ctx.catalog.indicators.get(code)
    name = ind.label if ind else code
    where = cell_label(measure, year)
    if org != ctx.top:
        where = f"{where}, {ctx.org_name(org)}"
    decimals = max(ind.decimals if ind else 1, 1)
    should = with_unit(value, ind.unit if ind else "", decimals)
    if cell in ctx.lost:
        return (
            f"Ô «{name}» ({where}) bị mất khi đọc bản in: {n} phép kiểm tra không kết luận "
            f"được; theo các ô còn lại, ô này là khoảng {should}"
        )
    now = (
        "để trống"
        if row is None or row.get("value") is None
        else f"ghi {row.get('printed') or num(row['value'], 3)}"
    )
    return (
        f"Ô «{name}» ({where}) {now}: {n} phép kiểm tra cùng chỉ ra ô này, "
        f"và cùng cho thấy nó phải là khoảng {should}"
    )
