"""Starting a plan (ktxh.store.plans, `ktxh start`) and the catalog workbook in and out of
the store (`ktxh catalog export|check|import`): every fault class of a catalog workbook
and of a list of units is refused with its located Vietnamese message, and the store is
left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.catalog_xlsx import read_orgunit_list
from ktxh.store import models
from ktxh.store.packages import StoreError
from ktxh.store.plans import StartSpec, save_administrator, start_plan
from tests import locality
from tests.store_helpers import store_snapshot

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def exported(plan: Any, tmp_path: Path) -> Path:
    """The catalog of the Lai Châu plan in the store, as its workbook."""
    out = tmp_path / "danh-muc.xlsx"
    result = runner.invoke(app, ["catalog", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi danh mục (13 biểu, 439 dòng chỉ tiêu, 66 đơn vị tính)" in flat(result.stderr)
    return out


def change(source: Path, target: Path, edit: Callable[[Any], None]) -> Path:
    wb = openpyxl.load_workbook(source)
    edit(wb)
    wb.save(target)
    return target


def cell(sheet: str, header: str, row: int, value: object) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        ws = wb[sheet]
        column = next(c.column_letter for c in ws[1] if c.value == header)
        ws[f"{column}{row}"] = value

    return edit


def both(*edits: Callable[[Any], None]) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        for e in edits:
            e(wb)

    return edit


def drop_sheet(name: str) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        del wb[name]

    return edit


def drop_column(sheet: str, header: str) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        ws = wb[sheet]
        column = next(c.column for c in ws[1] if c.value == header)
        ws.delete_cols(column)

    return edit


I = "Chỉ tiêu"  # noqa: E741 (the sheet's name)
CONSOLIDATIONS = (
    "«cộng», «tỷ lệ từ tử số và mẫu số», «bình quân gia quyền», «đếm đơn vị đạt», "
    "«chỉ cấp trên», «không tổng hợp»"
)

# (fault class, the edit, a located message the refusal must hold)
FAULTS: list[tuple[str, Callable[[Any], None], str]] = [
    (
        "closed field: a value not in its list (the issue's English consolidation)",
        cell(I, "Cách tổng hợp", 3, "province_only"),
        f"trang «Chỉ tiêu», dòng 3, cột N «Cách tổng hợp»: «province_only» không hợp lệ; "
        f"chọn một trong: {CONSOLIDATIONS}",
    ),
    (
        "closed field: a yes/no field",
        cell(I, "Trong đó", 6, "hình như"),
        "trang «Chỉ tiêu», dòng 6, cột H «Trong đó»: «hình như» không hợp lệ; chọn một "
        "trong: «có», «không» (hoặc để trống)",
    ),
    (
        "a code the data-package standard rejects",
        cell(I, "Mã chỉ tiêu", 4, "B01 003"),
        "trang «Chỉ tiêu», dòng 4, cột A «Mã chỉ tiêu»: «B01 003» không phải mã hợp lệ (chữ "
        "cái không dấu, chữ số, «.», «-», «_»; tối đa 64 ký tự)",
    ),
    (
        "a code twice",
        cell(I, "Mã chỉ tiêu", 4, "B01.002"),
        "trang «Chỉ tiêu», dòng 3, 4: khóa (B01.002) bị trùng",
    ),
    (
        "a required cell left empty",
        cell(I, "Tên chỉ tiêu", 8, None),
        "trang «Chỉ tiêu», dòng 8, cột D «Tên chỉ tiêu»: «» thiếu giá trị (bắt buộc)",
    ),
    (
        "a whole number that is not one",
        cell(I, "Số chữ số thập phân", 7, "1,5"),
        "trang «Chỉ tiêu», dòng 7, cột Q «Số chữ số thập phân»: «1,5» không phải số nguyên",
    ),
    (
        "a number that is not one",
        cell("Đơn vị tính", "Hệ số quy đổi", 3, "nhiều"),
        "trang «Đơn vị tính», dòng 3, cột C «Hệ số quy đổi»: «nhiều» không phải số",
    ),
    (
        "a scale that is not above zero",
        cell("Đơn vị tính", "Hệ số quy đổi", 3, 0),
        "trang «Đơn vị tính», dòng 3, cột C «Hệ số quy đổi»: «0» phải lớn hơn 0",
    ),
    (
        "a unit of measure not in the units sheet",
        cell(I, "Đơn vị tính", 5, "dặm"),
        "trang «Chỉ tiêu», dòng 5, cột J «Đơn vị tính»: «dặm» không có trong trang «Đơn vị tính»",
    ),
    (
        "a parent that is not in the catalog",
        cell(I, "Chỉ tiêu cha (mã)", 9, "B77.001"),
        "trang «Chỉ tiêu», dòng 9, cột G «Chỉ tiêu cha (mã)»: «B77.001» không có trong trang "
        "«Chỉ tiêu»",
    ),
    (
        "parents that come round again",
        both(
            cell(I, "Chỉ tiêu cha (mã)", 3, "B01.004"), cell(I, "Chỉ tiêu cha (mã)", 5, "B01.002")
        ),
        "trang «Chỉ tiêu», dòng 3, cột G «Chỉ tiêu cha (mã)»: chỉ tiêu cha tạo thành vòng lặp "
        "(B01.002 → B01.004 → B01.002)",
    ),
    (
        "a numerator or denominator that is not in the catalog",
        cell(I, "Cơ sở (tử số, mẫu số; quyền số)", 6, "B99.001 B01.002"),
        "trang «Chỉ tiêu», dòng 6, cột O «Cơ sở (tử số, mẫu số; quyền số)»: mã không có trong "
        "trang «Chỉ tiêu»: B99.001",
    ),
    (
        "an indicator of a form that is not in the forms sheet",
        cell(I, "Biểu", 7, 14),
        "trang «Chỉ tiêu», dòng 7, cột B «Biểu»: «14» không có trong trang «Biểu»",
    ),
    (
        "a formula in a cell",
        cell(I, "Biểu", 8, "=1+1"),
        "trang «Chỉ tiêu», dòng 8, cột B «Biểu»: ô có công thức (=1+1); hãy ghi giá trị, "
        "không ghi công thức",
    ),
    (
        "a form's columns that are not a layout",
        cell("Biểu", "Các cột", 2, "plan h1 ke-hoach"),
        "trang «Biểu», dòng 2, cột C «Các cột»: không hiểu «",
    ),
    (
        "a form number twice",
        cell("Biểu", "Số biểu", 4, 2),
        "trang «Biểu», dòng 3, 4: khóa (2) bị trùng",
    ),
    (
        "a sheet missing",
        drop_sheet(I),
        "tệp «sai.xlsx»: thiếu trang «Chỉ tiêu» (các trang cần có: «Biểu», «Đơn vị tính», "
        "«Chỉ tiêu»)",
    ),
    (
        "a column missing",
        drop_column(I, "Tên chỉ tiêu"),
        "trang «Chỉ tiêu», dòng 1: thiếu cột «Tên chỉ tiêu»",
    ),
    (
        "a column that is not one of the sheet's",
        cell(I, "Ghi chú", 1, "Ý kiến"),
        "trang «Chỉ tiêu», dòng 1, cột S: tiêu đề «Ý kiến» không phải cột của trang này",
    ),
    (
        "a rule with an empty term (the issue's blank term)",
        cell("Quy tắc", "Vế phải", 3, "B02.025 * / 10"),
        "trang «Quy tắc», dòng 3, cột E «Vế phải»: biểu thức «B02.025 * / 10» có số hạng trống "
        "(trước phép tính «/»)",
    ),
    (
        "a rule with an empty side",
        cell("Quy tắc", "Vế trái", 4, "   "),
        "trang «Quy tắc», dòng 4, cột C «Vế trái»: biểu thức trống: ghi mã chỉ tiêu, số và "
        "các phép tính + - * /",
    ),
    (
        "a rule over a code that is not in the catalog",
        cell("Quy tắc", "Vế phải", 4, "B02.028 * B02.999 / 10"),
        "trang «Quy tắc», dòng 4, cột E «Vế phải»: mã chỉ tiêu không có trong danh mục: B02.999",
    ),
    (
        "a rule's comparison not in its list",
        cell("Quy tắc", "So sánh", 2, "="),
        "trang «Quy tắc», dòng 2, cột D «So sánh»: «=» không hợp lệ; chọn một trong: «==», "
        "«<=», «>=»",
    ),
    (
        "a department filling a form that is not in the catalog (the issue's IntegrityError)",
        cell("Phòng ban", "Các biểu", 2, "2 3 14"),
        "trang «Phòng ban», dòng 2, cột C «Các biểu»: không có biểu số 14",
    ),
]


@pytest.mark.parametrize(("what", "edit", "message"), FAULTS, ids=[f[0] for f in FAULTS])
def test_every_fault_of_a_catalog_workbook_is_refused_and_located(
    exported: Path, tmp_path: Path, what: str, edit: Callable[[Any], None], message: str
) -> None:
    bad = change(exported, tmp_path / "sai.xlsx", edit)
    before = store_snapshot()
    result = runner.invoke(app, ["catalog", "import", str(bad), "--user", "admin"])
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr), (what, result.stderr)
    assert "Danh mục có" in result.stderr and "chưa dùng được" in result.stderr
    assert store_snapshot() == before
    # the same workbook is refused as the catalog of a new plan, the store unchanged
    units = tmp_path / "don-vi.csv"
    units.write_text(locality.UNITS_CSV, encoding="utf-8")
    start = runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--catalog", str(bad), "--title", "Tỉnh Hòa Sơn",
         "--year", "2025", "--replace", "--user", "tests"],
    )  # fmt: skip
    assert start.exit_code == 2, start.output
    assert message in flat(start.stderr), (what, start.stderr)
    assert store_snapshot() == before


def test_a_file_that_is_not_a_workbook(plan: Any, tmp_path: Path) -> None:
    bad = tmp_path / "danh-muc.xlsx"
    bad.write_text("code,name\n", encoding="utf-8")
    before = store_snapshot()
    result = runner.invoke(app, ["catalog", "check", str(bad)])
    assert result.exit_code == 2
    assert "tệp «danh-muc.xlsx»: " in result.stderr
    assert store_snapshot() == before


def test_a_catalog_is_checked_and_warned(exported: Path) -> None:
    result = runner.invoke(app, ["catalog", "check", str(exported)])
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "Danh mục dùng được: 13 biểu, 439 dòng chỉ tiêu, 50 quy tắc, 6 phòng ban." in out
    # Lai Châu's rates printed without their numerator and denominator: warned, usable
    assert (
        "trang «Chỉ tiêu», dòng 186, cột O «Cơ sở (tử số, mẫu số; quyền số)»: B07.018 «Tỷ lệ "
        "bản có đường xe máy đi lại thuận lợi» tổng hợp theo tỷ lệ nhưng chưa khai báo tử số "
        "và mẫu số" in out
    )


def test_the_catalog_of_the_plan_is_replaced_and_its_values_kept(
    exported: Path, tmp_path: Path
) -> None:
    values, changes = models.Value.objects.count(), models.ValueChange.objects.count()
    new_title = "ĐỊNH HƯỚNG MỘT SỐ CHỈ TIÊU CHỦ YẾU NĂM {Y+1}"
    edited = change(exported, tmp_path / "moi.xlsx", cell("Biểu", "Tên biểu", 2, new_title))
    result = runner.invoke(app, ["catalog", "import", str(edited), "--user", "admin"])
    assert result.exit_code == 0, result.output
    assert "số liệu giữ nguyên (3.619 giá trị)" in flat(result.stderr)
    assert models.Form.objects.get(number=1).title == new_title
    assert models.Value.objects.count() == values
    assert models.ValueChange.objects.count() == changes
    assert models.LoadEvent.objects.order_by("-id").first().source == "ktxh catalog import"  # type: ignore[union-attr]


def test_a_catalog_that_would_orphan_stored_values_is_refused(
    exported: Path, tmp_path: Path
) -> None:
    def remove_row(wb: Any) -> None:
        wb[I].delete_rows(3)  # B01.002, which has values

    edited = change(exported, tmp_path / "bot.xlsx", remove_row)
    before = store_snapshot()
    result = runner.invoke(app, ["catalog", "import", str(edited), "--user", "admin"])
    assert result.exit_code == 2
    assert (
        "chỉ tiêu B01.002 đã có 5 giá trị trong kho nhưng không có trong trang «Chỉ tiêu» của "
        "sổ tính" in flat(result.stderr)
    )
    assert store_snapshot() == before


def test_only_a_planner_or_an_administrator_changes_the_catalog(exported: Path) -> None:
    before = store_snapshot()
    result = runner.invoke(app, ["catalog", "import", str(exported), "--user", "doan-ket"])
    assert result.exit_code == 2
    assert "Chỉ quản trị hệ thống hoặc chuyên viên kế hoạch được đổi danh mục" in result.stderr
    assert store_snapshot() == before


# --- starting a plan ------------------------------------------------------------------------


def locality_files(tmp_path: Path) -> tuple[Path, Path]:
    return locality.write_files(tmp_path / "hoa-son")


def test_a_store_that_holds_a_plan_is_not_replaced_without_saying_so(
    plan: Any, tmp_path: Path
) -> None:
    units, book = locality_files(tmp_path)
    before = store_snapshot()
    args = ["start", "--orgunits", str(units), "--catalog", str(book), "--title", "Tỉnh Hòa Sơn"]
    result = runner.invoke(app, [*args, "--year", "2025"])
    assert result.exit_code == 2
    assert (
        "Kho số liệu đã có kế hoạch «laichau-2024»: dùng --replace để thay bằng «tinh-hoa-son» "
        "(số liệu và nhật ký của kế hoạch cũ sẽ bị xóa)" in flat(result.stderr)
    )
    assert store_snapshot() == before


def test_a_new_plan_from_a_list_and_a_catalog_workbook(plan: Any, tmp_path: Path) -> None:
    units, book = locality_files(tmp_path)
    result = runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--catalog", str(book), "--title", "Tỉnh Hòa Sơn 2025",
         "--year", "2025", "--due", "2025-07-15", "--planner", "kh-hoa-son", "--replace",
         "--user", "tests"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "Đã thay kế hoạch «laichau-2024» bằng kế hoạch «tinh-hoa-son-2025» (Tỉnh Hòa Sơn "
        "2025): 8 đơn vị (cấp cao nhất hoa-son), 2 biểu, 12 dòng chỉ tiêu, 2 phòng ban; kỳ "
        "báo cáo năm 2025, hạn nộp 15/07/2025." in flat(result.stderr)
    )
    plan_row = models.Plan.objects.get()
    assert (plan_row.name, plan_row.reference_year, plan_row.top_orgunit) == (
        "tinh-hoa-son-2025",
        2025,
        "hoa-son",
    )
    assert [(r.year, r.status, str(r.due)) for r in models.Round.objects.all()] == [
        (2025, "open", "2025-07-15")
    ]
    assert models.Value.objects.count() == 0 and models.ValueChange.objects.count() == 0
    assert sorted(models.Department.objects.values_list("code", flat=True)) == [
        "so-nong-nghiep",
        "so-tai-chinh",
    ]
    assert models.OrgUnit.objects.get(code="x-an-lac").path == "hoa-son/an-phu/x-an-lac"
    planner = models.Profile.objects.get(user__username="kh-hoa-son")
    assert (planner.role, planner.orgunit_id) == ("planner", "hoa-son")
    event = models.LoadEvent.objects.order_by("-id").first()
    assert event is not None and event.username == "tests"
    assert event.source == "ktxh start: đơn vị: don-vi.csv; danh mục: danh-muc.xlsx"
    # the Lai Châu accounts lost their role (their units are not in the new tree)
    assert not models.Profile.objects.filter(user__username="doan-ket").exists()


def test_a_new_plan_from_a_starter(plan: Any, tmp_path: Path) -> None:
    units, _ = locality_files(tmp_path)
    for starter, forms, indicators in (("laichau", 13, 439), ("empty", 0, 0)):
        result = runner.invoke(
            app,
            ["start", "--orgunits", str(units), "--catalog", starter, "--title", "Hòa Sơn",
             "--name", f"hoa-son-{starter}", "--year", "2026", "--replace"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert models.Form.objects.count() == forms
        assert models.Indicator.objects.count() == indicators
        assert models.MeasureUnit.objects.count() == 66
    # the starter keeps nothing of the report it was transcribed from
    runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--title", "Hòa Sơn", "--year", "2026", "--replace"],
    )
    row = models.Indicator.objects.get(code="B02.009").row
    assert (row["seed_line"], row["note"], row["unplaced"]) == ("", "", "")
    assert models.Form.objects.get(number=2).title.endswith("NĂM {Y+1}")


def test_every_fault_of_the_list_of_units_is_located(plan: Any, tmp_path: Path) -> None:
    units = tmp_path / "don-vi.csv"
    units.write_text(
        "Mã,Tên,Cấp,Cấp trên,Hiệu lực từ\n"
        "hoa-son,Hòa Sơn,tỉnh,,\n"
        "an phu,An Phú,huyện,hoa-son,\n"
        "x-an-lac,An Lạc,xã,an-phuu,31/02/2024\n"
        "x-an-lac,An Lạc 2,xã,hoa-son,\n"
        ",Không mã,xã,hoa-son,\n",
        encoding="utf-8",
    )
    before = store_snapshot()
    result = runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--title", "Hòa Sơn", "--year", "2025", "--replace"],
    )
    assert result.exit_code == 2
    text = flat(result.stderr)
    for message in (
        "tệp «don-vi.csv», dòng 6, cột «Mã»: «» thiếu giá trị (bắt buộc)",
        "tệp «don-vi.csv», dòng 3, cột «Mã»: «an phu» không phải mã hợp lệ",
        "tệp «don-vi.csv», dòng 4, cột «Hiệu lực từ»: «31/02/2024» không phải ngày",
        "tệp «don-vi.csv», dòng 4, 5: khóa (x-an-lac) bị trùng",
        "tệp «don-vi.csv», dòng 4, cột «Cấp trên»: «an-phuu» không có trong tệp «don-vi.csv»",
    ):
        assert message in text, message
    assert store_snapshot() == before


def test_a_list_with_several_top_units_needs_the_top(plan: Any, tmp_path: Path) -> None:
    units = tmp_path / "don-vi.csv"
    units.write_text("code,name,level,parent\na,A,tỉnh,\nb,B,tỉnh,\n", encoding="utf-8")
    before = store_snapshot()
    result = runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--title", "X", "--year", "2025", "--replace"],
    )
    assert result.exit_code == 2
    assert (
        "danh sách có 2 đơn vị không có cấp trên (a, b): hãy cho biết đơn vị cấp cao nhất"
        in flat(result.stderr)
    )
    assert store_snapshot() == before
    ok = runner.invoke(
        app,
        ["start", "--orgunits", str(units), "--title", "X", "--year", "2025", "--replace",
         "--top", "b", "--catalog", "empty"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert models.Plan.objects.get().top_orgunit == "b"


def test_only_an_administrator_starts_a_plan_on_the_web_side(plan: Any, tmp_path: Path) -> None:
    units, _ = locality_files(tmp_path)
    spec = StartSpec("hoa-son", "Hòa Sơn", 2025, read_orgunit_list(units), "empty")
    planner = User.objects.get(username="admin")  # the city's planner: not an administrator
    with pytest.raises(PermissionDenied):
        start_plan(planner, spec, replace=True)
    admin = save_administrator("quan-tri", None)
    with pytest.raises(StoreError):  # the store holds a plan
        start_plan(admin, spec)
    started = start_plan(admin, spec, replace=True)
    assert started.loaded.replaced == "laichau-2024" and started.top == "hoa-son"


# --- the issue's defects, on a data package written by hand ------------------------------------

PACKAGE_DEFECTS = [
    (
        "indicators.csv",
        3,
        "consolidation",
        "province_only",
        "indicators.csv, dòng 3, cột «consolidation»: «province_only» phải là một trong: sum, "
        "rate, weighted_mean, count, city_only, none",
    ),
    (
        "indicators.csv",
        4,
        "code",
        "B01 003",
        "indicators.csv, dòng 4, cột «code»: «B01 003» không phải mã hợp lệ",
    ),
    (
        "rules.csv",
        3,
        "right",
        "B02.025 * / 10",
        "rules.csv, dòng 3, cột «right»: biểu thức «B02.025 * / 10» có số hạng trống (trước "
        "phép tính «/»)",
    ),
    (
        "rules.csv",
        3,
        "left",
        " ",
        "rules.csv, dòng 3, cột «left»: biểu thức trống",
    ),
    (
        "departments.csv",
        2,
        "forms",
        "2 3 4 5 6 14",
        "departments.csv, dòng 2, cột «forms»: không có biểu số 14",
    ),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "message"), PACKAGE_DEFECTS)
def test_the_issues_defects_in_a_hand_made_package(
    plan: Any, tmp_path: Path, file: str, row: int, column: str, value: str, message: str
) -> None:
    from tests.io.test_datapackage import set_cell
    from tests.xlsx_helpers import copy_dataset

    package = copy_dataset(tmp_path)
    set_cell(package / file, row, column, value)
    before = store_snapshot()
    result = runner.invoke(app, ["load", str(package), "--replace"])
    assert result.exit_code == 2
    assert message in flat(result.stderr)
    assert store_snapshot() == before
