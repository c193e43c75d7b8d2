"""Checks: find and explain every inconsistency in a plan.

    ctx = CheckContext(catalog, tree, values, year, top, claims)
    findings = run_checks(ctx, extra_rules=declared)   # every finding, with its cause id
    causes = group_causes(findings, ctx)                # one entry per cause

Each rule (``rules.py``) is a small class with an ``id``, a Vietnamese
``title`` and ``find(ctx)``, which works on the whole value table at once and
yields :class:`Finding` objects with a Vietnamese explanation. Findings that
share a cause are grouped (``causes.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ktxh.domain.catalog import MEASURES
from ktxh.domain.checks.causes import Cause, assign_causes, group_causes
from ktxh.domain.checks.model import CheckContext, Finding, Hint, Rule, Severity
from ktxh.domain.checks.rules import DeclaredRule, generic_rules, iter_findings

__all__ = [
    "Cause",
    "CheckContext",
    "DeclaredRule",
    "Finding",
    "Hint",
    "Rule",
    "Severity",
    "generic_rules",
    "group_causes",
    "run_checks",
    "sort_findings",
]


def sort_findings(findings: Iterable[Finding], ctx: CheckContext) -> list[Finding]:
    """In the order of the forms: form, row, org unit, year, measure."""
    org_order = {code: n for n, code in enumerate(ctx.tree.units)}
    measure_order = {m: n for n, m in enumerate(MEASURES)}

    def key(f: Finding) -> tuple[int, int, int, int, int, str]:
        ind = ctx.catalog.indicators.get(f.indicator or "")
        return (
            ind.form if ind else 0,
            ind.position if ind else f.seed_line or 0,
            org_order.get(f.orgunit or "", -1),
            f.year or 0,
            measure_order.get(f.measure or "", -1),
            f.rule,
        )

    return sorted(findings, key=key)


def run_checks(
    ctx: CheckContext,
    extra_rules: Sequence[object] = (),
    min_severity: Severity = Severity.NOTICE,
    rules: Sequence[object] | None = None,
) -> list[Finding]:
    """Run the generic rules (or ``rules``) and the declared ones; give each finding
    the id of its cause (findings are grouped before any is left out); keep those at
    or above ``min_severity``; return them in form order."""
    chosen = list(generic_rules() if rules is None else rules) + list(extra_rules)
    ctx.declared = tuple(r for r in chosen if isinstance(r, DeclaredRule))
    found = assign_causes(list(iter_findings(chosen, ctx)), ctx)
    return sort_findings((f for f in found if f.severity.rank >= min_severity.rank), ctx)
