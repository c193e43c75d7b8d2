"""Importing 100 filled unit templates at once into the store.

    .venv/bin/python benchmarks/bench_import.py [--units 100] [--repeat 2] [--keep DIR]

A synthetic province (benchmarks/province.py: the Lai Châu catalog, a province
with ``--units`` communes below it, a consistent plan for 2023 and 2024 stored)
is loaded into a fresh SQLite store. Each commune's template is written
(``ktxh.io.xlsx_template``), then filled by a program (openpyxl: the first half
and the estimate of 2023 typed into every cell, next year's plan retyped, as
another consistent plan has them). Then all the files are imported at once, as
``ktxh import`` does (``ktxh.store.imports``): read and check every file, plan
the changes against the store, write them with their audit records in one
transaction, consolidate, and run every check before and after. Record the
output in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from province import TOP, write_province

from ktxh.domain.dataset import Dataset
from ktxh.domain.synthetic import consistent_plan
from ktxh.io.xlsx_template import TemplateLayout, write_template

YEAR = 2023


def _fill(job: tuple[str, str, dict[tuple[str, str], float]]) -> None:
    source, target, cells = job
    wb = openpyxl.load_workbook(source)
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    wb.save(target)


def typed_values(ds: Dataset) -> pl.DataFrame:
    """What the communes type: another consistent plan's first half, estimate and next plan."""
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
    ap.add_argument("--keep", type=Path, help="keep the store, the package and the files here")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the last run's import here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ktxh-bench-import-"))
    os.environ["KTXH_DATABASE"] = str(work / "bench.sqlite3")
    from ktxh import store

    store.migrate()
    from django.contrib.auth.models import User

    from ktxh.store import accounts, imports, packages
    from ktxh.store.frames import dataset_from_store

    package = work / "tinh-mau"
    files_dir = work / "files"
    t0 = time.perf_counter()
    write_province(package, args.units, YEAR, [("plan", YEAR), ("plan", YEAR + 1)])
    packages.load(package, user="bench", replace=True)
    accounts.create_demo_accounts()
    admin = User.objects.get(username="admin")
    ds = dataset_from_store()
    t1 = time.perf_counter()
    files_dir.mkdir()
    layouts = {}
    for u in ds.tree.children(TOP):
        layouts[u.code] = write_template(ds, files_dir / f"mau-{u.code}.xlsx", orgunit=u.code)
    t2 = time.perf_counter()
    typed = typed_values(ds)
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
        f"province: {len(ds.tree):,} units, {len(ds.values):,} values stored (SQLite); "
        f"{len(files)} filled templates, {typed_cells:,} cells typed, {size / 2**20:.1f} MiB"
    )
    print(
        f"setup: package and store {t1 - t0:.1f} s, {len(files)} templates written in "
        f"{t2 - t1:.2f} s, filled by openpyxl in {t3 - t2:.1f} s"
    )
    uploads = imports.read_paths(files)
    for run in range(1, args.repeat + 1):
        packages.load(package, user="bench", replace=True)
        accounts.create_demo_accounts()
        profiler = None
        if args.profile is not None and run == args.repeat:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        shown = imports.preview(admin, uploads)
        planned = time.perf_counter()
        applied = imports.commit(admin, shown)
        written = time.perf_counter()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
        effect = imports.impact(shown)
        total = time.perf_counter() - start
        assert applied.applied, shown.plan.problems[:3]
        print(
            f"run {run}: ktxh import of {len(files)} files: {total:.2f} s in all (read, check "
            f"and plan {planned - start:.2f} s; write {len(shown.plan.changes):,} changes with "
            f"their audit records {written - planned:.2f} s; consolidate and check before and "
            f"after {total - (written - start):.2f} s); {len(effect.findings_after):,} findings"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
