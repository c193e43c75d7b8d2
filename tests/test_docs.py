"""Generated documentation stays in step with the code and the data."""

import subprocess
import sys
from pathlib import Path

from ktxh.domain.checks import CheckContext, Severity, run_checks
from ktxh.domain.dataset import Dataset
from ktxh.io.findings_json import finding_record

ROOT = Path(__file__).resolve().parents[1]


def test_comparisons_doc_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "comparisons_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _key(f: dict[str, object]) -> str:
    parts = [f["rule"], f["code"], f["orgunit_code"], f["year"], f["measure"]]
    return "|".join("" if p is None else str(p) for p in parts)


def test_every_reported_inconsistency_was_checked_by_hand(dataset: Dataset) -> None:
    """docs/inconsistencies.md holds each error, warning and missing-unit notice."""
    doc = (ROOT / "docs" / "inconsistencies.md").read_text(encoding="utf-8").replace("\\|", "|")
    ctx = CheckContext(
        dataset.catalog,
        dataset.tree,
        dataset.values.frame,
        dataset.reference_year,
        dataset.top_orgunit,
        dataset.claims,
    )
    findings = [
        finding_record(dataset, f)
        for f in run_checks(ctx, dataset.rules)
        if f.severity is not Severity.NOTICE or f.rule == "missing_unit"
    ]
    missing = [k for k in map(_key, findings) if f"`{k}`" not in doc]
    assert not missing, missing
