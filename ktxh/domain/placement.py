"""Placing a printed row's cells into the columns of its form, by arithmetic.

A printed (or OCR'd) row is a sequence of value cells; the form says which
columns a row has: the year's plan, first half and estimate, next year's plan
(the total), one column per unit below the top unit, and the comparison
percentages. When nothing was lost, the cells sit under their headers. When
the OCR dropped or shifted cells, a person places them by reasoning, and so
does :func:`place`:

* the units add up to the total (or, for a rate, the total lies among them;
  for a count, it counts the units that have one);
* a printed comparison % is the ratio of two columns (new / old, or old / new
  for lower-is-better rows), within the rounding of what is printed;
* values of one row are of one magnitude, a unit's share is not above the
  total, a percentage is not in the thousands;
* cells keep their order; a cell sitting under its header counts for it.

Every order-keeping way to put the cells into the columns (a few cells may
be left over: a duplicated column, a stray cell) is scored with these
arguments; the best one is taken. How sure the placement is depends on
whether the cells sat where the header says, and on how far the best
placement is ahead of the next one that would store different values.

Pure: no I/O. The explanation of each placement is Vietnamese, for the review
list a person goes through.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ktxh.domain.numbers import format_number

# Slot roles. "main" roles are the year's columns; "next" is next year's plan (the
# total of the units); "unit" one unit's next-year plan; the ratios are printed %.
MAIN_ROLES = ("plan", "h1", "estimate", "actual")
RATIO_ROLES = ("ratio_estimate_plan", "ratio_nextplan_estimate")
ROLE_LABELS = {
    "plan": "Kế hoạch",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH cả năm",
    "actual": "Thực hiện cả năm",
    "next": "Định hướng kế hoạch năm sau (tổng cộng)",
    "unit": "đơn vị",
    "ratio_estimate_plan": "So sánh Ước TH/KH (%)",
    "ratio_nextplan_estimate": "So sánh KH năm sau/Ước TH (%)",
}
# (new role, old role) of each printed ratio
RATIO_SIDES = {
    "ratio_estimate_plan": ("estimate", "plan"),
    "ratio_nextplan_estimate": ("next", "estimate"),
}

# Scores of the arguments. A verified ratio or sum is strong evidence; a failed one is
# weak counter-evidence, because sources print real mistakes.
RATIO_OK = 3.0
RATIO_ROUNDING = 1.6
RATIO_NONE_MARK = -0.5
RATIO_BAD = -0.8
RATIO_UNVERIFIED = -0.25
SUM_OK = 3.0
SUM_OK_PER_UNIT = 0.3
SINGLE_UNIT_OK = 1.2
SUM_BAD = -0.6
MEAN_OK = 1.0
MEAN_CLOSE = 1.0
MEAN_BAD = -0.4
COUNT_OK = 2.0
AT_HEADER = 1.0  # every cell under its header
AT_HEADER_SURPLUS = 0.3
BREAK = -0.6  # each place where the cells shift against the header
UNIT_OUTLIER = -1.5
MAGNITUDE_BAD = -2.5
RATIO_IMPLAUSIBLE = -2.5
UNIT_ABOVE_TOTAL = -1.0
LEFT_OVER = -1.3
EXCESS_LEFT = -2.5  # a cell left over in a row that has no cell too many
IN_ORDER = 2.0
UNIT_DROPPED = -1.1
SKIP = {"plan": -0.4, "h1": -0.2, "estimate": -0.35, "actual": -0.3, "next": -0.3}
RATIO_SKIP = -0.05
PACKED_LEFT = 0.04
SAME_DECIMALS = 0.15
PREFER_NEIGHBOUR = 0.3
CLOSE = 0.6

MAX_DROPPED_IN_UNITS = 2
MAX_LEFT_OVER = 3


class Sureness(StrEnum):
    HIGH = "high"  # the cells sat under their headers and nothing contradicts them
    MEDIUM = "medium"  # moved by reasoning that the arithmetic confirms
    LOW = "low"  # a best guess


@dataclass(frozen=True, slots=True)
class Slot:
    """A column a row can have a value in."""

    role: str  # plan, h1, estimate, actual, next, unit, ratio_estimate_plan, ...
    orgunit: str = ""  # for a unit column
    label: str = ""  # the unit's name, for messages
    col: int | None = None  # the column the header puts it in (0-based), if known
    year: int | None = None  # the year the header gives the column, if it gives one

    @property
    def group(self) -> str:
        if self.role in MAIN_ROLES:
            return "main"
        if self.role in RATIO_ROLES:
            return "ratio"
        return self.role  # "next" or "unit"

    @property
    def name(self) -> str:
        return self.label if self.role == "unit" else ROLE_LABELS.get(self.role, self.role)


@dataclass(frozen=True, slots=True)
class Token:
    """A value cell of a row, in the order printed."""

    col: int  # 0-based column in the printed row
    value: float | None  # None for "-" or an unreadable cell
    decimals: int = 0
    readable: bool = True  # False: text that is not a number ("4.70", OCR noise)

    @property
    def is_number(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the catalog says about the row's indicator."""

    consolidation: str = "sum"  # sum, rate, weighted_mean, count, city_only, none
    down: bool = False  # lower is better
    decimals: int = 0


