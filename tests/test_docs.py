"""Generated documentation stays in step with the code and the data."""

import re
import subprocess
import sys
from pathlib import Path

from ktxh.domain.checks import CheckContext, Severity, group_causes, run_checks
from ktxh.domain.dataset import Dataset

ROOT = Path(__file__).resolve().parents[1]
INCONSISTENCIES = ROOT / "docs" / "inconsistencies.md"


def _script_check(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_comparisons_doc_is_current() -> None:
    _script_check("comparisons_doc.py")


def test_inconsistencies_doc_is_current() -> None:
    _script_check("inconsistencies_doc.py")


def _run(dataset: Dataset) -> tuple[CheckContext, list]:  # type: ignore[type-arg]
    ctx = CheckContext(
        dataset.catalog,
        dataset.tree,
        dataset.values.frame,
        dataset.reference_year,
        dataset.top_orgunit,
        dataset.claims,
    )
    return ctx, run_checks(ctx, dataset.rules)


def _doc() -> str:
    return INCONSISTENCIES.read_text(encoding="utf-8").replace("\\|", "|")


def test_every_reported_cause_was_checked_by_hand(dataset: Dataset) -> None:
    """docs/inconsistencies.md holds every cause ktxh reports, with its verdict."""
    doc = _doc()
    ctx, findings = _run(dataset)
    causes = group_causes(findings, ctx)
    missing = [c.id for c in causes if f"`{c.id}`" not in doc]
    assert not missing, missing
    # at most half the 144 findings of before issue 14, and the counts the doc states
    assert len(causes) <= 72
    n = {s: sum(1 for c in causes if c.severity is s) for s in Severity}
    row = f"**{n[Severity.ERROR]}** | **{n[Severity.WARNING]}** | **{n[Severity.NOTICE]}**"
    assert row in doc


def test_the_recall_figure_holds(dataset: Dataset) -> None:
    """Each error of the hand-made list that the doc says is found is reported as an error
    or a warning, and the stated recall is the share found (at least 95 %)."""
    doc = _doc()
    section = doc[doc.index("## Recall") : doc.index("## Every cause")]
    rows = re.findall(r"^\| (\d+) \| .*? \| (?:`([^`]+)`.*?|—) \| (yes|no) \|$", section, re.M)
    assert len(rows) >= 50
    _, findings = _run(dataset)
    reported = {f.key for f in findings if f.severity is not Severity.NOTICE}
    for n, key, found in rows:
        assert (found == "yes") == (key in reported), (n, key)
    found_n = sum(1 for _, _, found in rows if found == "yes")
    stated = re.search(r"\*\*Recall: (\d+) of (\d+) ", section)
    assert stated is not None
    assert (int(stated.group(1)), int(stated.group(2))) == (found_n, len(rows))
    assert found_n / len(rows) >= 0.95
