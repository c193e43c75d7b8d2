"""The org-unit tree through time: province / district / city / ward / commune, any depth.

Each unit has a stable code and a validity period (``valid_from`` inclusive,
``valid_to`` exclusive). A unit's row holds it as it was when it began (its
first name, its first parent); what happened to it afterwards is a dated
:class:`OrgEvent` with its legal basis: a merge (several units → one), a split
(one → several, with shares where they are known), a rename, a move to another
parent, or a level abolished (the districts removed, their communes directly
under the province). :meth:`OrgTree.at` gives the tree valid on a day, and
:meth:`OrgTree.crosswalk` says how each unit of one day is made of the units of
an earlier day, so that history is mapped onto today's units without rewriting
it (``ktxh.domain.history``).

In a tree of one day each unit has a materialised ``path`` of codes from the
root ("lai-chau/doan-ket"), so that a subtree is a prefix match, in memory and in
SQL alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property


@dataclass(frozen=True, slots=True)
class OrgUnit:
    code: str
    name: str  # "Đoàn Kết"
    level: str  # "phường", "xã", "thành phố", "tỉnh" ...
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None  # exclusive; None: still valid

    @property
    def full_name(self) -> str:
        """The name people write: "phường Đoàn Kết", "thành phố Lai Châu"."""
        return f"{self.level} {self.name}" if self.level else self.name

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )

    def valid_in(self, start: date, end: date) -> bool:
        """Valid on some day of [start, end] (both inclusive)."""
        return (self.valid_from is None or self.valid_from <= end) and (
            self.valid_to is None or start < self.valid_to
        )

    def validity(self) -> str:
        """For people: "từ 01/07/2025", "đến hết 30/06/2025", "từ ... đến hết ..."."""
        parts = []
        if self.valid_from is not None:
            parts.append(f"từ {self.valid_from:%d/%m/%Y}")
        if self.valid_to is not None:
            parts.append(f"đến hết {self.valid_to - timedelta(days=1):%d/%m/%Y}")
        return " ".join(parts) or "không giới hạn thời gian"


class EventKind(StrEnum):
    MERGE = "merge"  # sources -> one target (new, or one of the sources that absorbs)
    SPLIT = "split"  # one source -> targets, with shares when known
    RENAME = "rename"  # one unit, new_name
    MOVE = "move"  # one unit, new_parent
    ABOLISH_LEVEL = "abolish_level"  # every unit of ``level`` ends; its children move up


EVENT_WORDS = {
    EventKind.MERGE: "hợp nhất, sáp nhập",
    EventKind.SPLIT: "chia tách",
    EventKind.RENAME: "đổi tên",
    EventKind.MOVE: "chuyển về đơn vị cấp trên khác",
    EventKind.ABOLISH_LEVEL: "bỏ cấp hành chính",
}


@dataclass(frozen=True, slots=True)
class OrgEvent:
    """A dated change of the tree, with its legal basis (``basis``: "Nghị quyết số
    1670/NQ-UBTVQH15 ngày 16/6/2025 của Ủy ban Thường vụ Quốc hội") and where the fact
    comes from (``source``: a citation or address)."""

    id: str
    day: date  # the first day of the new state
    kind: EventKind
    sources: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()  # a split's shares, one per target; () when unknown
    new_name: str = ""
    new_parent: str = ""
    level: str = ""
    basis: str = ""
    source: str = ""
    note: str = ""

    def describe(self) -> str:
        """For a timeline: "01/07/2025: hợp nhất, sáp nhập tan-phong, dong-phong → tp-moi"."""
        what = EVENT_WORDS[self.kind]
        if self.kind is EventKind.RENAME:
            detail = f"{self.sources[0]} thành «{self.new_name}»"
        elif self.kind is EventKind.MOVE:
            detail = f"{self.sources[0]} về {self.new_parent}"
        elif self.kind is EventKind.ABOLISH_LEVEL:
            detail = f"cấp «{self.level}»"
        else:
            detail = f"{', '.join(self.sources)} → {', '.join(self.targets)}"
        basis = f" ({self.basis})" if self.basis else ""
        return f"{self.day:%d/%m/%Y}: {what} {detail}{basis}"


def fold(text: str) -> str:
    """Lower case without diacritics, for forgiving look-ups ("Doan Ket" -> "doan ket")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().replace("-", " ").split())


