"""Write docs/comparisons.md: every printed comparison % of the Lai Châu dataset
held against the rule in ktxh.domain.compare.

    .venv/bin/python scripts/comparisons_doc.py            # rewrite the file
    .venv/bin/python scripts/comparisons_doc.py --check    # exit 1 if it is stale

The reasons below were checked by hand against the seed lines they cite.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import polars as pl

from ktxh.domain.catalog import Direction, RatioConvention
from ktxh.domain.compare import Agreement, agrees
from ktxh.domain.consolidate import consolidate
from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import decimals_of, format_number
from ktxh.domain.tables import AuditRow, CellIndex, ratio_audit
from ktxh.io.datapackage import read_dataset, shipped_package

DOC = Path(__file__).resolve().parents[1] / "docs" / "comparisons.md"

# (indicator, comparison) -> why the printed % is not the computed one.
REASONS = {
    ("B06.005", "estimate_plan"): "source error: 21/56 is 38; the 100 repeats the row above",
    ("B07.006", "estimate_plan"): (
        "the poverty rate is printed old/new (1,81/1,68 = 108) under a new/old header, "
        "unlike every other lower-is-better row of Biểu 7"
    ),
    ("B07.006", "nextplan_estimate"): "old/new again: 1,68/1,57 = 107; new/old is 93",
    ("B07.008", "nextplan_estimate"): (
        "new/old of the unrounded rates, (187/13.194)/(196/12.937) = 93,55"
    ),
    ("B07.056", "estimate_plan"): (
        "9/1,21 = 744, and a 9 printed whole allows 700; the 9 itself is the sum of the "
        "ward rates, not a rate (the checks flag the row: rate_range, jump)"
    ),
    ("B07.056", "nextplan_estimate"): "8,3/9 = 92, and 8,35/8,5 = 98 within the whole 9",
    ("B07.057", "estimate_plan"): "as line 534 (6 is a sum of ward rates)",
    ("B09.011", "nextplan_estimate"): "2,9/3,0 = 96,7; 2,95/3,0 = 98,3",
    ("B09.012", "estimate_plan"): "10,8/10,5 = 102,9; 10,85/10,45 = 103,8",
    ("B09.017", "estimate_plan"): "new/old of the counts behind the rates: 635/650 = 97,7",
    ("B10.009", "nextplan_estimate"): (
        "source error: the 2024 total is printed 1 where the 7 units (1 each) make 7; "
        "the printed 100 is 7/7"
    ),
    ("B10.015", "nextplan_estimate"): (
        "printed old/new (9,7/9,2 = 105), as Biểu 1 line 236 does, under a new/old header, "
        "unlike the other lower-is-better rows of Biểu 10 (lines 636, 637, 647, 648)"
    ),
    ("B10.024", "nextplan_estimate"): "source error: 60/50 is 120 (Biểu 1 line 234 prints 120)",
    ("B11.034", "nextplan_estimate"): (
        "source error: 27/25 schools is 108 (line 712 prints 108 for the same)"
    ),
    ("B11.041", "nextplan_estimate"): "source error: 6/1 is 600; a zero was lost",
    ("B11.043", "nextplan_estimate"): (
        "source error: 482/483 = 99,8; the 99 is 482/488, the rooms of the parts"
    ),
    ("B12.020", "nextplan_estimate"): (
        "source error: 58 is 94/163, Đoàn Kết's value over the city total; 163/163 = 100"
    ),
    ("B12.021", "nextplan_estimate"): "source error: 58 is 92/160, as the row above",
    ("B07.009", "estimate_plan"): (
        "no ratio by rule: a reduction (mức giảm) of a rate in points; 0,16/0,03 printed 529"
    ),
    ("B07.009", "nextplan_estimate"): "no ratio by rule: a reduction in points (0,11/0,16)",
    ("B09.013", "estimate_plan"): (
        "no ratio by rule: a reduction that changes sign (0,10 -> (1,73)); printed (1.730,0)"
    ),
    ("B09.013", "nextplan_estimate"): (
        "no ratio by rule: sign change ((1,73) -> 0,20); printed (12)"
    ),
    ("B13.003", "nextplan_estimate"): (
        "row has three values for four columns (plan, first half, estimate): no 2024 "
        "target survives to compute with"
    ),
    ("B13.004", "nextplan_estimate"): "as line 825: no 2024 target survives",
    ("B13.005", "nextplan_estimate"): "as line 825: no 2024 target survives",
    ("B13.007", "nextplan_estimate"): "as line 825: no 2024 target survives",
    ("B13.021", "nextplan_estimate"): "as line 825: no 2024 target survives",
    ("B13.020", "estimate_plan"): (
        "the plan cell holds a ditto mark with nothing above it; 114 implies a plan of 7"
    ),
}

GENERIC = {
    Agreement.ROUNDING: (
        "explained by the rounding of the printed inputs: the ratio of the unrounded "
        "figures can be the printed one"
    ),
    Agreement.INVERTED: "printed the other way round from its column's convention",
}


def direction_evidence(ds: Dataset, rows: list[AuditRow]) -> dict[int, tuple[list[int], list[int]]]:
    """For each form: the seed lines of its lower-is-better rows whose printed % is
    old/new only, and those whose printed % is new/old only (recomputed from the
    row's cells, allowing for the rounding of the printed inputs)."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    for r in rows:
        if r.indicator.direction is not Direction.DOWN:
            continue
        c = r.comparison
        new, old = _pair(ds, r)
        if c.printed.value is None or new is None or old is None:
            continue
        y = ds.reference_year
        dn = decimals_of(_printed(ds, r.indicator.code, y + c.spec.new[1], c.spec.new[0]))
        do = decimals_of(_printed(ds, r.indicator.code, y + c.spec.old[1], c.spec.old[0]))
        as_new_old = agrees(c.printed.value, c.decimals, new, old, dn or 0, do or 0, False)
        as_old_new = agrees(c.printed.value, c.decimals, new, old, dn or 0, do or 0, True)
        if as_new_old == as_old_new:
            continue  # both readings (equal values) or neither (a mistake): no evidence
        old_new, new_old = out.setdefault(r.indicator.form, ([], []))
        line = r.indicator.seed_line or 0
        (old_new if as_old_new else new_old).append(line)
    return out


def _printed(ds: Dataset, code: str, year: int, measure: str) -> str:
    hit = ds.values.frame.filter(
        (pl.col("indicator") == code)
        & (pl.col("orgunit") == ds.top_orgunit)
        & (pl.col("year") == year)
        & (pl.col("measure") == measure)
    )
    return "" if hit.is_empty() else str(hit["printed"][0] or "")


def _lines(lines: list[int]) -> str:
    return ", ".join(str(n) for n in sorted(set(lines))) or "none"


def _pair(ds: Dataset, r: AuditRow) -> tuple[float | None, float | None]:
    c = r.comparison
    y = ds.reference_year
    get = ds.values.get
    return (
        get(r.indicator.code, ds.top_orgunit, y + c.spec.new[1], c.spec.new[0]),
        get(r.indicator.code, ds.top_orgunit, y + c.spec.old[1], c.spec.old[0]),
    )


def render(ds: Dataset) -> str:
    cells = CellIndex(ds.values.frame).fill_totals(
        consolidate(ds.values.frame, ds.catalog, ds.tree)
    )
    rows = ratio_audit(ds.catalog, cells, ds.top_orgunit, ds.reference_year)
    counts = Counter(r.comparison.agreement for r in rows)
    total = len(rows)
    exact = counts[Agreement.EXACT]
    used_totals = sum(1 for r in rows if r.used_total and r.comparison.agreement is Agreement.EXACT)
    evidence = direction_evidence(ds, rows)
    pct = format_number(exact / total * 100, 1)
    conventions = {n: f.ratio_convention for n, f in sorted(ds.catalog.forms.items())}
    inverting = [n for n, c in conventions.items() if c is not RatioConvention.NEW_OLD]
    lines = [
        "# Comparison percentages: the rule and how well it reproduces the seed",
        "",
        "_Generated by `scripts/comparisons_doc.py`; a test fails when it is stale._",
        "",
        "## The rule (ktxh/domain/compare.py)",
        "",
        "- A comparison column computes what its header says, new ÷ old:",
        "  `estimate(Y) / plan(Y) × 100` and `plan(Y+1) / estimate(Y) × 100`; the narrative",
        "  also uses `h1(Y) / plan(Y)`.",
        "- A form may declare another convention in `forms.csv` (`ratio_convention`):",
        "  `old_new_when_lower_is_better` compares its lower-is-better rows (poverty,",
        "  malnutrition, mortality, natural growth ...) the other way round, `old / new`.",
        "  The direction of an indicator decides whether a result is good (Vượt / Đạt /",
        "  Không đạt), never the arithmetic of the default rule.",
        "- Rounded half up to the decimals the form prints (whole numbers; one decimal",
        "  in Biểu 9). An input is known to its printed decimals; a count printed whole",
        "  (people, schools) is exact.",
        "- No ratio for a reduction in points (mức giảm), a sign change, a zero base or",
        "  a missing cell. Where a form does not print a city total, the total",
        "  consolidated from the units is used.",
        "",
        "## The forms' conventions, recomputed from the seed",
        "",
        "Each printed % of a lower-is-better row whose two readings differ, recomputed",
        "from its row's cells: which reading it is. A form is declared",
        "`old_new_when_lower_is_better` only where every such row prints old / new.",
        "",
        "| Biểu | declared | printed old / new (lines) | printed new / old (lines) |",
        "| ---: | --- | --- | --- |",
    ]
    for n, conv in conventions.items():
        old_new, new_old = evidence.get(n, ([], []))
        if not old_new and not new_old:
            continue
        lines.append(f"| {n} | `{conv.value}` | {_lines(old_new)} | {_lines(new_old)} |")
    lines += [
        "",
        f"Declared: Biểu {', '.join(str(n) for n in inverting) or '-'} (every lower-is-better",
        "row old / new); the others new / old. A row printed against its form's convention",
        "is a finding of the checks (`printed_ratio`, a warning), and an indicator that two",
        "forms compare with different conventions is one (`ratio_convention_mixed`).",
        "",
        "## How many printed percentages it reproduces",
        "",
        f"The seed prints {total} comparison percentages for the city.",
        "",
        "| outcome | count |",
        "| --- | ---: |",
        f"| reproduced exactly | {exact} ({pct} %) |",
        f"| explained by the rounding of the printed inputs | {counts[Agreement.ROUNDING]} |",
        f"| printed the other way round from its column | {counts[Agreement.INVERTED]} |",
        f"| not what the row's cells give (source error) | {counts[Agreement.MISMATCH]} |",
        f"| printed where ktxh computes none | {counts[Agreement.NOT_COMPUTABLE]} |",
        "",
        f"{used_totals} of the exact ones use a city total that the form left blank and",
        "ktxh consolidated from the units.",
        "",
        "## Every percentage not reproduced exactly",
        "",
        "| Biểu | line | code | indicator | comparison | printed | computed | outcome | why |",
        "| ---: | ---: | --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        c = r.comparison
        if c.agreement is Agreement.EXACT:
            continue
        assert c.agreement is not None
        why = REASONS.get((r.indicator.code, c.spec.key)) or GENERIC.get(c.agreement)
        if why is None:
            raise SystemExit(f"no reason written for {r.indicator.code} {c.spec.key}")
        computed = "" if c.computed is None else format_number(c.computed, 2)
        lines.append(
            f"| {r.indicator.form} | {r.indicator.seed_line} | {r.indicator.code} "
            f"| {r.indicator.label} | {c.spec.label} | {c.printed.printed} | {computed} "
            f"| {c.agreement.value} | {why} |"
        )
    unused = set(REASONS) - {
        (r.indicator.code, r.comparison.spec.key)
        for r in rows
        if r.comparison.agreement is not Agreement.EXACT
    }
    if unused:
        raise SystemExit(f"reasons for percentages that now agree: {sorted(unused)}")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render(read_dataset(shipped_package()))
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run scripts/comparisons_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
