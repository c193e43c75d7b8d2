"""The org-unit tree: province / city / ward / commune, any depth, with validity.

Each unit has a materialised ``path`` of codes from the root ("lai-chau/doan-ket"),
so that a subtree is a prefix match, in memory and in SQL alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date


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


def fold(text: str) -> str:
    """Lower case without diacritics, for forgiving look-ups ("Doan Ket" -> "doan ket")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().replace("-", " ").split())


class OrgTree:
    """An org-unit tree of any depth. Children keep the order they were given in."""

    def __init__(self, units: list[OrgUnit]) -> None:
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
        self.paths: dict[str, str] = {}
        for root in self._children.get(None, []):
            self._walk(root, "")
        if len(self.paths) != len(self.units):
            raise ValueError("Cây đơn vị có vòng lặp")

    def _walk(self, code: str, prefix: str) -> None:
        path = f"{prefix}{code}"
        self.paths[code] = path
        for child in self._children.get(code, []):
            self._walk(child, path + "/")

    def __iter__(self) -> Iterator[OrgUnit]:
        return iter(self.units.values())

    def __len__(self) -> int:
        return len(self.units)

    def __getitem__(self, code: str) -> OrgUnit:
        return self.units[code]

    @property
    def roots(self) -> list[OrgUnit]:
        return [self.units[c] for c in self._children.get(None, [])]

    def children(self, code: str, on: date | None = None) -> list[OrgUnit]:
        kids = [self.units[c] for c in self._children.get(code, [])]
        return [k for k in kids if on is None or k.valid_on(on)]

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

    def find(self, query: str) -> OrgUnit:
        """Look a unit up by code, name or full name, ignoring case and diacritics."""
        if query in self.units:
            return self.units[query]
        q = fold(query)
        matches = [
            u for u in self.units.values() if q in (fold(u.code), fold(u.name), fold(u.full_name))
        ]
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(u.full_name for u in self.units.values())
        if not matches:
            raise KeyError(f"Không có đơn vị «{query}». Các đơn vị: {names}")
        found = ", ".join(u.full_name for u in matches)
        raise KeyError(f"«{query}» khớp nhiều đơn vị: {found}")