@dataclass(frozen=True)
class Unknown:
    """A unit whose earlier values cannot be made from its predecessors', and why."""

    reason: str


Crosswalk = dict[str, dict[str, float] | Unknown]
"""For each unit of a later day: the units of an earlier day it is made of, each with
its weight (1 for a whole unit, a split's share for a part), or why it cannot be."""


class OrgTree:
    """An org-unit tree of any depth, with its history.

    ``units`` each hold their first state; ``events`` what changed after. Without
    events and validity bounds the tree is the same on every day. Children keep the
    order the units were given in.
    """

    def __init__(self, units: Iterable[OrgUnit], events: Sequence[OrgEvent] = ()) -> None:
        units = list(units)
        self.units: dict[str, OrgUnit] = {}
        self._children: dict[str | None, list[str]] = {}
        for u in units:
            if u.code in self.units:
                raise ValueError(f"Mã đơn vị «{u.code}» bị trùng")
            self.units[u.code] = u
            self._children.setdefault(u.parent, []).append(u.code)
        for u in units:
            if u.parent is not None and u.parent not in self.units:
                raise ValueError(f"Đơn vị «{u.code}»: đơn vị cấp trên «{u.parent}» không tồn tại")
        self.events: tuple[OrgEvent, ...] = tuple(sorted(events, key=lambda e: (e.day, e.id)))
        self.paths: dict[str, str] = {}
        for root in self._children.get(None, []):
            self._walk(root, "")
        if len(self.paths) != len(self.units):
            raise ValueError("Cây đơn vị có vòng lặp")
        self._at: dict[date, OrgTree] = {}
        self._walks: dict[tuple[date, date], Crosswalk] = {}

    def _walk(self, code: str, prefix: str) -> None:
        path = f"{prefix}{code}"
        self.paths[code] = path
        for child in self._children.get(code, []):
            if child not in self.paths:
                self._walk(child, path + "/")

    def __iter__(self) -> Iterator[OrgUnit]:
        return iter(self.units.values())

    def __len__(self) -> int:
        return len(self.units)

    def __getitem__(self, code: str) -> OrgUnit:
        return self.units[code]

    def __contains__(self, code: object) -> bool:
        return code in self.units

    @property
    def roots(self) -> list[OrgUnit]:
        return [self.units[c] for c in self._children.get(None, [])]

    @cached_property
    def changes(self) -> bool:
        """Does the tree change over time (events, or a unit that begins or ends)?"""
        return bool(self.events) or any(
            u.valid_from is not None or u.valid_to is not None for u in self.units.values()
        )

    def children(self, code: str, on: date | None = None) -> list[OrgUnit]:
        """The units directly below ``code`` (on a day: as the tree was that day)."""
        if on is not None and self.changes:
            snapshot = self.at(on)
            return snapshot.children(code) if code in snapshot else []
        return [self.units[c] for c in self._children.get(code, [])]

    def depth(self, code: str) -> int:
        return self.paths[code].count("/")

    def subtree(self, code: str) -> list[OrgUnit]:
        """The unit and everything below it (prefix match on the path)."""
        prefix = self.paths[code]
        return [
            self.units[c]
            for c, p in self.paths.items()
            if p == prefix or p.startswith(prefix + "/")
        ]

    def parent_map(self) -> dict[str, str]:
        return {u.code: u.parent for u in self.units.values() if u.parent is not None}

    # --- through time -----------------------------------------------------------------

    def at(self, day: date) -> OrgTree:
        """The tree as it was on ``day``: the units valid then, with the names and
        parents they had, and no history (every unit of it is valid)."""
        if not self.changes:
            return self
        cached = self._at.get(day)
        if cached is not None:
            return cached
        names, parents = self.state(day)
        valid = [u for u in self.units.values() if u.valid_on(day)]
        alive = {u.code for u in valid}
        snapshot = OrgTree(
            replace(
                u,
                name=names[u.code],
                parent=_alive_parent(u.code, parents, alive),
                valid_from=None,
                valid_to=None,
            )
            for u in valid
        )
        self._at[day] = snapshot
        return snapshot

    def state(self, day: date) -> tuple[dict[str, str], dict[str, str | None]]:
        """Every unit's name and parent on ``day``, after the renames, moves and
        abolished levels up to that day (whether or not the unit is valid then)."""
        names = {c: u.name for c, u in self.units.items()}
        parents = {c: u.parent for c, u in self.units.items()}
        for e in self.events:
            if e.day > day:
                break
            if e.kind is EventKind.RENAME:
                names[e.sources[0]] = e.new_name
            elif e.kind is EventKind.MOVE:
                parents[e.sources[0]] = e.new_parent or None
            elif e.kind is EventKind.ABOLISH_LEVEL:
                gone = {c for c, u in self.units.items() if u.level == e.level}
                for c, p in list(parents.items()):
                    while p is not None and p in gone:
                        p = parents.get(p)
                    parents[c] = p
        return names, parents

    def valid_in_year(self, code: str, year: int) -> bool:
        u = self.units.get(code)
        return u is not None and u.valid_in(date(year, 1, 1), date(year, 12, 31))

    def timeline(self, code: str) -> list[str]:
        """The unit's history for people, oldest first."""
        u = self.units[code]
        lines = []
        if u.valid_from is not None:
            lines.append(f"{u.valid_from:%d/%m/%Y}: bắt đầu ({u.full_name})")
        for e in self.events:
            if (
                code in e.sources
                or code in e.targets
                or (e.kind is EventKind.ABOLISH_LEVEL and u.level == e.level)
            ):
                lines.append(e.describe())
        if u.valid_to is not None:
            lines.append(f"{u.valid_to:%d/%m/%Y}: không còn")
        return lines

    def crosswalk(self, later: date, earlier: date) -> Crosswalk:
        """How each unit valid on ``later`` is made of units valid on ``earlier``.

        Walks the merges and splits between the two days backwards: a merged unit is
        its sources (and itself, when it absorbed them), a part of a split is its share
        of the unit split; a unit made without known shares, or begun from nothing in
        between, cannot be mapped. Renames, moves and abolished levels keep a unit's
        code, so they change nothing here.
        """
        cached = self._walks.get((later, earlier))
        if cached is not None:
            return cached
        current: Crosswalk = {
            u.code: {u.code: 1.0} for u in self.units.values() if u.valid_on(later)
        }
        self._walks[(later, earlier)] = current
        if earlier >= later:
            return current
        between = [
            e
            for e in self.events
            if earlier < e.day <= later and e.kind in (EventKind.MERGE, EventKind.SPLIT)
        ]
        days = sorted({e.day for e in between}, reverse=True)
        for day in days:  # the events of one day at once, latest day first
            made: dict[str, dict[str, float] | Unknown] = {}
            for e in between:
                if e.day != day:
                    continue
                if e.kind is EventKind.MERGE:
                    (target,) = e.targets
                    made[target] = {s: 1.0 for s in e.sources} | (
                        {target: 1.0} if target in e.sources else {}
                    )
                else:
                    (source,) = e.sources
                    for n, target in enumerate(e.targets):
                        if e.shares:
                            made[target] = {source: e.shares[n]}
                        else:
                            made[target] = Unknown(
                                f"{target} được chia tách từ {source} ngày {e.day:%d/%m/%Y} mà "
                                "không có tỷ lệ chia, nên không tính được số liệu trước đó"
                            )
            for code, parts in list(current.items()):
                if isinstance(parts, Unknown) or not made.keys() & parts.keys():
                    continue
                current[code] = _expand(parts, made)
        for code, parts in list(current.items()):
            if isinstance(parts, Unknown):
                continue
            begun = [u for u in parts if not self.units[u].valid_on(earlier)]
            if begun:
                current[code] = Unknown(
                    f"{', '.join(begun)} chưa có vào ngày {earlier:%d/%m/%Y} và không được "
                    "lập từ đơn vị nào đã có, nên không có số liệu để so sánh"
                )
        return current

    def find(self, query: str, on: date | None = None) -> OrgUnit:
        """Look a unit up by code, name or full name, ignoring case and diacritics
        (with ``on``, among the units valid that day). A name several units share,
        over time or in different places, is refused with each one's code and dates."""
        if query in self.units:
            return self.units[query]
        q = fold(query)
        pool = [u for u in self.units.values() if on is None or u.valid_on(on)]
        matches = [u for u in pool if q in (fold(u.code), fold(u.name), fold(u.full_name))]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            names = ", ".join(u.full_name for u in pool[:40])
            more = f" và {len(pool) - 40} đơn vị khác" if len(pool) > 40 else ""
            raise KeyError(f"Không có đơn vị «{query}». Các đơn vị: {names}{more}")
        found = "; ".join(f"{u.full_name} (mã {u.code}, {u.validity()})" for u in matches)
        raise KeyError(f"«{query}» khớp nhiều đơn vị: {found}. Hãy ghi mã của đơn vị cần chọn")