@dataclass
class Placement:
    assign: dict[int, int]  # slot index -> token index
    left_over: tuple[int, ...]  # token indices placed nowhere
    score: float
    reasons: list[str] = field(default_factory=list)  # arguments that held (Vietnamese)
    doubts: list[str] = field(default_factory=list)  # arguments that failed (Vietnamese)
    at_header: bool = False  # every cell sat under its header
    in_order: bool = False  # the cells fill every column in order, none lost
    sureness: Sureness = Sureness.LOW
    runner_up: Placement | None = None
    close: set[tuple[int, ...]] = field(default_factory=set)  # skeletons argued nearly as well

    def skeleton(self, n_slots: int) -> tuple[int, ...]:
        """Which slots are filled (1) or empty (0): rows of one page share it."""
        return tuple(1 if i in self.assign else 0 for i in range(n_slots))


def _tol(decimals: int) -> float:
    return 0.5 * 10.0**-decimals


def _n(v: float, decimals: int) -> str:
    return format_number(v, decimals, parens=True)


def _input_tol(tok: Token) -> float:
    """How far a printed input of a ratio may be from the figure it was rounded from:
    half a unit of its last decimal; a small whole number is a count, exact."""
    if tok.decimals == 0 and tok.value is not None and abs(tok.value) < 50:
        return 0.0
    return _tol(tok.decimals)


def _ratio_ok(printed: Token, new: Token, old: Token, down: bool) -> tuple[int, Token, Token]:
    """Whether a printed % is the ratio of its new and old columns (2: exactly, as
    rounded; 1: within the rounding of the printed inputs; 0: no), and which way round.

    Either way round is accepted (sources print lower-is-better rows both ways).
    """
    assert printed.value is not None and new.value is not None and old.value is not None
    p = printed.value
    half = _tol(printed.decimals) + 1e-9
    pairs = ((old, new), (new, old)) if down else ((new, old), (old, new))
    grade, best = 0, (new, old)
    for num, den in pairs:
        assert num.value is not None and den.value is not None
        if den.value == 0:
            continue
        exact = num.value / den.value * 100
        if abs(exact - p) <= half:
            return 2, num, den
        hn, hd = _input_tol(num), _input_tol(den)
        if grade == 0 and abs(den.value) > hd:
            cands = [(num.value + a) / (den.value + b) * 100 for a in (-hn, hn) for b in (-hd, hd)]
            if min(cands) - half <= p <= max(cands) + half:
                grade, best = 1, (num, den)
    return grade, best[0], best[1]


