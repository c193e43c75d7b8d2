"""Check findings as JSON for machines (schema: docs/findings.schema.json)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ktxh.domain.checks import Finding, Severity
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
    }


def findings_document(ds: Dataset, findings: list[Finding]) -> dict[str, Any]:
    counts = Counter(f.severity for f in findings)
    return {
        "dataset": ds.name,
        "reference_year": ds.reference_year,
        "summary": {s.value: counts.get(s, 0) for s in Severity},
        "findings": [finding_record(ds, f) for f in findings],
    }
