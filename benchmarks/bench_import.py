"""Importing 100 filled unit templates at once (the issue's benchmark).

    .venv/bin/python benchmarks/bench_import.py [--units 100] [--repeat 2] [--keep DIR]

A synthetic province on disk, made from the Lai Châu catalog: one province with
``--units`` communes below it, a consistent plan for 2023 and 2024 stored
(``ktxh.domain.synthetic``). Each commune's template is written
(``ktxh.io.xlsx_template``), then filled by a program (openpyxl: the first
half and the estimate of 2023 typed into every cell, next year's plan
retyped, as another consistent plan has them). Then all the files are
imported at once into the dataset directory, as ``ktxh import`` does: read
and check every file, plan the changes, write values.csv and audit.csv,
consolidate, and run every check before and after. Record the output in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import resource
import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter
from ktxh.io.dataset import DEFAULT_DATASET, read_dataset
from ktxh.io.store import import_files, write_changes

from ktxh.domain.importing import plan_import, printed_number
from ktxh.domain.numbers import plain_number
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import consistent_plan
from ktxh.io.xlsx_template import TemplateLayout, read_workbook, write_template

YEAR = 2023


def province(units: int) -> OrgTree:
    return OrgTree(
        [OrgUnit("tinh", "Tỉnh Mẫu", "tỉnh")]
        + [OrgUnit(f"x{i:03d}", f"Xã {i + 1}", "xã", "tinh") for i in range(units)]
    )


def make_dataset(directory: Path, units: int) -> None:
    """A dataset directory: the Lai Châu catalog, a province of ``units`` communes, and a
    consistent plan for 2023 and 2024 stored."""
    base = read_dataset()
    directory.mkdir(parents=True)
    for name in ("forms.csv", "units.csv", "indicators.csv", "rules.csv", "locks.csv"):
        shutil.copy(DEFAULT_DATASET / name, directory / name)
    descriptor = json.loads((DEFAULT_DATASET / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = "tinh-mau"
    descriptor["ktxh"].update(title="Tỉnh mẫu", top_orgunit="tinh", report={})
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "claims"]
    (directory / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    tree = province(units)
    lines = ["code,name,level,parent,valid_from,valid_to"]
    lines += [f"{u.code},{u.name},{u.level},{u.parent or ''},," for u in tree]
    (directory / "orgunits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = consistent_plan(
        base.catalog, tree, YEAR, base.rules, seed=1, columns=[("plan", YEAR), ("plan", YEAR + 1)]
    )
    decimals = {i.code: i.decimals for i in base.catalog}
    rows = ["indicator,orgunit,year,measure,value,printed,seed_line,confidence,note"]
    for code, org, year, measure, value in plan.select(
        "indicator", "orgunit", "year", "measure", "value"
    ).iter_rows():
        printed = printed_number(value, decimals[code])
        rows.append(f'{code},{org},{year},{measure},{plain_number(value)},"{printed}",,,')
    (directory / "values.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _fill(job: tuple[str, str, dict[tuple[str, str], float]]) -> None:
    source, target, cells = job
    wb = openpyxl.load_workbook(source)
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    wb.save(target)


def typed_values(directory: Path) -> pl.DataFrame:
    """What the communes type: another consistent plan's first half, estimate and next plan."""
    ds = read_dataset(directory)
    columns = [("h1", YEAR), ("estimate", YEAR), ("plan", YEAR + 1)]
    return consistent_plan(ds.catalog, ds.tree, YEAR, ds.rules, seed=2, columns=columns)


def cells_of(layout: TemplateLayout, typed: dict[tuple[str, int, str], float]) -> dict:  # type: ignore[type-arg]
    from xlsxwriter.utility import xl_rowcol_to_cell

    out = {}
    for sheet in layout.sheets:
        for row in sheet.rows:
            if not row.input:
                continue
            for c in sheet.inputs:
                value = typed.get((row.indicator.code, c.year, c.measure))
                if value is not None and (c.measure, c.year) != ("plan", YEAR):
                    out[(sheet.name, xl_rowcol_to_cell(row.row, c.col))] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="keep the dataset and the files here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ktxh-bench-import-"))
    pristine = work / "pristine"
    files_dir = work / "files"
    t0 = time.perf_counter()
    make_dataset(pristine, args.units)
    ds = read_dataset(pristine)
    t1 = time.perf_counter()
    files_dir.mkdir()
    layouts = {}
    for u in ds.tree.children("tinh"):
        layouts[u.code] = write_template(
            ds, files_dir / f"mau-{u.code}.xlsx", orgunit=u.code, dataset="tinh-mau"
        )
    t2 = time.perf_counter()
    typed = typed_values(pristine)
    by_unit: dict[str, dict[tuple[str, int, str], float]] = {}
    for code, org, year, measure, value in typed.select(
        "indicator", "orgunit", "year", "measure", "value"
    ).iter_rows():
        by_unit.setdefault(org, {})[(code, year, measure)] = value
    jobs = [
        (
            str(files_dir / f"mau-{code}.xlsx"),
            str(files_dir / f"{code}.xlsx"),
            cells_of(layout, by_unit.get(code, {})),
        )
        for code, layout in layouts.items()
    ]
    with multiprocessing.Pool() as pool:
        pool.map(_fill, jobs)
    t3 = time.perf_counter()
    files = [Path(j[1]) for j in jobs]
    typed_cells = sum(len(j[2]) for j in jobs)
    size = sum(f.stat().st_size for f in files)

    print(
        f"machine: {platform.machine()}, {multiprocessing.cpu_count()} cores, "
        f"Python {platform.python_version()}, polars {pl.__version__}, "
        f"XlsxWriter {xlsxwriter.__version__}, python-calamine {version('python-calamine')}"
    )
    print(
        f"province: {len(ds.tree):,} units, {len(ds.values):,} values stored; "
        f"{len(files)} filled templates, {typed_cells:,} cells typed, {size / 2**20:.1f} MiB"
    )
    print(
        f"setup: dataset {t1 - t0:.1f} s, {len(files)} templates written in {t2 - t1:.2f} s, "
        f"filled by openpyxl in {t3 - t2:.1f} s"
    )

    for run in range(1, args.repeat + 1):
        target = work / f"run{run}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(pristine, target)
        start = time.perf_counter()
        outcome = import_files(target, files, user="bench")
        total = time.perf_counter() - start
        assert outcome.plan.ok and outcome.applied, outcome.plan.problems[:3]
        print(
            f"run {run}: ktxh import of {len(files)} files (read, check, plan, write, "
            f"consolidate, checks before and after): {total:.2f} s; "
            f"{len(outcome.plan.changes):,} changes, {len(outcome.findings_after):,} findings"
        )

    # where the time goes, on a fresh copy
    target = work / "phases"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pristine, target)
    ds = read_dataset(target)
    a = time.perf_counter()
    results = [read_workbook(f.read_bytes(), f.name, ds, dataset="tinh-mau") for f in files]
    b = time.perf_counter()
    entries = [e for r in results for e in r.entries]
    plan = plan_import(entries, ds.values.frame, ds.catalog, ds.tree)
    c = time.perf_counter()
    write_changes(target, plan.changes, [])
    d = time.perf_counter()
    print(
        f"phases: read and check {len(files)} files {b - a:.2f} s "
        f"({(b - a) / len(files) * 1000:.0f} ms each); plan {len(entries):,} cells {c - b:.2f} s; "
        f"write values.csv {d - c:.2f} s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