def _sum_slack(total: Token, units: Sequence[Token]) -> float:
    """How far a sum of printed parts may be from its printed total: half a unit of
    the finest place printed, and a thousandth for parts rounded before adding."""
    finest = max([total.decimals, *(u.decimals for u in units)])
    return _tol(finest) + 0.001 * abs(total.value or 0.0) + 1e-9


def _units_check(total: Token | None, units: list[Token], facts: Facts) -> tuple[float, str]:
    """Score of the units against the total, and the argument's name ("" for none)."""
    if total is None or total.value is None or not units or not total.readable:
        return 0.0, ""
    if any(not u.readable for u in units):
        return 0.0, ""  # a unit cell that cannot be read: nothing to add up
    nums = [u.value for u in units if u.value is not None]
    if not nums:
        return 0.0, ""
    t = total.value
    if abs(sum(nums) - t) <= _sum_slack(total, units):
        # the units add up to the total (a source may add up even its rates)
        if len(nums) == 1:
            return SINGLE_UNIT_OK, "single"
        gained = SUM_OK + SUM_OK_PER_UNIT * len(nums)
        if len(nums) >= 3 and len(set(nums)) == 1:
            gained /= 2  # equal units: any as many of them add up as well
        return gained, "sum_ok"
    if facts.consolidation in ("rate", "weighted_mean"):
        if len(nums) < 2:
            return 0.0, ""
        slack = _tol(total.decimals) + max(_tol(u.decimals) for u in units)
        mean = sum(nums) / len(nums)
        if abs(mean - t) <= _tol(total.decimals) + 1e-9:
            return MEAN_OK + MEAN_CLOSE, "mean_close"
        if min(nums) - slack <= t <= max(nums) + slack:
            return MEAN_OK, "mean_ok"
        return MEAN_BAD, "mean_bad"
    if facts.consolidation == "count" or all(v in (0.0, 1.0) for v in nums):
        counted = sum(1 for v in nums if v > 0)
        if counted == t and counted >= 2:
            return COUNT_OK, "count"
    if facts.consolidation in ("sum", "count"):
        return SUM_BAD, "sum_bad"
    return 0.0, ""


