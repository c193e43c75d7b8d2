"""The yearly cycle end to end (issue 12).

Lai Châu's round 2023 (the report of August 2023, the plan of 2024) is approved and
round 2024 opened from it; every unit's 2024 template is filled with a consistent
synthetic plan, imported, approved and published; every figure of the 2024 report
and annex is traced back to a value of round 2024 or a comparison computed from
them, and no figure of round 2023 appears under a 2024 heading. Then round 2025 is
opened and the 2024 actual entered: it replaces the estimate in the comparisons
with last year; then round 2026, and the 2025 actual.

The test's city lives on past 30 June 2025 (the shipped tree ends it with the 2025
reorganisation, tested elsewhere).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from docx import Document

from ktxh.domain.compare import ratio, round_half_up
from ktxh.domain.dataset import Dataset
from ktxh.domain.narrative import ClaimKind
from ktxh.domain.numbers import format_number
from ktxh.domain.synthetic import consistent_plan
from ktxh.domain.tables import value_cell
from ktxh.domain.years import literal_years
from ktxh.io.docx_report import report_narrative
from ktxh.io.publish import publish, report_cells
from ktxh.io.xlsx_forms import annex_layouts
from ktxh.io.xlsx_template import write_template
from ktxh.store import actions, imports
from ktxh.store.frames import dataset_from_store
from ktxh.store.models import Form, OrgUnit, Plan, Round, RoundEvent, Source, Value
from ktxh.store.rounds import RoundError, open_round, plan_opening

NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})*(?:,\d+)?(?![\w])|(?<![\w.,])\d+(?:,\d+)?")


def _approve_all(year: int) -> None:
    """Every form expected in round ``year``, submitted and approved by the planner."""
    admin = User.objects.get(username="admin")
    plan = Plan.objects.get()
    for org in OrgUnit.objects.order_by("order"):
        for form in Form.objects.order_by("number"):
            if actions.expected(org, form, plan.top_orgunit, year):
                actions.transition(admin, org, form, year, "submit")
                actions.transition(admin, org, form, year, "approve")


def _fill(ds: Dataset, synthetic: pl.DataFrame, year: int) -> list[imports.Upload]:
    """Each unit's template for round ``year``, filled from ``synthetic``."""
    values = {
        (r[0], r[1], r[2], r[3]): r[4]
        for r in synthetic.select("indicator", "orgunit", "year", "measure", "value").iter_rows()
    }
    uploads = []
    units = [ds.top_orgunit, *(u.code for u in ds.tree.children(ds.top_orgunit))]
    for code in units:
        buf = io.BytesIO()
        layout = write_template(ds, buf, orgunit=code, year=year)
        wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
        for sheet in layout.sheets:
            ws = wb[sheet.name]
            for row in sheet.rows:
                if not row.input:
                    continue
                for col in sheet.inputs:
                    if (col.measure, col.year) == ("plan", year):
                        continue  # set in the round before: locked
                    v = values.get((row.indicator.code, code, col.year, col.measure))
                    if v is not None:
                        ws.cell(row.row + 1, col.col + 1).value = v
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        uploads.append(imports.Upload(f"{code}.xlsx", len(data), data))
    return uploads


def _round_cells(year: int) -> set[tuple[int, str]]:
    return {
        (year, "plan"),
        (year, "h1"),
        (year, "estimate"),
        (year + 1, "plan"),
        (year - 1, "actual"),
    }


@pytest.fixture
def living_city(plan: Plan) -> Plan:
    OrgUnit.objects.update(valid_to=None)
    Plan.objects.update(loaded_at=timezone.now())  # the caches see the tree again
    return Plan.objects.get()