def _expand(
    parts: dict[str, float], made: dict[str, dict[str, float] | Unknown]
) -> dict[str, float] | Unknown:
    """``parts`` with every unit a same-day event made replaced by what it was made of
    (through chains of that day's events; a unit that absorbed others stays itself)."""
    out: dict[str, float] = {}
    stack = [(unit, weight, frozenset[str]()) for unit, weight in parts.items()]
    while stack:
        unit, weight, seen = stack.pop()
        sub = made.get(unit)
        if sub is None or unit in seen:
            out[unit] = out.get(unit, 0.0) + weight
            continue
        if isinstance(sub, Unknown):
            return sub
        for s, w in sub.items():
            if s == unit:
                out[s] = out.get(s, 0.0) + weight * w
            else:
                stack.append((s, weight * w, seen | {unit}))
    return out


def _alive_parent(code: str, parents: dict[str, str | None], alive: set[str]) -> str | None:
    """The unit's parent on the day, skipping parents that are not valid then."""
    p = parents.get(code)
    seen: set[str] = set()
    while p is not None and p not in alive and p not in seen:
        seen.add(p)
        p = parents.get(p)
    return p


def check_events(tree: OrgTree) -> list[str]:
    """Each event must agree with the units' validity and with the other events:
    a merge's sources end on its day and its target begins then (or is one of the
    sources); a split's source ends and its targets begin; shares are positive and
    add up to 1; a rename or move names one unit valid that day; a new parent is valid
    that day; an abolished level has units that end that day."""
    out: list[str] = []
    units = tree.units
    for e in tree.events:
        where = f"Sự kiện {e.id} ({e.day:%d/%m/%Y})"
        for code in (*e.sources, *e.targets):
            if code not in units:
                out.append(f"{where}: không có đơn vị «{code}»")
        if any(code not in units for code in (*e.sources, *e.targets)):
            continue
        if e.kind is EventKind.MERGE:
            if len(e.targets) != 1 or len(e.sources) < 1:
                out.append(f"{where}: hợp nhất cần ít nhất một đơn vị cũ và đúng một đơn vị mới")
                continue
            target = e.targets[0]
            for s in e.sources:
                if s != target and units[s].valid_to != e.day:
                    out.append(f"{where}: {s} phải hết hiệu lực từ ngày của sự kiện")
            if target not in e.sources and units[target].valid_from != e.day:
                out.append(f"{where}: {target} phải bắt đầu từ ngày của sự kiện")
        elif e.kind is EventKind.SPLIT:
            if len(e.sources) != 1 or len(e.targets) < 1:
                out.append(f"{where}: chia tách cần đúng một đơn vị cũ và các đơn vị mới")
                continue
            if units[e.sources[0]].valid_to != e.day and e.sources[0] not in e.targets:
                out.append(f"{where}: {e.sources[0]} phải hết hiệu lực từ ngày của sự kiện")
            for t in e.targets:
                if t != e.sources[0] and units[t].valid_from != e.day:
                    out.append(f"{where}: {t} phải bắt đầu từ ngày của sự kiện")
            if e.shares:
                if len(e.shares) != len(e.targets):
                    out.append(f"{where}: số tỷ lệ chia khác số đơn vị mới")
                elif any(s <= 0 for s in e.shares) or abs(sum(e.shares) - 1) > 1e-6:
                    out.append(f"{where}: các tỷ lệ chia phải dương và cộng lại bằng 1")
        elif e.kind in (EventKind.RENAME, EventKind.MOVE):
            if len(e.sources) != 1:
                out.append(f"{where}: cần đúng một đơn vị")
                continue
            if not units[e.sources[0]].valid_on(e.day):
                out.append(f"{where}: {e.sources[0]} không còn hiệu lực vào ngày đó")
            if e.kind is EventKind.RENAME and not e.new_name:
                out.append(f"{where}: thiếu tên mới")
            if e.kind is EventKind.MOVE:
                parent = units.get(e.new_parent)
                if parent is None:
                    out.append(f"{where}: không có đơn vị cấp trên mới «{e.new_parent}»")
                elif not parent.valid_on(e.day):
                    out.append(f"{where}: đơn vị cấp trên mới {e.new_parent} không có hiệu lực")
        elif e.kind is EventKind.ABOLISH_LEVEL:
            ending = [u for u in units.values() if u.level == e.level]
            if not ending:
                out.append(f"{where}: không có đơn vị nào ở cấp «{e.level}»")
            for u in ending:
                if u.valid_on(e.day):
                    out.append(f"{where}: {u.code} ở cấp «{e.level}» vẫn còn hiệu lực")
    out += _orphans(tree)
    return out


