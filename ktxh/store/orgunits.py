"""The org-unit tree's state changes: recording a reorganisation in the store.

:func:`record_reorganisation` adds new units and their events (merges, splits,
renames, moves, a level abolished) to the store's tree in one transaction,
ending the units the events end, after checking the whole history again
(:func:`ktxh.domain.orgunits.check_events`) and that no stored value falls
outside the validity it gives. Values are never moved or rewritten: history is
mapped onto the new units when it is compared (``ktxh.domain.history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ktxh.domain.orgunits import EventKind, OrgEvent, OrgTree, OrgUnit, check_events
from ktxh.store import models
from ktxh.store.frames import current_plan, static_parts
from ktxh.store.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ReorganisationError(ValueError):
    """A reorganisation that cannot be recorded; ``problems`` says why, in Vietnamese."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        text = "\n".join(f"- {p}" for p in self.problems[:50])
        super().__init__(f"Không ghi được việc sắp xếp đơn vị ({len(self.problems)} lỗi):\n{text}")


@dataclass(frozen=True, slots=True)
class Recorded:
    units: int
    events: int
    ended: int  # existing units whose validity the events ended


def record_reorganisation(
    actor: User, units: Sequence[OrgUnit], events: Sequence[OrgEvent]
) -> Recorded:
    """Add ``units`` (new, each as it begins) and ``events`` to the store's tree.

    The sources of a merge or a split and the units of an abolished level end on the
    event's day (their ``valid_to`` is set, or must already be that day). Refused,
    with every reason, when a code is taken, the history does not hold together,
    or a stored value would fall outside its unit's validity. Only the planner of
    the top unit records a reorganisation.
    """
    plan = current_plan()
    top = models.OrgUnit.objects.get(code=plan.top_orgunit)
    require(actor, "review", top)
    tree = static_parts(plan).tree
    problems: list[str] = []
    for u in units:
        if u.code in tree.units:
            problems.append(f"Mã đơn vị «{u.code}» đã có trong cây đơn vị")
    known_events = {e.id for e in tree.events}
    for e in events:
        if e.id in known_events:
            problems.append(f"Sự kiện «{e.id}» đã được ghi")
    ends: dict[str, date] = {}
    all_units = {**tree.units, **{u.code: u for u in units}}
    for e in events:
        if e.kind in (EventKind.MERGE, EventKind.SPLIT):
            for s in e.sources:
                if s not in e.targets:
                    ends[s] = e.day
        elif e.kind is EventKind.ABOLISH_LEVEL:
            for u in all_units.values():
                if u.level == e.level and u.valid_on(e.day):
                    ends[u.code] = e.day
    ended = 0
    for code, day in ends.items():
        unit = all_units.get(code)
        if unit is None:
            continue  # named in check_events
        if unit.valid_to is not None and unit.valid_to != day:
            problems.append(
                f"Đơn vị {code} đã có ngày hết hiệu lực {unit.valid_to:%d/%m/%Y}, khác ngày "
                f"{day:%d/%m/%Y} của sự kiện"
            )
        elif unit.valid_to is None:
            all_units[code] = replace(unit, valid_to=day)
            ended += code in tree.units
    try:
        combined = OrgTree(all_units.values(), [*tree.events, *events])
    except ValueError as exc:
        raise ReorganisationError([*problems, str(exc)]) from None
    problems += check_events(combined)
    problems += _values_outside(combined, [c for c in ends if c in tree.units])
    if problems:
        raise ReorganisationError(problems)

    who = actor.get_username()
    now = timezone.now()
    with transaction.atomic():
        for code in ends:
            if code in tree.units and tree[code].valid_to is None:
                models.OrgUnit.objects.filter(code=code).update(valid_to=ends[code])
        order = (models.OrgUnit.objects.aggregate(m=Max("order"))["m"] or 0) + 1
        for n, u in enumerate(sorted(units, key=lambda u: combined.depth(u.code))):
            models.OrgUnit.objects.create(
                code=u.code,
                name=u.name,
                level=u.level,
                parent_id=u.parent,
                path=combined.paths[u.code],
                order=order + n,
                valid_from=u.valid_from,
                valid_to=all_units[u.code].valid_to,
            )
        first = (models.OrgEvent.objects.aggregate(m=Max("order"))["m"] or 0) + 1
        models.OrgEvent.objects.bulk_create(
            models.OrgEvent(
                code=e.id, day=e.day, kind=e.kind.value, row=event_row(e, now, who), order=first + n
            )
            for n, e in enumerate(events)
        )
        models.Plan.objects.filter(pk=plan.pk).update(loaded_at=now)  # rebuild the caches
    return Recorded(len(units), len(events), ended)


def _values_outside(tree: OrgTree, codes: list[str]) -> list[str]:
    """Stored values of ``codes`` for a year their new validity no longer covers."""
    out = []
    rows = (
        models.Value.objects.filter(orgunit_id__in=codes)
        .exclude(value__isnull=True, printed="")
        .values_list("orgunit_id", "year")
        .distinct()
    )
    for code, year in sorted(set(rows)):
        if not tree.valid_in_year(code, year):
            u = tree[code]
            out.append(
                f"{u.full_name} (mã {code}) còn số liệu năm {year}, sau ngày hết hiệu lực "
                f"mới ({u.validity()}): hãy xóa hoặc chuyển các số liệu đó trước"
            )
    return out


def event_row(e: OrgEvent, at: object, who: str) -> dict[str, str]:
    """An event as a row of orgunit_events.csv."""
    return {
        "id": e.id,
        "date": e.day.isoformat(),
        "kind": e.kind.value,
        "sources": " ".join(e.sources),
        "targets": " ".join(e.targets),
        "shares": " ".join(repr(s) for s in e.shares),
        "new_name": e.new_name,
        "new_parent": e.new_parent,
        "level": e.level,
        "basis": e.basis,
        "source": e.source,
        "note": e.note,
        "recorded_at": timezone.localtime(at).isoformat() if at is not None else "",  # type: ignore[arg-type]
        "recorded_by": who,
    }