class _Scorer:
    """Scores assignments of one row's tokens; the arguments are computed once each."""

    def __init__(self, slots: Sequence[Slot], tokens: Sequence[Token], facts: Facts) -> None:
        self.slots, self.tokens, self.facts = slots, tokens, facts
        self.role_slot = {sl.role: i for i, sl in enumerate(slots) if sl.role != "unit"}
        self.unit_slots = [i for i, sl in enumerate(slots) if sl.role == "unit"]
        self.skip = [SKIP.get(sl.role, RATIO_SKIP if sl.group == "ratio" else 0.0) for sl in slots]
        # cells under their header count for less in a row with more cells than columns
        self.at_row = AT_HEADER if len(tokens) <= len(slots) else AT_HEADER_SURPLUS
        self.surplus = max(0, len(tokens) - len(slots))
        self.main_slots = [
            self.role_slot[r] for r in ("plan", "estimate", "actual", "next") if r in self.role_slot
        ]

        self.ratio_slots = [(r, self.role_slot[r]) for r in RATIO_ROLES if r in self.role_slot]
        self._ratio: dict[tuple[str, int, int | None, int | None], tuple[float, str]] = {}
        self._units: dict[tuple[int | None, tuple[int | None, ...]], tuple[float, str]] = {}
        self._mag: dict[tuple[int | None, ...], float] = {}
        self._implied: dict[
            tuple[tuple[int | None, ...], int, int], tuple[float, float | None]
        ] = {}

    def ratio(self, role: str, ti: int, new: int | None, old: int | None) -> tuple[float, str]:
        key = (role, ti, new, old)
        hit = self._ratio.get(key)
        if hit is None:
            hit = self._ratio_term(role, ti, new, old)
            self._ratio[key] = hit
        return hit

    def _ratio_term(
        self, role: str, ti: int, new: int | None, old: int | None
    ) -> tuple[float, str]:
        tok = self.tokens[ti]
        if tok.value is None:
            if not tok.readable or new is None or old is None:
                return 0.0, ""
            a, b = self.tokens[new], self.tokens[old]
            if a.value is not None and b.value is not None and b.value != 0:
                return RATIO_NONE_MARK, ""  # "-" for a ratio both columns would give
            return 0.0, ""
        if not (-10000 < tok.value < 10000) or tok.decimals > 2:
            return RATIO_IMPLAUSIBLE, "implausible"
        if new is None or old is None:
            return RATIO_UNVERIFIED, ""
        a, b = self.tokens[new], self.tokens[old]
        if a.value is None or b.value is None:
            return 0.0, ""
        grade, _, _ = _ratio_ok(tok, a, b, self.facts.down)
        if grade == 2:
            return RATIO_OK, "ok"
        if grade == 1:
            return RATIO_ROUNDING, "ok"
        return RATIO_BAD, "bad"

    def units(self, total: int | None, units: tuple[int | None, ...]) -> tuple[float, str]:
        key = (total, units)
        hit = self._units.get(key)
        if hit is None:
            t = None if total is None else self.tokens[total]
            toks = [self.tokens[u] for u in units if u is not None]
            gained, what = _units_check(t, toks, self.facts)
            if (
                t is not None
                and t.value is not None
                and t.value >= 0
                and self.facts.consolidation in ("sum", "count")
            ):
                for u in toks:
                    if u.value is not None and u.value > t.value * 1.001 + _tol(u.decimals):
                        gained += UNIT_ABOVE_TOTAL
            if self.facts.consolidation in ("rate", "weighted_mean"):
                vals = sorted(abs(u.value) for u in toks if u.value is not None)
                if len(vals) >= 3:
                    mid = vals[len(vals) // 2]
                    if mid > 0 and (vals[-1] > 5 * mid or vals[0] * 5 < mid):
                        gained += UNIT_OUTLIER  # one unit's rate far from the others'
            hit = (gained, what)
            self._units[key] = hit
        return hit

    def implied(
        self, units: tuple[int | None, ...], est: int, r2: int
    ) -> tuple[float, float | None]:
        """A total the print lost: the units' sum, if the printed next/estimate % agrees
        with it (the % implies the total)."""
        key = (units, est, r2)
        hit = self._implied.get(key)
        if hit is None:
            toks = [self.tokens[u] for u in units if u is not None]
            nums = [u.value for u in toks if u.value is not None]
            hit = (0.0, None)
            if (
                len(nums) >= 2
                and all(u.readable for u in toks)
                and self.facts.consolidation in ("sum", "count")
                and self.tokens[est].value is not None
                and self.tokens[r2].value is not None
            ):
                added = sum(nums)
                dec = max(u.decimals for u in toks)
                total = Token(-1, added, dec)
                grade, _, _ = _ratio_ok(self.tokens[r2], total, self.tokens[est], self.facts.down)
                if grade:
                    # the units' sum stands for the lost total, and the % is verified
                    ratio = RATIO_OK if grade == 2 else RATIO_ROUNDING
                    hit = (SUM_OK + SUM_OK_PER_UNIT * len(nums) + ratio - RATIO_UNVERIFIED, added)
            self._implied[key] = hit
        return hit

    def precision(self, assign: dict[int, int]) -> float:
        """A column's figures share their decimals: the year's columns the plan's, the
        total its units' (a total with the units' one decimal is their sum)."""
        rs, tokens = self.role_slot, self.tokens
        gained = 0.0
        plan = assign.get(rs["plan"]) if "plan" in rs else None
        if plan is not None and tokens[plan].value is not None:
            for role in ("h1", "estimate"):
                t = assign.get(rs[role]) if role in rs else None
                if (
                    t is not None
                    and tokens[t].value is not None
                    and tokens[t].decimals == tokens[plan].decimals
                ):
                    gained += SAME_DECIMALS
        total = assign.get(rs["next"]) if "next" in rs else None
        if total is not None and tokens[total].value is not None and self.unit_slots:
            decs = [
                tokens[t].decimals
                for u in self.unit_slots
                if (t := assign.get(u)) is not None and tokens[t].value is not None
            ]
            if decs and max(decs) > 0 and tokens[total].decimals == max(decs):
                gained += 2 * SAME_DECIMALS
        return gained

    def magnitude(self, mains: tuple[int | None, ...]) -> float:
        hit = self._mag.get(mains)
        if hit is None:
            vals = [
                abs(v)
                for m in mains
                if m is not None and (v := self.tokens[m].value) is not None and v != 0
            ]
            hit = MAGNITUDE_BAD if len(vals) >= 2 and max(vals) > 20 * min(vals) else 0.0
            self._mag[mains] = hit
        return hit

    def total(
        self, assign: dict[int, int], left_over: int, dropped: int, packed_left: bool
    ) -> float:
        s = 0.0
        slots, tokens = self.slots, self.tokens
        last, breaks, positioned = 0, 0, 0
        for i, skip in enumerate(self.skip):
            ti = assign.get(i)
            if ti is None:
                s += skip
                continue
            col = slots[i].col
            if col is None:
                continue
            positioned += 1
            delta = tokens[ti].col - col
            if delta != last:
                breaks += 1
                last = delta
        if positioned:
            s += self.at_row if not breaks else BREAK * breaks
        rs = self.role_slot
        for role, si in self.ratio_slots:
            ti = assign.get(si)
            if ti is None:
                continue
            new_role, old_role = RATIO_SIDES[role]
            new = assign.get(rs[new_role]) if new_role in rs else None
            old = assign.get(rs[old_role]) if old_role in rs else None
            s += self.ratio(role, ti, new, old)[0]
        if self.unit_slots:
            total = assign.get(rs["next"]) if "next" in rs else None
            units = tuple(assign.get(u) for u in self.unit_slots)
            s += self.units(total, units)[0]
            if total is None and "ratio_nextplan_estimate" in rs and "estimate" in rs:
                r2 = assign.get(rs["ratio_nextplan_estimate"])
                est = assign.get(rs["estimate"])
                if r2 is not None and est is not None and not left_over:
                    s += self.implied(units, est, r2)[0]
        s += self.magnitude(tuple(assign.get(m) for m in self.main_slots))
        s += self.precision(assign)
        s += LEFT_OVER * (left_over - dropped) + UNIT_DROPPED * dropped
        if left_over > self.surplus:
            s += EXCESS_LEFT * (left_over - self.surplus)
        elif not left_over and len(assign) == len(slots) == len(tokens):
            s += IN_ORDER  # every column has its cell, in order: nothing was lost
        if packed_left:
            s += PACKED_LEFT
        return s

    def explain(self, p: Placement) -> None:
        """The arguments that hold and fail for a placement, in Vietnamese."""
        assign, tokens, rs = p.assign, self.tokens, self.role_slot
        for role, si in self.ratio_slots:
            ti = assign.get(si)
            if ti is None:
                continue
            new_role, old_role = RATIO_SIDES[role]
            new = assign.get(rs[new_role]) if new_role in rs else None
            old = assign.get(rs[old_role]) if old_role in rs else None
            _, what = self.ratio(role, ti, new, old)
            tok = tokens[ti]
            assert tok.value is not None or not what
            if what == "implausible":
                assert tok.value is not None
                p.doubts.append(
                    f"{ROLE_LABELS[role]}: «{_n(tok.value, tok.decimals)}» không giống tỷ lệ"
                )
            elif what in ("ok", "bad"):
                assert new is not None and old is not None and tok.value is not None
                grade, num, den = _ratio_ok(tok, tokens[new], tokens[old], self.facts.down)
                assert num.value is not None and den.value is not None
                if grade:
                    p.reasons.append(
                        f"{ROLE_LABELS[role]}: {format_number(num.value)}/"
                        f"{format_number(den.value)} = {_n(num.value / den.value * 100, 1)}, "
                        f"in {_n(tok.value, tok.decimals)}"
                    )
                else:
                    p.doubts.append(
                        f"{ROLE_LABELS[role]}: in {_n(tok.value, tok.decimals)} không bằng tỷ "
                        "lệ hai cột"
                    )
        if self.unit_slots:
            total = assign.get(rs["next"]) if "next" in rs else None
            units = tuple(assign.get(u) for u in self.unit_slots)
            _, what = self.units(total, units)
            toks = [tokens[u] for u in units if u is not None]
            if total is not None and what:
                t = tokens[total]
                assert t.value is not None
                d = max([t.decimals, *(u.decimals for u in toks)])
                added = sum(u.value for u in toks if u.value is not None)
                if what == "mean_close":
                    p.reasons.append(
                        f"trung bình các đơn vị bằng tổng cộng {_n(t.value, t.decimals)}"
                    )
                elif what == "mean_ok":
                    p.reasons.append(f"tổng cộng {_n(t.value, t.decimals)} nằm giữa các đơn vị")
                elif what == "mean_bad":
                    p.doubts.append("tổng cộng không nằm giữa giá trị các đơn vị")
                elif what == "single":
                    p.reasons.append(f"đơn vị duy nhất có số bằng tổng cộng {_n(t.value, d)}")
                elif what == "sum_ok":
                    p.reasons.append(f"các đơn vị cộng lại bằng tổng cộng {_n(t.value, d)}")
                elif what == "count":
                    p.reasons.append(f"tổng cộng {_n(t.value, 0)} là số đơn vị có giá trị")
                elif what == "sum_bad":
                    p.doubts.append(
                        f"các đơn vị cộng lại {_n(added, d)}, tổng cộng in {_n(t.value, d)}"
                    )
            if total is None and "ratio_nextplan_estimate" in rs and "estimate" in rs:
                r2 = assign.get(rs["ratio_nextplan_estimate"])
                est = assign.get(rs["estimate"])
                if r2 is not None and est is not None and not p.left_over:
                    gained, implied_total = self.implied(units, est, r2)
                    if gained and implied_total is not None:
                        p.reasons.append(
                            "ô tổng cộng bị mất: các đơn vị cộng lại "
                            f"{format_number(implied_total)}, "
                            "khớp tỷ lệ KH năm sau/Ước TH in trên biểu"
                        )
        if self.magnitude(tuple(assign.get(m) for m in self.main_slots)):
            p.doubts.append("các số của năm chênh nhau quá nhiều lần")

    def finish(self, assign: dict[int, int], left_over: tuple[int, ...], score: float) -> Placement:
        slots, tokens = self.slots, self.tokens
        positions_known = any(sl.col is not None for sl in slots)
        at_header = (
            positions_known
            and not left_over
            and len(assign) == len(tokens)
            and all(slots[s].col == tokens[t].col for s, t in assign.items())
        )
        in_order = (
            not left_over
            and len(assign) == len(slots) == len(tokens)
            and all(assign[i] == i for i in range(len(slots)))
        )
        p = Placement(dict(assign), left_over, score, at_header=at_header, in_order=in_order)
        self.explain(p)
        return p


def _regions(slots: Sequence[Slot]) -> list[tuple[str, list[int]]]:
    """Consecutive slots grouped: "free" groups (any subset may be printed) and the
    "units" group (printed left to right, a few cells may be lost)."""
    out: list[tuple[str, list[int]]] = []
    for i, sl in enumerate(slots):
        kind = "units" if sl.role == "unit" else "free"
        if out and out[-1][0] == kind and (kind == "units" or len(out[-1][1]) < 4):
            out[-1][1].append(i)
        else:
            out.append((kind, [i]))
    return out


def _unit_variants(
    slot_ids: list[int], slots: Sequence[Slot], tokens: Sequence[Token], tids: list[int]
) -> Iterator[tuple[dict[int, int], tuple[int, ...], bool]]:
    """Ways to put ``tids`` into the unit slots: under their headers (cells under no
    unit's header left over), packed to the left, packed to the right."""
    m, n = len(tids), len(slot_ids)
    if m == 0:
        yield {}, (), False
        return
    seen: set[tuple[tuple[int, int], ...]] = set()
    cols = {slots[s].col: s for s in slot_ids if slots[s].col is not None}
    if cols:
        by_col = [cols.get(tokens[t].col) for t in tids]
        placed = [(c, t) for c, t in zip(by_col, tids, strict=True) if c is not None]
        lost = [t for c, t in zip(by_col, tids, strict=True) if c is None]
        if (
            placed
            and len(lost) <= MAX_DROPPED_IN_UNITS
            and len({c for c, _ in placed}) == len(placed)
        ):
            pos = dict(placed)
            if list(pos) == sorted(pos):
                key = tuple(sorted(pos.items()))
                seen.add(key)
                yield dict(pos), tuple(lost), False
    if m > n:
        return
    left = dict(zip(slot_ids[:m], tids, strict=True))
    key = tuple(sorted(left.items()))
    if key not in seen:
        seen.add(key)
        yield left, (), True
    right = dict(zip(slot_ids[n - m :], tids, strict=True))
    key = tuple(sorted(right.items()))
    if key not in seen:
        seen.add(key)
        yield right, (), False


Candidate = tuple[float, dict[int, int], tuple[int, ...]]  # score, slot -> token, left over


def candidates(scorer: _Scorer) -> Iterator[Candidate]:
    """Every argued way to place the tokens, scored, in no particular order.

    At most ``max(2, cells - columns + 1)`` cells are left over: a row loses cells
    more often than it gains them.
    """
    slots, tokens = scorer.slots, scorer.tokens
    regions = _regions(slots)
    k = len(tokens)
    cap = min(MAX_LEFT_OVER + MAX_DROPPED_IN_UNITS, max(2, k - len(slots) + 1))
    after = [sum(len(ids) for _, ids in regions[r + 1 :]) for r in range(len(regions))]

    def walk(
        r: int, t: int, assign: dict[int, int], dropped: tuple[int, ...], packed: bool
    ) -> Iterator[Candidate]:
        if r == len(regions):
            if k - t > MAX_LEFT_OVER or k - t + len(dropped) > cap:
                return
            left = (*dropped, *range(t, k))
            yield scorer.total(assign, len(left), len(dropped), packed), assign, left
            return
        room = after[r] + cap - len(dropped)
        kind, ids = regions[r]
        if kind == "free":
            # a comparison column printed twice: one cell among the ratios may be left over
            spare = 1 if slots[ids[0]].group == "ratio" and len(dropped) < cap else 0
            for m in range(min(len(ids), k - t) + 1):
                for extra in range(min(spare, k - t - m) + 1):
                    if k - t - m - extra > room or (extra and m == 0):
                        continue
                    window = range(t, t + m + extra)
                    for skipped in itertools.combinations(window[1:], extra):
                        chosen_tokens = [x for x in window if x not in skipped]
                        for chosen in itertools.combinations(ids, m):
                            a = dict(assign)
                            for sid, tid in zip(chosen, chosen_tokens, strict=True):
                                a[sid] = tid
                            yield from walk(r + 1, t + m + extra, a, (*dropped, *skipped), packed)
        else:
            n = len(ids)
            for m in range(min(n + MAX_DROPPED_IN_UNITS, k - t) + 1):
                if k - t - m > room:
                    continue
                span = list(range(t, t + m))
                extra = max(0, m - n)
                for drop in itertools.combinations(span, extra):
                    kept = [x for x in span if x not in drop]
                    for variant, lost, to_left in _unit_variants(ids, slots, tokens, kept):
                        gone = extra + len(lost)
                        if gone > MAX_DROPPED_IN_UNITS or len(dropped) + gone > cap:
                            continue
                        a = dict(assign)
                        a.update(variant)
                        yield from walk(
                            r + 1,
                            t + m,
                            a,
                            (*dropped, *drop, *lost),
                            packed or (to_left and m < n),
                        )

    yield from walk(0, 0, {}, (), False)


def _direct(slots: Sequence[Slot], tokens: Sequence[Token]) -> Iterator[dict[int, int]]:
    """The readings a person tries first: every cell under its header; the cells
    filling the columns in order."""
    cols = {sl.col: i for i, sl in enumerate(slots) if sl.col is not None}
    if cols:
        assign = {cols[t.col]: j for j, t in enumerate(tokens) if t.col in cols}
        if len(assign) == len(tokens) and list(assign) == sorted(assign):
            yield assign
    if len(tokens) == len(slots):
        yield {i: i for i in range(len(slots))}


def under_headers(slots: Sequence[Slot], tokens: Sequence[Token], facts: Facts) -> Placement | None:
    """Every cell under its column's header, for a table whose cells are in a true
    grid (a workbook, a Word table, a PDF's ruled table): that is where they are."""
    cols = {sl.col: i for i, sl in enumerate(slots) if sl.col is not None}
    assign = {cols[t.col]: j for j, t in enumerate(tokens) if t.col in cols}
    if not cols or len(assign) != len(tokens):
        return None
    scorer = _Scorer(slots, tokens, facts)
    p = scorer.finish(assign, (), scorer.total(assign, 0, 0, False))
    p.at_header = True
    p.sureness = Sureness.HIGH
    return p


def _values(
    assign: dict[int, int], tokens: Sequence[Token]
) -> tuple[tuple[int, float | None, bool], ...]:
    """What a placement would store: slot -> value (so that equal values tie)."""
    return tuple(sorted((s, tokens[t].value, tokens[t].readable) for s, t in assign.items()))


def place(
    slots: Sequence[Slot],
    tokens: Sequence[Token],
    facts: Facts,
    prefer: tuple[int, ...] | None = None,
) -> Placement:
    """The best placement, with how sure it is and the runner-up that would store
    other values. ``prefer`` is the skeleton (filled slots) of a sure row of the same
    table with as many cells: between placements argued equally well, a person takes
    the one its neighbours show."""
    if not tokens:
        return Placement({}, (), 0.0, sureness=Sureness.HIGH, at_header=True, in_order=True)
    scorer = _Scorer(slots, tokens, facts)
    n = len(slots)
    if prefer is None:
        # cells in order, or each under its header, with nothing against them: as printed
        for direct in _direct(slots, tokens):
            p = scorer.finish(direct, (), scorer.total(direct, 0, 0, False))
            if not p.doubts and p.in_order:
                p.sureness = Sureness.HIGH
                return p
    ranked: list[Candidate] = []
    for sc, assign, left in candidates(scorer):
        if prefer is not None and tuple(1 if i in assign else 0 for i in range(n)) == prefer:
            sc += PREFER_NEIGHBOUR
        ranked.append((sc, assign, left))
    ranked.sort(key=lambda c: -c[0])
    sc, assign, left = ranked[0]
    best = scorer.finish(assign, left, sc)
    stored = _values(assign, tokens)
    second = None
    for sc2, assign2, left2 in ranked[1:]:
        if _values(assign2, tokens) != stored:
            second = scorer.finish(assign2, left2, sc2)
            break
    margin = math.inf if second is None else best.score - second.score
    best.runner_up = second
    best.close = {
        tuple(1 if i in a else 0 for i in range(n)) for sc2, a, _ in ranked if sc2 >= sc - CLOSE
    }
    if (best.at_header or best.in_order) and not best.doubts:
        best.sureness = Sureness.HIGH
    elif best.at_header or best.in_order or (best.reasons and margin >= 1.5):
        # in place but the arithmetic disagrees (a misread cell, or the source's mistake),
        # or moved by arithmetic that holds
        best.sureness = Sureness.MEDIUM
    else:
        best.sureness = Sureness.LOW
    return best
