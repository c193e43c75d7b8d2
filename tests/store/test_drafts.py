"""Past reports read into a draft of the store (ktxh.store.drafts, `ktxh read --into-store`,
`ktxh draft ...`): nothing is a value of the plan until every review item is decided and
the planner confirms; then the values are written through the actions, with the file,
sheet and cell they were read from, and the round of the report's year is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import Reading
from ktxh.io.catalog_xlsx import read_orgunit_list
from ktxh.io.reports import read_reports
from ktxh.io.review_xlsx import read_review, write_review
from ktxh.io.xlsx_forms import write_annex
from ktxh.store import drafts, models
from ktxh.store.accounts import Account, save_account
from ktxh.store.drafts import DraftError
from ktxh.store.frames import dataset_from_store
from ktxh.store.plans import StartSpec, save_administrator, start_plan
from tests.conftest import SEED_FILE, SHIPPED
from tests.store_helpers import store_snapshot

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def annex(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Path:
    """The Lai Châu annex of 2023 as ktxh publishes it: a past report of the new plan."""
    path = tmp_path_factory.mktemp("annex") / "phu-luc-2023.xlsx"
    write_annex(dataset, path)
    return path


@pytest.fixture(scope="module")
def annex_reading(annex: Path, dataset: Dataset) -> Reading:
    return read_reports([annex], dataset)


@pytest.fixture
def fresh(plan: Any) -> User:
    """The store with a new plan of Lai Châu city (its units, the Lai Châu catalog without
    values), first round 2024: the report of 2023 is a past report. Returns its planner."""
    admin = save_administrator("quan-tri", None)
    units = read_orgunit_list(SHIPPED / "orgunits.csv")
    start_plan(
        admin,
        StartSpec("lai-chau-moi", "Thành phố Lai Châu", 2024, units, "laichau", planners=["kh"]),
        replace=True,
    )
    return User.objects.get(username="kh")


def test_a_draft_is_not_the_plan_until_confirmed(fresh: User, annex_reading: Reading) -> None:
    assert annex_reading.ok and annex_reading.year == 2023
    draft = drafts.create_draft(fresh, annex_reading, ["phu-luc-2023.xlsx"])
    assert draft.values.count() == len(annex_reading.values) > 3000
    assert [(i.number, i.kind) for i in draft.items.all()] == [(1, "ditto")]
    assert models.Value.objects.count() == 0
    assert list(models.Round.objects.values_list("year", flat=True)) == [2024]
    before = store_snapshot()
    with pytest.raises(DraftError, match=r"còn 1 mục cần xem lại chưa có quyết định \(mục 1\)"):
        drafts.confirm(fresh, draft)
    assert store_snapshot() == before

    item = draft.items.get()
    drafts.decide(fresh, item, "accept", comment="đúng như bản gốc")
    done = drafts.confirm(fresh, draft)
    assert done.round_made
    draft.refresh_from_db()
    assert draft.status == "confirmed" and draft.decided_by == "kh" and draft.batch == done.batch
    written = models.Value.objects.filter(source="report")
    assert written.count() == done.written == models.Value.objects.count()
    ratios = sum(1 for v in annex_reading.values if v.measure.startswith("printed_ratio"))
    assert done.skipped == {"tỷ lệ so sánh in trên biểu (ktxh tự tính, không ghi)": ratios}
    area = models.Value.objects.get(
        indicator_id="B02.009", orgunit_id="lai-chau", year=2024, measure="plan"
    )
    assert (area.value, area.printed, area.confidence) == (2731.1, "2.731,1", "high")
    assert area.source_ref.startswith("phu-luc-2023.xlsx!Biểu 2!")
    change = models.ValueChange.objects.get(value=area)
    assert (change.username, change.source, change.batch) == ("kh", "report", done.batch)
    # the round of the report was made for it, and closed (it lies before round 2024)
    assert [(r.year, r.status) for r in models.Round.objects.order_by("year")] == [
        (2023, "closed"),
        (2024, "open"),
    ]
    assert [(e.year, e.action) for e in models.RoundEvent.objects.all()] == [
        (2023, "open"),
        (2023, "close"),
    ]
    with pytest.raises(DraftError, match="đã xác nhận"):
        drafts.discard(fresh, draft)


def test_only_the_planner_reads_past_reports_in(fresh: User, annex_reading: Reading) -> None:
    save_account(Account("phuong", models.Role.UNIT, "", "doan-ket"))
    unit = User.objects.get(username="phuong")
    before = store_snapshot()
    with pytest.raises(PermissionDenied):
        drafts.create_draft(unit, annex_reading, ["a.xlsx"])
    draft = drafts.create_draft(fresh, annex_reading, ["a.xlsx"])
    with pytest.raises(PermissionDenied):
        drafts.decide(unit, draft.items.get(), "accept")
    with pytest.raises(PermissionDenied):
        drafts.confirm(unit, draft)
    drafts.discard(fresh, draft)
    assert models.Draft.objects.get().status == "discarded"
    assert store_snapshot() == before


def test_a_reading_with_unreadable_input_is_not_drafted(fresh: User, tmp_path: Path) -> None:
    bad = tmp_path / "cu.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    reading = read_reports([bad], dataset_from_store())
    with pytest.raises(DraftError, match=r"tệp «cu\.doc»"):
        drafts.create_draft(fresh, reading, ["cu.doc"])
    assert not models.Draft.objects.exists()


def test_the_command_line_reads_into_a_draft_and_confirms(fresh: User, annex: Path) -> None:
    result = runner.invoke(app, ["read", str(annex), "--into-store", "--user", "kh"])
    assert result.exit_code == 0, result.output
    draft = models.Draft.objects.get()
    assert (
        f"vào bản nháp số {draft.pk} (kỳ năm 2023), chưa thành số liệu của kế hoạch. Còn 1 mục "
        "cần xem lại" in flat(result.stderr)
    )
    refused = runner.invoke(app, ["draft", "confirm", str(draft.pk), "--user", "kh"])
    assert refused.exit_code == 2 and "còn 1 mục cần xem lại" in refused.stderr
    listed = runner.invoke(app, ["draft", "list"])
    assert "0/1" in listed.stdout
    item = draft.items.get()
    drafts.decide(fresh, item, "reject")
    done = runner.invoke(app, ["draft", "confirm", str(draft.pk), "--user", "kh"])
    assert done.exit_code == 0, done.output
    assert f"của bản nháp số {draft.pk} vào kế hoạch" in flat(done.stderr)
    # the item rejected: its cell (a ditto mark) is not written
    key = tuple(item.keys[0])
    assert not models.Value.objects.filter(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    ).exists()


def test_into_store_needs_the_store(fresh: User, annex: Path) -> None:
    result = runner.invoke(
        app, ["read", str(annex), "--into-store", "--dataset", str(SHIPPED), "--user", "kh"]
    )
    assert result.exit_code == 2
    assert "--into-store đưa kết quả vào kho: không dùng cùng --dataset" in result.stderr


# --- the seed report: placements in doubt, an unreadable cell, the review workbook ------------

needs_seed = pytest.mark.skipif(
    not SEED_FILE.exists(), reason=f"the seed report is not here ({SEED_FILE})"
)


@pytest.fixture(scope="module")
def seed_reading(dataset: Dataset) -> Reading:
    if not SEED_FILE.exists():
        pytest.skip(f"the seed report is not here ({SEED_FILE})")
    return read_reports([SEED_FILE], dataset)


def _review_rows(path: Path) -> tuple[Any, dict[str, int]]:
    wb = openpyxl.load_workbook(path)
    ws = wb["Cần xem lại"]
    return wb, {c.value: c.column for c in ws[1]}


@needs_seed
def test_the_review_workbook_decides_and_the_decisions_are_written(
    fresh: User, seed_reading: Reading, tmp_path: Path
) -> None:
    draft = drafts.create_draft(fresh, seed_reading, [SEED_FILE.name])
    items = list(draft.items.all())
    assert len(items) == len(seed_reading.review) > 100
    unreadable = next(i for i in items if i.kind == "unreadable" and i.printed == "4.70")
    shifted = next(i for i in items if i.kind == "placement" and i.alternative)
    dropped = next(i for i in items if i.kind == "placement" and i not in (shifted,))
    out = tmp_path / "xem-lai.xlsx"
    write_review(drafts.draft_reading(draft), dataset_from_store(), out)
    wb, col = _review_rows(out)
    ws = wb["Cần xem lại"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col["Quyết định"]).value = "Đồng ý"
    ws.cell(unreadable.number + 1, col["Quyết định"]).value = "Sửa"
    ws.cell(unreadable.number + 1, col["Giá trị đúng"]).value = "4,70"
    ws.cell(shifted.number + 1, col["Quyết định"]).value = "Cách xếp khác"
    ws.cell(dropped.number + 1, col["Quyết định"]).value = "Bỏ"
    ws.cell(dropped.number + 1, col["Ghi chú của người xem"]).value = "dòng này đọc sai"
    filled = tmp_path / "xem-lai-xong.xlsx"
    wb.save(filled)

    rows, faults = read_review(filled.read_bytes(), filled.name)
    assert faults == []
    assert drafts.apply_review(fresh, draft, rows, faults) == len(items)
    done = drafts.confirm(fresh, draft)
    assert done.written > 2900
    fixed = models.Value.objects.get(
        indicator_id="B04.007", orgunit_id="lai-chau", year=2023, measure="plan"
    )
    assert (fixed.value, fixed.printed) == (4.7, "4,70")
    assert fixed.note.startswith(f"sửa khi xem lại (mục {unreadable.number}) bởi kh")
    for a in shifted.alternative:
        if a[3].startswith("printed_ratio"):
            continue
        v = models.Value.objects.get(indicator_id=a[0], orgunit_id=a[1], year=a[2], measure=a[3])
        assert v.value == a[4], a
        assert v.note == f"cách xếp khác, chọn khi xem lại (mục {shifted.number})"
    for k in dropped.keys:
        assert not models.Value.objects.filter(
            indicator_id=k[0], orgunit_id=k[1], year=k[2], measure=k[3]
        ).exists()


@needs_seed
def test_a_review_workbook_with_faults_records_nothing(
    fresh: User, seed_reading: Reading, tmp_path: Path
) -> None:
    draft = drafts.create_draft(fresh, seed_reading, [SEED_FILE.name])
    items = list(draft.items.all())
    unreadable = next(i for i in items if i.kind == "unreadable")
    many = next(i for i in items if i.kind == "placement" and len(i.keys) > 3 and i.number > 4)
    lone = next(i for i in items if not i.alternative and i.kind != "placement" and i.number > 4)
    assert len({1, 4, unreadable.number, many.number, lone.number}) == 5
    out = tmp_path / "xem-lai.xlsx"
    write_review(drafts.draft_reading(draft), dataset_from_store(), out)
    wb, col = _review_rows(out)
    ws = wb["Cần xem lại"]
    ws.cell(2, col["Quyết định"]).value = "Có lẽ"
    ws.cell(unreadable.number + 1, col["Quyết định"]).value = "Sửa"
    ws.cell(unreadable.number + 1, col["Giá trị đúng"]).value = "4.70"
    ws.cell(many.number + 1, col["Quyết định"]).value = "Sửa"
    ws.cell(many.number + 1, col["Giá trị đúng"]).value = "1; 2"
    ws.cell(lone.number + 1, col["Quyết định"]).value = "Cách xếp khác"
    ws.cell(5, col["Loại"]).value = "Một loại khác"
    filled = tmp_path / "sai.xlsx"
    wb.save(filled)
    before = store_snapshot()
    decided = list(models.DraftItem.objects.values_list("decision", flat=True))
    rows, faults = read_review(filled.read_bytes(), filled.name)
    with pytest.raises(DraftError) as caught:
        drafts.apply_review(fresh, draft, rows, faults)
    problems = caught.value.problems
    where = "tệp «sai.xlsx», trang «Cần xem lại», dòng"
    assert (
        f"{where} 2, cột L «Quyết định»: «Có lẽ» không phải quyết định; chọn một trong: "
        "«Đồng ý», «Cách xếp khác», «Sửa», «Bỏ»" in problems
    )
    assert any(
        p.startswith(f"{where} {unreadable.number + 1}, cột M «Giá trị đúng»: ") and "«4.70»" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(f"{where} {many.number + 1}, cột M «Giá trị đúng»: mục {many.number} có ")
        and "hãy ghi" in p
        for p in problems
    ), problems
    assert (
        f"{where} {lone.number + 1}, cột L «Quyết định»: ktxh không có cách xếp khác cho mục "
        "này; chọn một trong: «Đồng ý»"
    ) in " | ".join(problems)
    assert (
        f"{where} 5, cột A «STT»: mục 4 không phải một mục của bản nháp {draft.pk} (bảng xem "
        "lại của một lần đọc khác?)" in problems
    )
    assert list(models.DraftItem.objects.values_list("decision", flat=True)) == decided
    assert store_snapshot() == before