def test_a_year_opens_fills_publishes_and_the_next_takes_the_actual(
    living_city: Plan, tmp_path: Path
) -> None:
    admin = User.objects.get(username="admin")
    # --- round 2023 must be approved before 2024 opens -----------------------------
    with pytest.raises(RoundError) as refused:
        open_round(admin, 2024)
    assert "Kỳ báo cáo năm 2023 chưa được duyệt xong: còn 62 biểu chưa duyệt" in str(refused.value)
    assert not Round.objects.filter(year=2024).exists()
    _approve_all(2023)
    preview = plan_opening(2024)
    assert preview.may_open and preview.plan_values > 1000
    assert Round.objects.count() == 1  # the preview wrote nothing
    open_round(admin, 2024, note="mở kỳ 2024")
    assert Round.objects.get(year=2023).status == "closed"
    assert Round.objects.get(year=2024).status == "open"
    assert list(RoundEvent.objects.values_list("year", "action")) == [
        (2023, "close"),
        (2024, "open"),
    ]
    assert Plan.objects.get().reference_year == 2024
    # the targets set in 2023 for 2024 are the year's plan, locked with round 2023
    refused_write = actions.CellWrite("B01.003", "lai-chau", 2024, "plan", 1, text="1")
    with pytest.raises(actions.WriteRefused):
        actions.write_values(admin, [refused_write])

    # --- every unit fills its 2024 template ------------------------------------------
    ds = dataset_from_store()
    assert ds.reference_year == 2024
    assert ds.catalog.forms[1].title.endswith("NĂM 2025")
    columns = [("actual", 2023), ("h1", 2024), ("estimate", 2024), ("plan", 2025)]
    synthetic = consistent_plan(ds.catalog, ds.tree, 2024, ds.rules, seed=11, columns=columns)
    shown = imports.preview(admin, _fill(ds, synthetic, 2024))
    assert shown.ok, [p.message for p in shown.plan.problems][:5]
    applied = imports.commit(admin, shown)
    assert applied.applied and applied.written > 1500
    _approve_all(2024)

    # --- publish round 2024 and trace every figure back -------------------------------
    ds = dataset_from_store(2024)
    out = publish(ds, xlsx=tmp_path / "phu-luc.xlsx", docx=tmp_path / "bao-cao.docx")
    assert out.xlsx and out.docx
    cells = report_cells(ds)
    wb = openpyxl.load_workbook(tmp_path / "phu-luc.xlsx")
    traced = 0
    for n, layout in annex_layouts(ds).items():
        ws = wb[layout.sheet]
        header = " ".join(
            str(c.value) for row in ws.iter_rows(max_row=layout.first_row) for c in row if c.value
        )
        assert set(literal_years(header)) <= {2023, 2024, 2025}, (n, header)
        for ind in ds.catalog.in_form(n):
            for shown_col, col in layout.values:
                got = ws.cell(layout.rows[ind.code] + 1, col + 1).value
                if got is None or isinstance(got, str):
                    continue
                assert (shown_col.year, shown_col.measure) in _round_cells(2024)
                want = value_cell(
                    cells,
                    ind.code,
                    shown_col.orgunit or ds.top_orgunit,
                    shown_col.year,
                    shown_col.measure,
                )
                assert want.value == pytest.approx(got), (n, ind.code, shown_col)
                traced += 1
    assert traced > 1500
    # the narrative: every figure is a 2024-round value or a comparison of them
    story = report_narrative(ds)
    written = [p for p in (story.first_half, *story.estimate_items, *story.target_items) if p]
    allowed: set[str] = set()
    for passage in written:
        for clause in passage.clauses:
            claim = clause.claim
            assert claim.indicator is not None
            assert (claim.year, claim.measure) in _round_cells(2024), claim.id
            cell = value_cell(cells, claim.indicator, ds.top_orgunit, claim.year, claim.measure)
            ind = ds.catalog[claim.indicator]
            if claim.kind is ClaimKind.VALUE:
                assert cell.value == pytest.approx(float(clause.number)), claim.id
            elif claim.kind is ClaimKind.RATIO_PLAN:
                plan_cell = value_cell(cells, claim.indicator, ds.top_orgunit, claim.year, "plan")
                convention = ds.catalog.convention(ind.code)
                r = ratio(cell.value, plan_cell.value, ind.direction, ind.comparable, convention)
                assert r is not None and round_half_up(r, 0) == pytest.approx(
                    float(clause.number), abs=1
                ), claim.id
            else:
                before = value_cell(
                    cells, claim.indicator, ds.top_orgunit, claim.year - 1, claim.measure
                )
                assert cell.value is not None and before.value, claim.id
                growth = abs(cell.value / before.value - 1) * 100
                assert growth == pytest.approx(float(clause.number), abs=0.1), claim.id
            allowed |= {format_number(float(clause.number), d) for d in range(4)}
            # the clause's fixed wording ("dưới 3 tháng"), not its figure
            wording = claim.text.replace(claim.printed, " ") if claim.printed else claim.text
            allowed |= set(NUMBER.findall(wording))
    assert len(allowed) > 10
    text = "\n".join(p.text for p in Document(str(tmp_path / "bao-cao.docx")).paragraphs)
    assert "năm 2025" in text and "năm 2024" in text
    for passage in written:
        if not passage.text:
            continue
        assert passage.text in text
        for number in NUMBER.findall(passage.text.removeprefix(passage.item)):
            if number in {"2023", "2024", "2025"}:
                continue
            assert number in allowed, (number, passage.text[:200])
    # no figure the 2023 report printed appears under the 2024 headings
    stale = {c.printed for c in dataset_from_store(2023).claims if c.printed}
    for passage in written:
        found = set(NUMBER.findall(passage.text.removeprefix(passage.item))) & stale - allowed
        assert not found, found

    # --- round 2025: the 2024 actual replaces the estimate ----------------------------
    open_round(admin, 2025)
    assert Round.objects.get(year=2024).status == "closed"
    estimate = Value.objects.get(
        indicator_id="B01.003", orgunit_id="lai-chau", year=2024, measure="estimate"
    )
    actions.write_values(
        admin,
        [actions.CellWrite("B01.003", "lai-chau", 2024, "actual", 0, text="251,3")],
        source=Source.WEB,
    )
    # the estimate is kept; the year's final figure is now the actual
    assert Value.objects.get(pk=estimate.pk).value == estimate.value
    ds = dataset_from_store(2025)
    cells = report_cells(ds)
    assert value_cell(cells, "B01.003", "lai-chau", 2024, "full").value == 251.3
    # a closed round stays readable and locked
    locked = actions.CellWrite("B01.003", "lai-chau", 2024, "estimate", estimate.version, text="1")
    with pytest.raises(actions.WriteRefused) as refusal:
        actions.write_values(admin, [locked])
    assert "đã khóa sổ" in str(refusal.value.problems[0].message)

    # --- round 2026 and the 2025 actual ----------------------------------------------
    _approve_all(2025)
    open_round(admin, 2026)
    written = actions.write_values(
        admin, [actions.CellWrite("B01.003", "lai-chau", 2025, "actual", 0, text="270")]
    )
    assert written.changed == 1
    assert [r.year for r in Round.objects.order_by("year")] == [2023, 2024, 2025, 2026]
    assert list(Round.objects.filter(status="open").values_list("year", flat=True)) == [2026]


def test_opening_is_for_the_planner_and_says_what_it_will_do(living_city: Plan) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        open_round(User.objects.get(username="doan-ket"), 2024)
    preview = plan_opening(2024)
    lines = preview.lines()
    assert lines[0].startswith("Khóa sổ kỳ báo cáo năm 2023")
    assert "hạn nộp biểu 15/07/2024" in lines[1] and "thực hiện cả năm 2023" in lines[1]
    assert not preview.may_open
    assert plan_opening(2026).problems[0].startswith("Kho không có kỳ báo cáo năm 2025")
    assert "đã có" in plan_opening(2023).problems[0]
