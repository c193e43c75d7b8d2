"""Measure how often the checks catch each kind of slip; print a Markdown table.

    .venv/bin/python scripts/mutation_report.py [--plans 60]

Each trial makes a consistent plan from the Lai Châu catalog on the Lai Châu
tree (ktxh.domain.synthetic), types one slip into one cell and runs every
check. "Located" counts the trials where a new finding names the slipped
indicator or one tied to it; "flagged", those with any new finding.
"""

from __future__ import annotations

import argparse
import time

from ktxh.domain.numbers import format_number
from ktxh.domain.synthetic import SLIP_LABELS, measure_detection
from ktxh.io.datapackage import read_dataset, shipped_package


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=60)
    args = ap.parse_args()
    ds = read_dataset(shipped_package())
    t = time.perf_counter()
    results = measure_detection(ds.catalog, ds.tree, ds.reference_year, ds.rules, range(args.plans))
    elapsed = time.perf_counter() - t
    print("| slip | trials | located | flagged |")
    print("| --- | ---: | ---: | ---: |")
    for r in results:
        located = format_number(r.located / r.trials * 100, 0)
        flagged = format_number(r.flagged / r.trials * 100, 0)
        print(f"| {SLIP_LABELS[r.kind]} (`{r.kind}`) | {r.trials} | {located} % | {flagged} % |")
    print(f"\n{args.plans} plans, {elapsed:.0f} s")


if __name__ == "__main__":
    main()