def _orphans(tree: OrgTree) -> list[str]:
    """A unit valid on a day when its parent is not, with no event that moved it."""
    days = sorted(
        {d for u in tree for d in (u.valid_from, u.valid_to) if d is not None}
        | {e.day for e in tree.events}
    )
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for day in days:
        _, parents = tree.state(day)
        for u in tree:
            p = parents.get(u.code)
            orphan = u.valid_on(day) and p is not None and not tree[p].valid_on(day)
            if orphan and p is not None and (u.code, p) not in seen:
                seen.add((u.code, p))
                out.append(
                    f"Đơn vị {u.code} còn hiệu lực ngày {day:%d/%m/%Y} nhưng đơn vị cấp trên "
                    f"{p} thì không: hãy ghi sự kiện chuyển {u.code} về đơn vị khác, bỏ "
                    f"cấp của {p}, hoặc ngày hết hiệu lực của {u.code}"
                )
    return out


PERIOD_DAYS = {"plan": (1, 1), "h1": (6, 30)}  # else: the last day of the year


def period_day(year: int, measure: str) -> date:
    """The day whose tree a value of (year, measure) belongs to: a plan is set for the
    units at the start of its year, a first half is of the units of 30 June, an
    estimate or an actual of the units at the end of the year."""
    month, day = PERIOD_DAYS.get(measure, (12, 31))
    return date(year, month, day)
