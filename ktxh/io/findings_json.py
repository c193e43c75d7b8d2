"""Check findings as JSON for machines (schema: docs/findings.schema.json).

One entry per cause (:class:`ktxh.domain.checks.Cause`): the fields of its first
finding, its ``cause`` id and message, every cell it involves, and the other
findings of the cause, each in full, as its ``consequences``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ktxh.domain.checks import Cause, CheckContext, Finding, Severity, group_causes
from ktxh.domain.dataset import Dataset

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "findings.schema.json"


def finding_record(ds: Dataset, f: Finding) -> dict[str, Any]:
    ind = ds.catalog.indicators.get(f.indicator or "")
    org = ds.tree.units.get(f.orgunit or "")
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "form": ind.form if ind else None,
        "position": ind.position if ind else None,
        "code": f.indicator,
        "indicator": ind.name if ind else None,
        "orgunit": org.full_name if org else None,
        "orgunit_code": f.orgunit,
        "year": f.year,
        "measure": f.measure,
        "values": dict(f.values),
        "expected": f.expected,
        "message": f.message,
        "seed_line": f.seed_line,
        "cause": f.cause or f.key,
    }


def _cell(c: tuple[str, str, int, str]) -> dict[str, Any]:
    return {"code": c[0], "orgunit_code": c[1], "year": c[2], "measure": c[3]}


def cause_record(ds: Dataset, cause: Cause) -> dict[str, Any]:
    out = finding_record(ds, cause.lead)
    out["cause"] = cause.id
    out["cause_message"] = cause.message
    out["cells"] = [_cell(c) for c in cause.cells]
    out["consequences"] = [finding_record(ds, f) for f in cause.consequences]
    return out


def findings_document(
    ds: Dataset,
    findings: Sequence[Finding] | Sequence[Cause],
    ctx: CheckContext | None = None,
) -> dict[str, Any]:
    """The document for the findings of a check run, grouped by cause (the findings
    carry their cause ids, :func:`ktxh.domain.checks.run_checks`), or for causes."""
    causes: list[Cause] = [c for c in findings if isinstance(c, Cause)]
    flat = [f for f in findings if isinstance(f, Finding)]
    if flat:
        causes += group_causes(flat, ctx)
    counts = Counter(c.severity for c in causes)
    return {
        "dataset": ds.name,
        "reference_year": ds.reference_year,
        "summary": {s.value: counts.get(s, 0) for s in Severity},
        "counts": {
            "causes": len(causes),
            "findings": sum(len(c.findings) for c in causes),
        },
        "findings": [cause_record(ds, c) for c in causes],
    }
