"""The ``ktxh`` command: a thin shell over the library. Texts for people are Vietnamese.

Every command works on the store (the database the web uses too: docs/store.md).
The read commands (``forms``, ``show``, ``values``, ``check``, ``report``,
``template``) can instead take a look at a data package on disk with
``--dataset DIR``; nothing but ``dump`` ever writes a package.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from ktxh import cli_vi

cli_vi.install()  # Typer's own words (usage, headings, parsing errors) in Vietnamese

# Start-up time (issue 15): only typer is imported here. rich, polars, Django and the
# file formats are imported inside the commands that use them, so that ``ktxh --help``
# and the small commands start quickly; a new command does the same.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from rich.console import Console
    from rich.text import Text

    from ktxh.domain.checks import Cause, Finding
    from ktxh.domain.dataset import Dataset
    from ktxh.domain.importing import Stored
    from ktxh.domain.tables import Cell
    from ktxh.store.imports import Applied, Impact, Preview

app = typer.Typer(
    help="ktxh: kế hoạch phát triển kinh tế - xã hội (danh mục, số liệu, so sánh, báo cáo).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class _LazyConsole:
    """A rich Console made when first used (importing rich costs start-up time)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._real: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        """Plain text asked for as is (no markup, no wrapping) is written without rich."""
        if (
            self._real is None
            and options.get("markup") is False
            and options.get("soft_wrap") is True
            and options.keys() <= {"markup", "highlight", "soft_wrap"}
            and all(isinstance(o, str) for o in objects)
        ):
            out = sys.stderr if self._options.get("stderr") else sys.stdout
            out.write(" ".join(objects) + "\n")
            return
        self.__getattr__("print")(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            from rich.console import Console

            self._real = Console(**self._options)
        return getattr(self._real, name)


def format_number(*args: Any, **kwargs: Any) -> str:
    """ktxh.domain.numbers.format_number, imported when first used (``ktxh --help`` loads
    nothing of the domain)."""
    from ktxh.domain.numbers import format_number as real

    return real(*args, **kwargs)


# Tables are wide: when the output is not a terminal, do not fold them to 80 columns.
console = cast("Console", _LazyConsole(width=None if sys.stdout.isatty() else 240))
err = cast("Console", _LazyConsole(stderr=True))

DatasetOpt = Annotated[
    Path | None,
    typer.Option(
        "--dataset",
        "-d",
        help="Xem một gói dữ liệu trên đĩa (chỉ đọc) thay vì kho số liệu.",
        envvar="KTXH_DATASET",
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="Người thực hiện, một tài khoản của kho (mặc định: KTXH_USER, rồi tên đăng nhập).",
        envvar="KTXH_USER",
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a Vietnamese error and return the exit to raise."""
    err.print(f"Lỗi: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _open_store() -> None:
    """Django set up on the store, its tables up to date."""
    from ktxh import store

    try:
        store.migrate()
    except Exception as exc:  # the database cannot be reached or opened
        from django.db import DatabaseError

        if isinstance(exc, DatabaseError | OSError):
            raise fail(f"không mở được kho số liệu ({store.database_label()}): {exc}") from None
        raise


RoundOpt = Annotated[
    int | None,
    typer.Option(
        "--year",
        "-y",
        help="Kỳ báo cáo (năm số liệu; mặc định: kỳ hiện tại của kho).",
        metavar="NĂM",
    ),
]


def _load(
    path: Path | None, year: int | None = None, *, need_round: bool = True, window: bool = False
) -> Dataset:
    """The plan to read for round ``year`` (the current round by default): a package
    on disk (``--dataset``), else the store's. ``need_round``: refuse a year that is
    not one of the rounds (a template may be made for a round not opened yet).
    ``window``: from the store, only the years the round reads (what shows, checks or
    publishes one round: ktxh.store.frames.round_years)."""
    if path is not None:
        from ktxh.io.datapackage import PackageError, read_package

        try:
            package = read_package(path)
        except (PackageError, OSError) as exc:
            raise fail(f"không đọc được gói dữ liệu {path}: {exc}") from None
        rounds = package.rounds()
        if need_round and year is not None and year not in rounds:
            known = ", ".join(str(y) for y in sorted(rounds))
            raise fail(f"gói dữ liệu {path} không có kỳ báo cáo năm {year} (các kỳ: {known})")
        return package.dataset(year)
    _open_store()
    from ktxh.store.frames import NoPlan, dataset_from_store
    from ktxh.store.models import Round

    if need_round and year is not None and not Round.objects.filter(year=year).exists():
        known = ", ".join(str(y) for y in Round.objects.values_list("year", flat=True))
        raise fail(f"kho số liệu không có kỳ báo cáo năm {year} (các kỳ: {known or 'chưa có'})")
    try:
        return dataset_from_store(year, window=window)
    except NoPlan as exc:
        raise fail(str(exc)) from None


def _user(name: str | None) -> User:
    """The store's account the command acts as."""
    import getpass

    from ktxh.store.accounts import AccountError, acting_user

    try:
        return acting_user(name or getpass.getuser())
    except AccountError as exc:
        raise fail(str(exc)) from None


@app.command("forms")
def forms_cmd(dataset: DatasetOpt = None, year: RoundOpt = None) -> None:
    """Liệt kê các biểu với số dòng, số chỉ tiêu và số giá trị."""
    from rich.table import Table

    from ktxh.domain.catalog import RowKind

    ds = _load(dataset, year, window=True)
    counts = ds.values.frame.group_by("indicator").len()
    per_ind = dict(zip(counts["indicator"], counts["len"], strict=True))
    table = Table(title=f"Các biểu của kế hoạch «{ds.title}»")
    table.add_column("Biểu", justify="right")
    table.add_column("Tên biểu")
    table.add_column("Số dòng", justify="right")
    table.add_column("Chỉ tiêu", justify="right")
    table.add_column("Giá trị", justify="right")
    totals = [0, 0, 0]
    for form in sorted(ds.catalog.forms.values(), key=lambda f: f.number):
        rows = ds.catalog.in_form(form.number)
        n_ind = sum(1 for i in rows if i.kind is RowKind.INDICATOR)
        n_val = sum(per_ind.get(i.code, 0) for i in rows)
        for k, n in enumerate((len(rows), n_ind, n_val)):
            totals[k] += n
        table.add_row(
            str(form.number),
            form.title,
            format_number(len(rows)),
            format_number(n_ind),
            format_number(n_val),
        )
    table.add_section()
    table.add_row("", "Tổng cộng", *(format_number(n) for n in totals))
    console.print(table)


def _cell_text(cell: Cell, decimals: int) -> str | Text:
    """A stored value, shown with the decimals it was printed with (else the catalog's).

    A total the form does not print but the units make is shown in italics with "Σ".
    """
    from rich.text import Text

    from ktxh.domain.numbers import decimals_of

    if cell.computed and cell.value is not None:
        return Text(f"Σ {format_number(cell.value, decimals, parens=True)}", style="italic cyan")
    if not cell.present:
        return ""
    if cell.value is None:
        return "-"
    shown = decimals_of(cell.printed)
    return format_number(cell.value, decimals if shown is None else shown, parens=True)


@app.command("show")
def show_cmd(
    form: Annotated[int, typer.Argument(help="Số biểu (1-13).", metavar="BIỂU")],
    orgunit: Annotated[
        str | None,
        typer.Option("--orgunit", "-u", help="Đơn vị (tên hoặc mã), mặc định là cấp cao nhất."),
    ] = None,
    units: Annotated[
        bool,
        typer.Option(
            "--units", help="Thêm cột của từng đơn vị cấp dưới ở các cột biểu chia theo đơn vị."
        ),
    ] = False,
    previous: Annotated[
        bool,
        typer.Option(
            "--previous",
            help="Thêm so sánh với năm trước: 6 tháng cùng kỳ, thực hiện (hoặc ước) cả năm "
            "trước và tỷ lệ tăng giảm.",
        ),
    ] = False,
    year: RoundOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """In một biểu theo các cột biểu khai báo: số liệu kiểu Việt Nam, tỷ lệ so sánh tính lại
    bên cạnh tỷ lệ in trên biểu."""
    from dataclasses import replace

    from rich.table import Table
    from rich.text import Text

    from ktxh.domain.catalog import RowKind
    from ktxh.domain.consolidate import consolidate
    from ktxh.domain.layout import MEASURE_SHORT, parse, short_header
    from ktxh.domain.orgunits import period_day
    from ktxh.domain.tables import CellIndex, form_rows, shown_columns

    ds = _load(dataset, year, window=True)
    if form not in ds.catalog.forms:
        known = ", ".join(str(n) for n in sorted(ds.catalog.forms))
        raise fail(f"không có biểu số {form}; các biểu: {known}")
    try:
        org = ds.tree.find(orgunit) if orgunit else ds.tree[ds.top_orgunit]
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    y = ds.reference_year
    f = ds.catalog.forms[form]
    if previous:
        extra = "h1@Y-1 h1@Y/h1@Y-1 full@Y-1 estimate@Y/full@Y-1"
        have = {c.text for c in f.layout}
        wanted = [w for w in extra.split() if parse(w).columns[0].text not in have]
        f = replace(f, columns=(*f.layout.text.split(), *wanted))
        ds.catalog = replace(ds.catalog, forms={**ds.catalog.forms, form: f})

    def units_on(measure: str, year: int) -> list[tuple[str, str]]:
        return [(u.code, u.name) for u in ds.tree.children(org.code, on=period_day(year, measure))]

    cells = CellIndex(ds.values.frame).fill_totals(
        consolidate(ds.values.frame, ds.catalog, ds.tree)
    )
    rows = form_rows(ds.catalog, cells, form, org.code, y, units_on if units else None)
    columns = shown_columns(f, y, units_on if units else None)
    multi = sum(1 for c in f.layout if c.units) > 1

    table = Table(title=f"{f.label}: {f.title}\n{org.full_name}", header_style="bold")
    table.add_column("STT")
    table.add_column("Chỉ tiêu", min_width=28, max_width=60)
    table.add_column("ĐVT", max_width=12)
    for c in columns:
        if c.kind == "value":
            label = f"{MEASURE_SHORT[c.measure]}\n{c.year}"
            if c.orgunit is not None:
                label = f"{c.unit_name}\n{label.replace(chr(10), ' ')}" if multi else c.unit_name
            table.add_column(label, justify="right", no_wrap=True)
        elif c.kind == "ratio" and c.spec is not None:
            head = short_header(c.column, y)
            if c.spec.printed_measure is not None:
                table.add_column(f"{head}\n% in", justify="right", max_width=12)
            table.add_column(f"{head}\n% tính", justify="right", max_width=12)

    differences = 0
    for row in rows:
        ind = row.indicator
        name = "  " * row.depth + ind.name
        if ind.kind is RowKind.GROUP:
            table.add_row(ind.stt, Text(name, style="bold"))
            continue
        values, comparisons = iter(row.values), iter(row.comparisons)
        texts: list[str | Text] = []
        for c in columns:
            if c.kind == "value":
                texts.append(_cell_text(next(values), ind.decimals))
                continue
            if c.kind != "ratio":
                continue
            comp = next(comparisons)
            shown: str | Text = (
                ""
                if comp.computed is None
                else format_number(comp.computed, comp.decimals, parens=True)
            )
            if comp.differs:
                differences += 1
                shown = Text(
                    "không tính" if comp.computed is None else f"≠ {shown}", style="bold red"
                )
            if comp.spec.printed_measure is not None:
                texts.append(comp.printed.printed)
            texts.append(shown)
        table.add_row(ind.stt, name, ind.unit_printed or ind.unit, *texts)
    console.print(table)
    console.print(
        "Tỷ lệ «tính» được làm tròn theo số chữ số thập phân của tỷ lệ in và tính như tiêu đề "
        "cột (mới/cũ), trừ khi biểu khai báo quy ước khác. Σ: tổng cộng biểu không in, tính từ "
        "các đơn vị. "
        f"Số ô tỷ lệ khác bản in: {format_number(differences)}."
    )


@app.command("values")
def values_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="Định dạng: csv hoặc json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Ghi ra tệp thay vì màn hình.")
    ] = None,
    consolidated: Annotated[
        bool,
        typer.Option(
            "--consolidated", help="Thêm các số tổng cộng ktxh tính từ các đơn vị cấp dưới."
        ),
    ] = False,
    year: RoundOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Xuất mọi giá trị ở dạng dài (mỗi dòng một giá trị); các cột xem docs/export.md."""
    from ktxh.io.export import EXPORT_COLUMNS, long_values

    if fmt not in ("csv", "json"):
        err.print(f"[red]Lỗi:[/red] định dạng «{fmt}» không hỗ trợ; chọn csv hoặc json.")
        raise typer.Exit(2)
    ds = _load(dataset, year)
    rows = long_values(ds, consolidated)
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
        text = buf.getvalue()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Đã ghi {format_number(len(rows))} giá trị vào {output}.")


@app.command("check")
def check_cmd(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Định dạng: text, json hoặc xlsx.")
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Ghi ra tệp (bắt buộc với xlsx)."),
    ] = None,
    min_severity: Annotated[
        str,
        typer.Option("--min-severity", help="Chỉ hiện từ mức này trở lên: lỗi, cảnh báo, lưu ý."),
    ] = "lưu ý",
    year: RoundOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Kiểm tra số liệu, giải thích từng chỗ không khớp. Mã thoát 1 nếu có lỗi."""
    from ktxh.domain.checks import CheckContext, Severity, group_causes, run_checks
    from ktxh.io.findings_json import findings_document

    if fmt not in ("text", "json", "xlsx"):
        err.print(f"[red]Lỗi:[/red] định dạng «{fmt}» không hỗ trợ; chọn text, json hoặc xlsx.")
        raise typer.Exit(2)
    if fmt == "xlsx" and output is None:
        err.print("[red]Lỗi:[/red] định dạng xlsx cần --output TỆP.xlsx.")
        raise typer.Exit(2)
    try:
        floor = Severity.parse(min_severity)
    except ValueError as exc:
        err.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from None
    ds = _load(dataset, year, window=True)
    ctx = CheckContext(
        ds.catalog, ds.tree, ds.values.frame, ds.reference_year, ds.top_orgunit, ds.claims
    )
    # every finding, grouped by cause; a cause is as grave as its gravest finding
    causes = [
        c for c in group_causes(run_checks(ctx, ds.rules), ctx) if c.severity.rank >= floor.rank
    ]
    findings = [f for c in causes for f in c.findings]
    if fmt == "json":
        text = json.dumps(findings_document(ds, causes), ensure_ascii=False, indent=1) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    elif fmt == "xlsx":
        from ktxh.io.xlsx_forms import write_annex

        assert output is not None
        write_annex(ds, output, highlights=_highlights(findings))
    else:
        _print_findings(ds, causes, output)
    counts = {s: sum(1 for c in causes if c.severity is s) for s in Severity}
    summary = ", ".join(f"{format_number(n)} {s.value}" for s, n in counts.items())
    err.print(
        f"Kết quả kiểm tra: {summary} ({format_number(len(causes))} nguyên nhân, "
        f"{format_number(len(findings))} phát hiện)."
    )
    if output is not None:
        err.print(f"Đã ghi vào {output}.")
    if counts[Severity.ERROR]:
        raise typer.Exit(1)


def _highlights(findings: list[Finding]) -> dict[tuple[str, str, int, str], tuple[str, str]]:
    """One highlight per cell: the gravest severity and every message."""
    cells: dict[tuple[str, str, int, str], list[Finding]] = {}
    for f in findings:
        if f.indicator and f.orgunit and f.year is not None and f.measure:
            cells.setdefault((f.indicator, f.orgunit, f.year, f.measure), []).append(f)
    return {
        key: (
            max(fs, key=lambda f: f.severity.rank).severity.value,
            "\n".join(f"[{f.severity.value}] {f.message}" for f in fs),
        )
        for key, fs in cells.items()
    }


SEVERITY_STYLE = {"ERROR": "bold red", "WARNING": "yellow", "NOTICE": "cyan"}  # by Severity name


def _print_findings(ds: Dataset, causes: list[Cause], output: Path | None) -> None:
    """Causes grouped by form, for people: each cause first, then the findings it
    explains (when there is more than one, or the cause says more than its finding)."""
    from rich.console import Console
    from rich.text import Text

    from ktxh.domain.checks import Severity

    out = Console(file=output.open("w", encoding="utf-8"), width=200) if output else console
    groups: dict[int, list[Cause]] = {}
    for c in causes:
        ind = ds.catalog.indicators.get(c.lead.indicator or "")
        groups.setdefault(ind.form if ind else 0, []).append(c)
    if not causes:
        out.print("Không phát hiện chỗ nào không khớp.")

    def where(f: Finding) -> str:
        ind = ds.catalog.indicators.get(f.indicator or "")
        parts = []
        if f.seed_line:
            parts.append(f"dòng {f.seed_line}")
        if ind:
            parts.append(f"{ind.code} {ind.label}")
        return f" {' · '.join(parts)}: " if parts else " "

    for form in sorted(groups):
        items = groups[form]
        if form:
            title = f"{ds.catalog.forms[form].label}: {ds.catalog.forms[form].title}"
        else:
            title = "Phần thuyết minh của báo cáo"
        counts = ", ".join(
            f"{sum(1 for c in items if c.severity is s)} {s.value}"
            for s in Severity
            if any(c.severity is s for c in items)
        )
        out.print(Text(f"{title} ({len(items)} nguyên nhân: {counts})", style="bold"))
        for c in items:
            line = Text("  ")
            line.append(f"[{c.severity.value}]", style=SEVERITY_STYLE[c.severity.name])
            line.append(where(c.lead))
            line.append(c.message)
            out.print(line)
            if len(c.findings) > 1 or c.message != c.lead.message:
                said = c.message == c.lead.message  # the cause line is its first finding
                for f in c.findings[1:] if said else c.findings:
                    sub = Text("      - ")
                    sub.append(f"[{f.severity.value}]", style=SEVERITY_STYLE[f.severity.name])
                    sub.append(where(f))
                    sub.append(f.message)
                    out.print(sub)
        out.print()
    if output is not None:
        out.file.close()


@app.command("report")
def report_cmd(
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx", help="Ghi phụ lục các biểu số liệu (Excel, mỗi biểu một trang tính)."
        ),
    ] = None,
    docx: Annotated[
        Path | None, typer.Option("--docx", help="Ghi báo cáo thuyết minh (Word).")
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(
            "--pdf",
            help="Ghi bản PDF của báo cáo (cần LibreOffice); khi chỉ có --xlsx: PDF của phụ lục.",
        ),
    ] = None,
    pdf_xlsx: Annotated[
        Path | None, typer.Option("--pdf-xlsx", help="Ghi bản PDF của phụ lục (cần LibreOffice).")
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Mẫu báo cáo .docx riêng thay cho mẫu đi kèm ktxh."),
    ] = None,
    annex_docx: Annotated[
        Path | None,
        typer.Option("--annex-docx", help="Ghi phụ lục các biểu số liệu dạng bảng Word (.docx)."),
    ] = None,
    year: RoundOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Xuất phụ lục biểu số liệu (Excel), báo cáo thuyết minh (Word) và bản PDF."""
    from ktxh.domain.report import ReportMetaError
    from ktxh.io.docx_report import ReportError
    from ktxh.io.pdf import LibreOfficeNotFound, PdfError
    from ktxh.io.publish import publish
    from ktxh.io.xlsx_forms import AnnexError

    if annex_docx is not None:
        from ktxh.io.docx_report import write_annex_docx

        ds = _load(dataset, year, window=True)
        try:
            write_annex_docx(ds, annex_docx)
        except (AnnexError, ReportMetaError, OSError) as exc:
            raise fail(str(exc)) from None
        err.print(
            f"Đã ghi phụ lục dạng bảng Word vào {annex_docx}.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        if not any((xlsx, docx, pdf, pdf_xlsx)):
            return
    if not any((xlsx, docx, pdf, pdf_xlsx)):
        err.print(
            "[red]Lỗi:[/red] hãy chọn ít nhất một tệp để ghi: --xlsx, --docx, --pdf "
            "hoặc --pdf-xlsx."
        )
        raise typer.Exit(2)
    if pdf is not None and xlsx is not None and docx is None and pdf_xlsx is None:
        pdf, pdf_xlsx = None, pdf  # only the workbook was asked for: --pdf is its PDF
    ds = _load(dataset, year, window=True)
    try:
        publish(ds, xlsx=xlsx, docx=docx, pdf=pdf, pdf_xlsx=pdf_xlsx, template=template)
    except LibreOfficeNotFound as exc:
        err.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(3) from None
    except (PdfError, ReportError, ReportMetaError, AnnexError, OSError) as exc:
        err.print(f"[red]Lỗi:[/red] {exc}")
        raise typer.Exit(2) from None
    for path, what in (
        (xlsx, "phụ lục biểu số liệu"),
        (docx, "báo cáo thuyết minh"),
        (pdf, "bản PDF của báo cáo"),
        (pdf_xlsx, "bản PDF của phụ lục"),
    ):
        if path is not None:
            err.print(f"Đã ghi {what} vào {path}.", soft_wrap=True, markup=False, highlight=False)


@app.command("template")
def template_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp .xlsx sẽ ghi.")],
    orgunit: Annotated[
        str | None,
        typer.Option(
            "--orgunit",
            "-u",
            help="Đơn vị nhập số liệu (tên hoặc mã); với --department mặc định là cấp cao nhất.",
        ),
    ] = None,
    form: Annotated[
        list[int] | None,
        typer.Option("--form", help="Chỉ các biểu này (lặp lại để chọn nhiều: --form 2 --form 3)."),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(
            "--department",
            help="Phòng, ban của kế hoạch (tên hoặc mã): các biểu của phòng, ban đó.",
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="Năm của kỳ báo cáo (mặc định: năm của bộ dữ liệu)."),
    ] = None,
    dataset: DatasetOpt = None,
) -> None:
    """Tạo biểu mẫu Excel để một đơn vị (hoặc phòng, ban) nhập số liệu của một kỳ."""
    from ktxh.domain.importing import find_department
    from ktxh.io.xlsx_template import TemplateError, write_template

    if orgunit is None and department is None:
        err.print("[red]Lỗi:[/red] hãy cho biết đơn vị (--orgunit) hoặc phòng, ban (--department).")
        raise typer.Exit(2)
    ds = _load(dataset, year, need_round=False)
    try:
        dept = find_department(ds.departments, department) if department else None
        org = ds.tree.find(orgunit) if orgunit else ds.tree[ds.top_orgunit]
    except KeyError as exc:
        err.print(f"Lỗi: {exc.args[0]}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        layout = write_template(
            ds, output, orgunit=org.code, year=year, forms=form or None, department=dept
        )
    except TemplateError as exc:
        err.print(f"Lỗi: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"Lỗi: không ghi được {output}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(2) from None
    cells = sum(len(s.inputs) * sum(r.input for r in s.rows) for s in layout.sheets)
    forms_text = ", ".join(str(s.form.number) for s in layout.sheets)
    who = org.full_name + (f" ({dept.name})" if dept else "")
    err.print(
        f"Đã ghi biểu mẫu nhập của {who}, năm {layout.year} (biểu {forms_text}; "
        f"{format_number(cells)} ô nhập) vào {output}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command("import")
def import_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Các tệp .xlsx: biểu mẫu đã điền, hoặc phụ lục biểu số liệu.", metavar="TỆP"
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Chỉ cho xem các thay đổi, không ghi gì.")
    ] = False,
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="Năm của kỳ nhập (mặc định: năm của kế hoạch)."),
    ] = None,
    orgunit: Annotated[
        str | None,
        typer.Option("--orgunit", "-u", help="Chỉ nhận tệp của đơn vị này (tên hoặc mã)."),
    ] = None,
    user: UserOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Định dạng: text hoặc json.")] = "text",
) -> None:
    """Nhập số liệu từ biểu mẫu Excel đã điền (hoặc phụ lục biểu số liệu) vào kho: tất cả
    hoặc không.

    Cho xem từng ô thay đổi (cũ → mới), ghi nhật ký thay đổi (tệp, trang, ô, người
    nhập), rồi tổng hợp và kiểm tra lại. Mã thoát 2 khi có vấn đề: khi đó không ghi gì.
    """
    if fmt not in ("text", "json"):
        raise fail(f"định dạng «{fmt}» không hỗ trợ; chọn text hoặc json.")
    _open_store()
    from ktxh.store import imports
    from ktxh.store.frames import NoPlan, dataset_from_store

    actor = _user(user)
    allowed = None
    if orgunit:
        try:
            allowed = frozenset({dataset_from_store().tree.find(orgunit).code})
        except NoPlan as exc:
            raise fail(str(exc)) from None
        except KeyError as exc:
            raise fail(exc.args[0]) from None
    try:
        shown = imports.preview(actor, imports.read_paths(files), year=year, orgunits=allowed)
    except NoPlan as exc:
        raise fail(str(exc)) from None
    applied = imports.commit(actor, shown) if not dry_run and shown.ok else imports.Applied(shown)
    effect = imports.impact(shown) if shown.ok else None
    if fmt == "json":
        doc = _import_document(applied, effect, dry_run)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    else:
        _print_import(applied, effect, dry_run)
    if not shown.ok:
        raise typer.Exit(2)


def _import_document(applied: Applied, effect: Impact | None, dry_run: bool) -> dict[str, Any]:
    """The outcome of an import for machines (``ktxh import --format json``)."""
    from ktxh.domain.checks import Severity
    from ktxh.domain.numbers import plain_number

    shown = applied.preview
    plan = shown.plan
    summary = Counter(f.severity.value for f in effect.findings_after) if effect else None
    sources = {
        s.file: {
            "kind": s.kind,
            "year": s.year,
            "orgunits": list(s.orgunits),
            "forms": list(s.forms),
        }
        for s in shown.sources
    }

    def stored(s: Stored) -> float | None:
        return None if s.value is None else float(plain_number(s.value))

    return {
        "plan": shown.dataset.name,
        "dry_run": dry_run,
        "applied": applied.applied,
        "batch": applied.batch or None,
        "files": [
            {"file": f.name, "cells": f.cells, "source": sources.get(f.name)} for f in shown.files
        ],
        "problems": [
            {
                "file": p.ref.file,
                "sheet": p.ref.sheet or None,
                "cell": p.ref.cell or None,
                "issue": p.issue.value,
                "blocking": p.blocking,
                "message": str(p),
            }
            for p in plan.problems
        ],
        "changes": [
            {
                "file": c.ref.file,
                "sheet": c.ref.sheet,
                "cell": c.ref.cell,
                "indicator": c.key[0],
                "orgunit": c.key[1],
                "year": c.key[2],
                "measure": c.key[3],
                "action": c.action,
                "old": stored(c.old) if c.old.present else None,
                "old_printed": c.old.show() if c.old.present else None,
                "new": stored(c.new) if c.new.present else None,
                "new_printed": c.new.show() if c.new.present else None,
            }
            for c in plan.changes
        ],
        "unchanged": plan.unchanged,
        "totals_changed": effect.totals_changed if effect else 0,
        "checks": {s.value: summary.get(s.value, 0) for s in Severity} if summary else None,
    }


def _print_import(applied: Applied, effect: Impact | None, dry_run: bool) -> None:
    """The outcome of an import for people: files, changes cell by cell, problems, checks."""
    from ktxh.domain.checks import Severity
    from ktxh.domain.importing import ACTION_LABELS, describe_change

    shown: Preview = applied.preview
    ds, plan = shown.dataset, shown.plan
    out = sys.stdout.write
    out("Các tệp đã đọc:\n")
    for row in shown.files:
        out(f"  {row.name}: {row.what or 'không nhận ra'}; {format_number(row.cells)} ô\n")
    if not plan.ok:
        out(
            f"\nKHÔNG NHẬP: có {format_number(len(plan.blocking))} vấn đề, chưa ghi gì vào "
            "kho số liệu. Hãy sửa rồi nhập lại:\n"
        )
        for p in plan.problems:
            out(f"  - {p}\n")
        err.print("Không nhập gì (mã thoát 2).", markup=False, highlight=False)
        return
    if plan.changes:
        out("\nCác ô thay đổi (cũ → mới):\n")
        current = None
        for c in plan.changes:
            if c.ref.file != current:
                current = c.ref.file
                out(f"  {current}\n")
            out(f"    [{ACTION_LABELS[c.action]}] {describe_change(ds.catalog, ds.tree, c)}\n")
    actions = Counter(c.action for c in plan.changes)
    detail = ", ".join(
        f"{format_number(actions[a])} {ACTION_LABELS[a]}" for a in ("add", "update", "delete")
    )
    out(
        f"\nTổng cộng: {format_number(len(plan.changes))} ô thay đổi ({detail}); "
        f"{format_number(plan.unchanged)} ô không đổi.\n"
    )
    if effect is not None:
        if plan.changes:
            out(f"Tổng hợp lại: {format_number(effect.totals_changed)} số tổng cộng thay đổi.\n")

        def counts(findings: list[Finding]) -> str:
            c = Counter(f.severity for f in findings)
            return ", ".join(f"{format_number(c[s])} {s.value}" for s in Severity)

        label = "Kiểm tra nếu nhập" if dry_run else "Kiểm tra sau khi nhập"
        if not plan.changes:
            label = "Kiểm tra"
        out(f"{label}: {counts(effect.findings_after)}")
        if plan.changes:
            out(f" (trước khi nhập: {counts(effect.findings_before)})")
        out(".\n")
        fresh = effect.new_findings
        if fresh:
            out("Phát hiện mới:\n")
            for f in fresh:
                ind = ds.catalog.indicators.get(f.indicator or "")
                code = f" {ind.code}" if ind else ""
                out(f"  [{f.severity.value}]{code}: {f.message}\n")
    if dry_run:
        err.print("Chạy thử (--dry-run): chưa ghi gì.", markup=False, highlight=False)
    elif applied.applied:
        err.print(
            f"Đã ghi {format_number(applied.written)} thay đổi vào kho số liệu "
            f"(lần nhập {applied.batch}; xem nhật ký trên web hoặc «ktxh dump»).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    else:
        err.print("Không có gì thay đổi.", markup=False, highlight=False)


# --- the store: load, dump, accounts, the demo ----------------------------------------


@app.command("load")
def load_cmd(
    directory: Annotated[Path, typer.Argument(help="Thư mục gói dữ liệu.", metavar="THƯ_MỤC")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Thay kế hoạch đang có trong kho (số liệu và nhật ký cũ bị xóa)."
        ),
    ] = False,
    user: UserOpt = None,
) -> None:
    """Nạp một gói dữ liệu vào kho số liệu: kiểm tra toàn bộ trước, rồi ghi trong một lần."""
    import getpass

    _open_store()
    from ktxh.io.datapackage import PackageError
    from ktxh.store.packages import StoreError, load

    try:
        loaded = load(directory, user=user or getpass.getuser(), replace=replace)
    except PackageError as exc:
        raise fail(f"không nạp {directory}.\n{exc}") from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    c = loaded.counts
    what = "Đã thay kế hoạch «" + loaded.replaced + "» bằng" if loaded.replaced else "Đã nạp"
    err.print(
        f"{what} «{loaded.name}» vào kho số liệu: {format_number(c['indicators'])} chỉ tiêu, "
        f"{format_number(c['orgunits'])} đơn vị, {format_number(c['values'])} giá trị, "
        f"{format_number(c['audit'])} dòng nhật ký.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command("dump")
def dump_cmd(
    directory: Annotated[
        Path, typer.Argument(help="Thư mục sẽ ghi gói dữ liệu vào.", metavar="THƯ_MỤC")
    ],
) -> None:
    """Ghi kế hoạch trong kho ra một gói dữ liệu (CSV và datapackage.json)."""
    _open_store()
    from ktxh.store.packages import StoreError, dump

    try:
        counts = dump(directory)
    except (StoreError, OSError) as exc:
        raise fail(str(exc)) from None
    err.print(
        f"Đã ghi gói dữ liệu vào {directory}: {format_number(counts['values'])} giá trị, "
        f"{format_number(counts['audit'])} dòng nhật ký.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


user_app = typer.Typer(
    help="Tài khoản của kho số liệu: ai được làm gì, ở đơn vị nào.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add_cmd(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập.", metavar="TÊN")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="planner (chuyên viên kế hoạch), department (phòng), unit (xã, phường)."
        ),
    ],
    orgunit: Annotated[
        str | None,
        typer.Option("--orgunit", "-u", help="Đơn vị (tên hoặc mã); mặc định: cấp cao nhất."),
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Phòng, ban (với vai trò department).")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Chức danh, tên cơ quan.")] = "",
    password: Annotated[
        bool,
        typer.Option("--password", help="Hỏi mật khẩu để đăng nhập trên web (không hiện ra)."),
    ] = False,
) -> None:
    """Tạo hoặc sửa một tài khoản. Không có --password: chỉ dùng ở dòng lệnh (--user)."""
    import getpass

    ds = _load(None)
    from ktxh.domain.importing import find_department
    from ktxh.store.accounts import Account, AccountError, parse_role, save_account

    try:
        role_value = parse_role(role)
        org = ds.tree.find(orgunit) if orgunit else ds.tree[ds.top_orgunit]
        dept = find_department(ds.departments, department).code if department else None
    except (AccountError, KeyError) as exc:
        raise fail(str(exc.args[0])) from None
    secret = None
    if password:
        secret = getpass.getpass("Mật khẩu: ")
        if secret != getpass.getpass("Nhập lại mật khẩu: "):
            raise fail("hai lần nhập mật khẩu không giống nhau")
    try:
        save_account(Account(name, role_value, title, org.code, dept), secret)
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"Đã lưu tài khoản «{name}»: {role_value.label}, {org.full_name}.",
        markup=False,
        highlight=False,
    )


@user_app.command("list")
def user_list_cmd() -> None:
    """Liệt kê các tài khoản có vai trò trong kho."""
    _open_store()
    from rich.table import Table

    from ktxh.store.models import Profile

    table = Table(title="Tài khoản")
    for col in ("Tên", "Vai trò", "Đơn vị", "Phòng, ban", "Đăng nhập web"):
        table.add_column(col)
    for p in Profile.objects.select_related("user", "orgunit", "department").order_by(
        "user__username"
    ):
        table.add_row(
            p.user.get_username(),
            p.get_role_display(),
            p.orgunit.full_name,
            p.department.name if p.department else "",
            "có" if p.user.has_usable_password() else "không",
        )
    console.print(table)


AddressOpt = Annotated[str, typer.Option("--address", help="Địa chỉ và cổng của máy chủ web.")]


def _serve(address: str) -> None:
    from django.core.management import call_command

    call_command("runserver", address, use_reloader=False)


@app.command("demo")
def demo_cmd(
    address: AddressOpt = "127.0.0.1:8000",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Chạy máy chủ web sau khi chuẩn bị.")
    ] = True,
) -> None:
    """Dùng thử: nạp bộ dữ liệu mẫu Lai Châu vào kho (nếu kho chưa có kế hoạch), tạo các
    tài khoản dùng thử, rồi chạy không gian làm việc trên web."""
    import getpass

    _open_store()
    from ktxh import store
    from ktxh.io.datapackage import shipped_package
    from ktxh.store import accounts, models
    from ktxh.store.packages import load

    plan = models.Plan.objects.first()
    if plan is None:
        loaded = load(shipped_package(), user=getpass.getuser())
        err.print(
            f"Đã nạp bộ dữ liệu mẫu «{loaded.name}» ({format_number(loaded.counts['values'])} "
            "giá trị) vào kho số liệu.",
            markup=False,
            highlight=False,
        )
    else:
        err.print(f"Kho số liệu đã có kế hoạch «{plan.name}»: giữ nguyên.", markup=False)
    made = accounts.create_demo_accounts()
    lines = [f"Kho số liệu: {store.database_label()}"]
    if serve:
        lines.append(f"Hệ thống kế hoạch KT-XH chạy tại: http://{address}/")
    lines.append(
        f"Tài khoản dùng thử (mật khẩu chung «{accounts.DEMO_PASSWORD}», chỉ dùng để thử):"
    )
    for a in made:
        lines.append(f"  {a.username:<18} {a.title} ({models.Role(a.role).label})")
    if serve:
        lines.append("Dừng máy chủ: Ctrl+C.")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    if serve:
        _serve(address)


@app.command("serve")
def serve_cmd(address: AddressOpt = "127.0.0.1:8000") -> None:
    """Chạy không gian làm việc trên web với kho số liệu hiện có (máy chủ thử; khi triển
    khai thật dùng gunicorn: docs/web.md)."""
    _open_store()
    _serve(address)


# --- the org-unit tree through time ----------------------------------------------------

orgunits_app = typer.Typer(
    help="Cây đơn vị hành chính qua thời gian: xem cây của một ngày, lịch sử một đơn vị, "
    "ghi một lần sắp xếp (docs/orgunits.md).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(orgunits_app, name="orgunits")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"ngày «{text}» không đúng dạng YYYY-MM-DD (ví dụ 2025-07-01)") from None


@orgunits_app.command("list")
def orgunits_list_cmd(
    on: Annotated[
        str | None, typer.Option("--on", help="Cây của ngày này (YYYY-MM-DD); mặc định: hôm nay.")
    ] = None,
    dataset: DatasetOpt = None,
) -> None:
    """Liệt kê các đơn vị có hiệu lực vào một ngày, theo cây (mã, tên, cấp)."""
    from rich.table import Table

    ds = _load(dataset)
    day = _day(on) or date.today()
    tree = ds.tree.at(day)
    table = Table(title=f"Cây đơn vị ngày {day:%d/%m/%Y}")
    for col in ("Mã", "Đơn vị", "Cấp trên", "Hiệu lực"):
        table.add_column(col)
    for u in sorted(tree, key=lambda u: tree.paths[u.code]):
        indent = "  " * tree.depth(u.code)
        table.add_row(u.code, indent + u.full_name, u.parent or "", ds.tree[u.code].validity())
    console.print(table)
    err.print(f"{format_number(len(tree))} đơn vị.", markup=False, highlight=False)


@orgunits_app.command("timeline")
def orgunits_timeline_cmd(
    orgunit: Annotated[
        str, typer.Argument(help="Đơn vị (mã, hoặc tên nếu chỉ một).", metavar="ĐƠN_VỊ")
    ],
    dataset: DatasetOpt = None,
) -> None:
    """Lịch sử của một đơn vị: bắt đầu, các lần sắp xếp có căn cứ, kết thúc."""
    ds = _load(dataset)
    try:
        unit = ds.tree.find(orgunit)
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    sys.stdout.write(f"{unit.full_name} (mã {unit.code}, {unit.validity()})\n")
    for line in ds.tree.timeline(unit.code) or ["không có thay đổi nào được ghi"]:
        sys.stdout.write(f"  {line}\n")


@orgunits_app.command("record")
def orgunits_record_cmd(
    events: Annotated[
        Path, typer.Option("--events", help="Tệp CSV các sự kiện (cột như orgunit_events.csv).")
    ],
    units: Annotated[
        Path | None,
        typer.Option("--units", help="Tệp CSV các đơn vị mới (cột như orgunits.csv)."),
    ] = None,
    user: UserOpt = None,
) -> None:
    """Ghi một lần sắp xếp đơn vị vào kho: đơn vị mới, sự kiện, đơn vị hết hiệu lực."""
    _open_store()
    from ktxh.domain.orgunits import OrgUnit as OrgUnitRow
    from ktxh.io.datapackage import PackageError, event_from_row, read_resource
    from ktxh.store.orgunits import ReorganisationError, record_reorganisation

    actor = _user(user)
    try:
        event_rows = read_resource(events, "orgunit_events")
        unit_rows = read_resource(units, "orgunits") if units is not None else []
        new_events = [event_from_row(r) for r in event_rows]
    except (PackageError, ValueError) as exc:
        raise fail(str(exc)) from None
    new_units = [
        OrgUnitRow(
            r["code"],
            r["name"],
            r["level"],
            r["parent"] or None,
            _day(r["valid_from"] or None),
            _day(r["valid_to"] or None),
        )
        for r in unit_rows
    ]
    try:
        done = record_reorganisation(actor, new_units, new_events)
    except ReorganisationError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"Đã ghi {format_number(done.events)} sự kiện, {format_number(done.units)} đơn vị mới; "
        f"{format_number(done.ended)} đơn vị hết hiệu lực theo các sự kiện.",
        markup=False,
        highlight=False,
    )


@app.command("read")
def read_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Các tệp của báo cáo cũ: PDF, ảnh chụp, Word (.docx), Excel (.xlsx), văn bản.",
            metavar="TỆP",
        ),
    ],
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="Năm của báo cáo (năm Y: kế hoạch, ước thực hiện Y)."),
    ] = None,
    review: Annotated[
        Path | None,
        typer.Option("--review", help="Ghi danh sách cần xem lại và mọi giá trị ra tệp .xlsx."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Định dạng: text hoặc json.")] = "text",
    ocr: Annotated[
        bool | None,
        typer.Option(
            "--ocr/--no-ocr",
            help="Nhận dạng chữ (OCR) mọi trang PDF / không bao giờ; mặc định: trang không có chữ.",
        ),
    ] = None,
    dataset: DatasetOpt = None,
    into_store: Annotated[
        bool,
        typer.Option(
            "--into-store",
            help="Đưa kết quả đọc vào một bản nháp trong kho, chờ xem lại và xác nhận "
            "(ktxh draft ...).",
        ),
    ] = False,
    user: UserOpt = None,
) -> None:
    """Đọc các biểu số liệu của báo cáo cũ theo danh mục của kế hoạch; không ghi gì vào kho
    (với --into-store: vào một bản nháp, chưa thành số liệu của kế hoạch).

    In các bảng đã nhận ra, số giá trị đọc được và danh sách cần người xem lại (khớp dòng
    chưa chắc, ô bị lệch, ô không đọc được); mã thoát 2 khi có tệp không đọc được.
    """
    from ktxh.io.reports import read_reports, reading_document, reading_text

    if fmt not in ("text", "json"):
        raise fail(f"định dạng «{fmt}» không hỗ trợ; chọn text hoặc json.")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise fail("không có tệp: " + ", ".join(missing))
    if into_store and dataset is not None:
        raise fail("--into-store đưa kết quả vào kho: không dùng cùng --dataset")
    ds = _load(dataset)
    actor = _user(user) if into_store else None
    reading = read_reports(files, ds, year=year, ocr=ocr)
    if fmt == "json":
        doc = reading_document(reading, ds)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(reading_text(reading, ds))
    if actor is not None:
        _into_draft(actor, reading, files)
    if review is not None:
        from ktxh.io.review_xlsx import write_review

        try:
            write_review(reading, ds, review)
        except OSError as exc:
            raise fail(f"không ghi được {review}: {exc.strerror or exc}") from None
        err.print(
            f"Đã ghi bảng cần xem lại vào {review}.", markup=False, highlight=False, soft_wrap=True
        )
    if not reading.ok:
        raise typer.Exit(2)


@app.command("export-sdmx")
def export_sdmx_cmd(
    out_dir: Annotated[Path, typer.Argument(help="Thư mục sẽ ghi tệp vào.", metavar="THƯ_MỤC")],
    agency: Annotated[
        str, typer.Option("--agency", help="Mã cơ quan (agency) SDMX của đơn vị gửi số liệu.")
    ] = "KTXH",
    dataset: DatasetOpt = None,
) -> None:
    """Xuất số liệu dạng SDMX-CSV kèm cấu trúc dữ liệu (SDMX-ML 2.1) cho cơ quan thống kê."""
    from ktxh.io.sdmx import write_sdmx

    ds = _load(dataset)
    try:
        done = write_sdmx(ds, out_dir, agency=agency)
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"không ghi được vào {out_dir}: {exc.strerror or exc}") from None
    err.print(
        f"Đã ghi {format_number(done.rows)} giá trị SDMX-CSV vào {done.csv} và cấu trúc dữ "
        f"liệu vào {done.structure} (luồng dữ liệu {done.flow}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app()


round_app = typer.Typer(
    help="Các kỳ báo cáo: xem, mở kỳ năm sau (khóa sổ kỳ trước), ghi số và ngày báo cáo "
    "(docs/cycle.md).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(round_app, name="round")


@round_app.command("list")
def round_list_cmd() -> None:
    """Liệt kê các kỳ báo cáo của kho: trạng thái, hạn nộp, số báo cáo, tiến độ duyệt."""
    _open_store()
    from ktxh.store.models import Round, RoundEvent

    rounds = list(Round.objects.order_by("year"))
    if not rounds:
        raise fail("kho số liệu chưa có kỳ báo cáo nào")
    events: dict[int, list[str]] = {}
    for e in RoundEvent.objects.order_by("at", "id"):
        word = "mở" if e.action == "open" else "khóa sổ"
        events.setdefault(e.year, []).append(f"{word} {e.at:%d/%m/%Y} bởi {e.username}")
    for r in rounds:
        parts = [f"Kỳ năm {r.year}: {r.get_status_display().lower()}"]
        if r.due:
            parts.append(f"hạn nộp {r.due:%d/%m/%Y}")
        if r.report_number:
            parts.append(f"báo cáo số {r.report_number}")
        if r.report_date:
            parts.append(f"ngày {r.report_date:%d/%m/%Y}")
        parts.extend(events.get(r.year, []))
        sys.stdout.write("; ".join(parts) + "\n")


@round_app.command("open")
def round_open_cmd(
    year: Annotated[
        int, typer.Argument(help="Năm của kỳ mới (kỳ trước là năm trước đó).", metavar="NĂM")
    ],
    due: Annotated[
        str | None,
        typer.Option("--due", help="Hạn nộp biểu (YYYY-MM-DD); mặc định: hạn kỳ trước + 1 năm."),
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Chỉ cho xem việc mở kỳ sẽ làm gì, không ghi gì.")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="Ghi chú kèm theo (vào nhật ký).")] = "",
    user: UserOpt = None,
) -> None:
    """Mở kỳ báo cáo năm mới từ kỳ trước: khóa sổ kỳ trước, kế hoạch năm mới lấy từ chỉ
    tiêu đã đặt, mở các cột 6 tháng, ước thực hiện, kế hoạch năm sau và thực hiện năm trước."""
    _open_store()
    from django.core.exceptions import PermissionDenied

    from ktxh.store.rounds import RoundError, open_round, plan_opening

    day = _day(due)
    try:
        opening = plan_opening(year, day) if preview else open_round(_user(user), year, day, note)
    except RoundError as exc:
        raise fail(str(exc)) from None
    except PermissionDenied as exc:
        raise fail(f"{exc}: chỉ chuyên viên kế hoạch của cấp cao nhất được mở kỳ mới") from None
    for line in opening.lines():
        sys.stdout.write(line + "\n")
    if preview:
        if opening.problems:
            for p in opening.problems:
                err.print(f"Chưa mở được: {p}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2)
        err.print("Xem trước: chưa ghi gì.", markup=False, highlight=False)
    else:
        err.print(f"Đã mở kỳ báo cáo năm {year}.", markup=False, highlight=False)


@round_app.command("report")
def round_report_cmd(
    year: Annotated[int, typer.Argument(help="Năm của kỳ báo cáo.", metavar="NĂM")],
    number: Annotated[str, typer.Option("--number", help="Số báo cáo (ví dụ 2547).")],
    issued: Annotated[
        str | None, typer.Option("--date", help="Ngày ban hành (YYYY-MM-DD).")
    ] = None,
    user: UserOpt = None,
) -> None:
    """Ghi số và ngày ban hành của báo cáo của một kỳ (in trên báo cáo và phụ lục)."""
    _open_store()
    from django.core.exceptions import PermissionDenied

    from ktxh.store.rounds import RoundError, set_report

    try:
        set_report(_user(user), year, number, _day(issued))
    except (RoundError, PermissionDenied) as exc:
        raise fail(str(exc)) from None
    err.print(f"Đã ghi số báo cáo của kỳ năm {year}.", markup=False, highlight=False)


# --- a new locality: start a plan, its catalog workbook, past reports in drafts (issue 16) --


def _print_lines(lines: list[str], prefix: str = "  - ") -> None:
    for line in lines:
        sys.stdout.write(f"{prefix}{line}\n")


@app.command("start")
def start_cmd(
    orgunits: Annotated[
        Path,
        typer.Option(
            "--orgunits",
            help="Danh sách đơn vị: tệp CSV hoặc Excel (mã, tên, cấp, đơn vị cấp trên, "
            "hiệu lực từ).",
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="Tên kế hoạch (Tỉnh Sơn La 2026).")],
    year: Annotated[int, typer.Option("--year", "-y", help="Năm của kỳ báo cáo đầu tiên (năm Y).")],
    catalog: Annotated[
        str,
        typer.Option(
            "--catalog",
            help="Danh mục: laichau (danh mục Lai Châu, không có số liệu), empty (trống, chỉ "
            "có đơn vị tính) hoặc một sổ tính danh mục .xlsx.",
        ),
    ] = "laichau",
    name: Annotated[
        str | None,
        typer.Option("--name", help="Mã kế hoạch (chữ thường không dấu); mặc định: từ tên."),
    ] = None,
    top: Annotated[
        str | None,
        typer.Option("--top", help="Mã đơn vị cấp cao nhất (mặc định: đơn vị không có cấp trên)."),
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="Hạn nộp biểu của kỳ đầu (YYYY-MM-DD).")
    ] = None,
    planner: Annotated[
        list[str] | None,
        typer.Option(
            "--planner",
            help="Tài khoản chuyên viên kế hoạch của đơn vị cấp cao nhất (lặp lại được).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Thay kế hoạch đang có trong kho (số liệu và nhật ký cũ bị xóa)."
        ),
    ] = False,
    user: UserOpt = None,
) -> None:
    """Tạo kế hoạch của một địa phương mới: cây đơn vị, danh mục, phòng ban, kỳ báo cáo đầu.

    Mọi lỗi của các tệp được báo với tệp, trang, dòng, cột; khi còn lỗi, không ghi gì.
    Kho đã có kế hoạch thì phải có --replace.
    """
    import getpass

    from ktxh.io.catalog_xlsx import CatalogError, read_catalog, read_orgunit_list

    _open_store()
    from ktxh.store.packages import StoreError
    from ktxh.store.plans import STARTERS, PlanError, StartSpec, slug, start_plan

    try:
        units = read_orgunit_list(orgunits)
        chosen = catalog if catalog in STARTERS else read_catalog(Path(catalog))
    except CatalogError as exc:
        raise fail(str(exc)) from None
    source = f"đơn vị: {orgunits.name}; danh mục: " + (
        f"mẫu «{catalog}»" if catalog in STARTERS else Path(catalog).name
    )
    spec = StartSpec(
        name=name or slug(title),
        title=title,
        year=year,
        orgunits=units,
        catalog=chosen,
        top=top or "",
        due=_day(due),
        planners=list(planner or []),
        source=source,
    )
    try:
        started = start_plan(user or getpass.getuser(), spec, replace=replace)
    except PlanError as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    c = started.loaded.counts
    what = (
        f"Đã thay kế hoạch «{started.loaded.replaced}» bằng"
        if started.loaded.replaced
        else "Đã tạo"
    )
    err.print(
        f"{what} kế hoạch «{spec.name}» ({title}): {format_number(c['orgunits'])} đơn vị "
        f"(cấp cao nhất {started.top}), {format_number(c['forms'])} biểu, "
        f"{format_number(c['indicators'])} dòng chỉ tiêu, {format_number(c['departments'])} "
        f"phòng ban; kỳ báo cáo năm {year}"
        + (f", hạn nộp {spec.due:%d/%m/%Y}" if spec.due else "")
        + ".",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if started.planners:
        err.print(
            "Chuyên viên kế hoạch: " + ", ".join(started.planners) + " (đặt mật khẩu bằng "
            "«ktxh user add TÊN --role planner --password»).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if started.warnings:
        sys.stdout.write(f"Lưu ý ({format_number(len(started.warnings))}):\n")
        _print_lines(started.warnings[:10])
        if len(started.warnings) > 10:
            sys.stdout.write(
                f"  ... và {format_number(len(started.warnings) - 10)} lưu ý khác (xem tất cả: "
                "«ktxh catalog export danh-muc.xlsx» rồi «ktxh catalog check danh-muc.xlsx»)\n"
            )


catalog_app = typer.Typer(
    help="Danh mục chỉ tiêu trong sổ tính Excel: xuất ra, kiểm tra, nhập vào kho.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("export")
def catalog_export_cmd(
    output: Annotated[Path, typer.Argument(help="Tệp .xlsx sẽ ghi.", metavar="TỆP")],
    starter: Annotated[
        str | None,
        typer.Option(
            "--starter", help="Danh mục mẫu thay vì danh mục của kho: laichau hoặc empty."
        ),
    ] = None,
    dataset: DatasetOpt = None,
) -> None:
    """Ghi toàn bộ danh mục (biểu, cột, chỉ tiêu, đơn vị tính, quy tắc, phòng ban) ra sổ
    tính có danh sách chọn cho mọi trường đóng."""
    from ktxh.io.catalog_xlsx import catalog_tables, write_catalog
    from ktxh.io.datapackage import PackageError, read_package

    if starter is not None:
        _open_store()
        from ktxh.store.plans import PlanError, starter_tables

        try:
            tables = starter_tables(starter)
        except PlanError as exc:
            raise fail(str(exc)) from None
    elif dataset is not None:
        try:
            tables = catalog_tables(read_package(dataset).rows)
        except (PackageError, OSError) as exc:
            raise fail(f"không đọc được gói dữ liệu {dataset}: {exc}") from None
    else:
        _open_store()
        from ktxh.store.packages import StoreError
        from ktxh.store.plans import catalog_tables_from_store

        try:
            tables = catalog_tables_from_store()
        except StoreError as exc:
            raise fail(str(exc)) from None
    try:
        write_catalog(tables, output)
    except OSError as exc:
        raise fail(f"không ghi được {output}: {exc.strerror or exc}") from None
    err.print(
        f"Đã ghi danh mục ({format_number(len(tables['forms']))} biểu, "
        f"{format_number(len(tables['indicators']))} dòng chỉ tiêu, "
        f"{format_number(len(tables['units']))} đơn vị tính) vào {output}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@catalog_app.command("check")
def catalog_check_cmd(
    workbook: Annotated[Path, typer.Argument(help="Sổ tính danh mục .xlsx.", metavar="TỆP")],
) -> None:
    """Kiểm tra một sổ tính danh mục, không ghi gì: mọi lỗi (trang, dòng, cột) và lưu ý."""
    from ktxh.io.catalog_xlsx import CatalogError, read_catalog

    try:
        read = read_catalog(workbook)
    except CatalogError as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(
        f"Danh mục dùng được: {format_number(len(read.tables['forms']))} biểu, "
        f"{format_number(len(read.tables['indicators']))} dòng chỉ tiêu, "
        f"{format_number(len(read.tables['rules']))} quy tắc, "
        f"{format_number(len(read.tables['departments']))} phòng ban.\n"
    )
    if read.warnings:
        sys.stdout.write(f"Lưu ý ({format_number(len(read.warnings))}):\n")
        _print_lines(read.warnings)


def _admin_or_user(name: str | None) -> Any:
    """An administrator of that name, else the store's account with a role."""
    import getpass

    from django.contrib.auth import get_user_model

    from ktxh.store.permissions import is_administrator

    found = get_user_model().objects.filter(username=name or getpass.getuser()).first()
    if found is not None and is_administrator(found):
        return found
    return _user(name)


@catalog_app.command("import")
def catalog_import_cmd(
    workbook: Annotated[Path, typer.Argument(help="Sổ tính danh mục .xlsx.", metavar="TỆP")],
    user: UserOpt = None,
) -> None:
    """Thay danh mục của kế hoạch trong kho bằng sổ tính: giữ nguyên số liệu, nhật ký, tình
    hình nộp biểu; từ chối nếu một giá trị đã có mất chỉ tiêu của nó."""
    from django.core.exceptions import PermissionDenied

    from ktxh.io.catalog_xlsx import CatalogError, read_catalog

    _open_store()
    from ktxh.store.packages import StoreError
    from ktxh.store.plans import PlanError, replace_catalog

    actor = _admin_or_user(user)
    try:
        read = read_catalog(workbook)
        done = replace_catalog(actor, read)
    except (CatalogError, PlanError, StoreError, PermissionDenied) as exc:
        raise fail(str(exc)) from None
    c = done.counts
    err.print(
        f"Đã thay danh mục của kế hoạch: {format_number(c['forms'])} biểu, "
        f"{format_number(c['indicators'])} dòng chỉ tiêu, {format_number(c['rules'])} quy "
        f"tắc, {format_number(c['departments'])} phòng ban; số liệu giữ nguyên "
        f"({format_number(done.loaded.counts['values'])} giá trị).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if done.warnings:
        sys.stdout.write(f"Lưu ý ({format_number(len(done.warnings))}):\n")
        _print_lines(done.warnings)


@user_app.command("admin")
def user_admin_cmd(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập.", metavar="TÊN")],
    password: Annotated[
        bool,
        typer.Option("--password", help="Hỏi mật khẩu để đăng nhập trên web (không hiện ra)."),
    ] = False,
) -> None:
    """Tạo hoặc sửa một tài khoản quản trị hệ thống (tạo kế hoạch mới trên web)."""
    import getpass

    _open_store()
    from ktxh.store.accounts import AccountError
    from ktxh.store.plans import save_administrator

    secret = None
    if password:
        secret = getpass.getpass("Mật khẩu: ")
        if secret != getpass.getpass("Nhập lại mật khẩu: "):
            raise fail("hai lần nhập mật khẩu không giống nhau")
    try:
        save_administrator(name, secret)
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(f"Đã lưu tài khoản quản trị «{name}».", markup=False, highlight=False)


def _into_draft(actor: Any, reading: Any, files: list[Path]) -> None:
    from django.core.exceptions import PermissionDenied

    from ktxh.store.drafts import DraftError, create_draft

    try:
        draft = create_draft(actor, reading, [f.name for f in files])
    except (DraftError, PermissionDenied) as exc:
        raise fail(f"chưa đưa vào kho: {exc}") from None
    n_items = draft.items.count()
    err.print(
        f"Đã đưa {format_number(draft.values.count())} giá trị vào bản nháp số {draft.pk} "
        f"(kỳ năm {draft.year}), chưa thành số liệu của kế hoạch. Còn "
        f"{format_number(n_items)} mục cần xem lại: trên web (trang «Báo cáo cũ») hoặc "
        f"«ktxh draft review {draft.pk} -o xem-lai.xlsx», rồi «ktxh draft confirm {draft.pk}».",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


draft_app = typer.Typer(
    help="Bản nháp số liệu đọc từ báo cáo cũ: xem lại, quyết định, xác nhận hoặc bỏ.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(draft_app, name="draft")


def _draft(number: int) -> Any:
    from ktxh.store.models import Draft

    found = Draft.objects.filter(pk=number).first()
    if found is None:
        raise fail(f"không có bản nháp số {number} (xem «ktxh draft list»)")
    return found


@draft_app.command("list")
def draft_list_cmd() -> None:
    """Các bản nháp: năm, trạng thái, số giá trị, số mục đã quyết định."""
    from rich.table import Table

    _open_store()
    from ktxh.store.models import Draft

    table = Table(title="Bản nháp đọc từ báo cáo cũ")
    for col in ("Số", "Năm", "Trạng thái", "Tệp", "Giá trị", "Đã quyết định", "Người tạo"):
        table.add_column(col)
    for d in Draft.objects.all():
        items = d.items.count()
        decided = d.items.exclude(decision="").count()
        table.add_row(
            str(d.pk),
            str(d.year),
            d.get_status_display(),
            ", ".join(d.files),
            format_number(d.values.count()),
            f"{format_number(decided)}/{format_number(items)}",
            d.created_by,
        )
    console.print(table)


@draft_app.command("review")
def draft_review_cmd(
    number: Annotated[int, typer.Argument(help="Số bản nháp.", metavar="SỐ")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp .xlsx sẽ ghi.")],
) -> None:
    """Ghi bảng xem lại của một bản nháp (điền cột Quyết định, Giá trị đúng rồi gửi lại bằng
    «ktxh draft apply»)."""
    _open_store()
    from ktxh.io.review_xlsx import write_review
    from ktxh.store.drafts import draft_reading
    from ktxh.store.frames import NoPlan, dataset_from_store

    draft = _draft(number)
    try:
        ds = dataset_from_store()
    except NoPlan as exc:
        raise fail(str(exc)) from None
    try:
        write_review(draft_reading(draft), ds, output)
    except OSError as exc:
        raise fail(f"không ghi được {output}: {exc.strerror or exc}") from None
    err.print(
        f"Đã ghi bảng xem lại của bản nháp số {number} vào {output}.",
        markup=False,
        highlight=False,
    )


@draft_app.command("apply")
def draft_apply_cmd(
    number: Annotated[int, typer.Argument(help="Số bản nháp.", metavar="SỐ")],
    workbook: Annotated[Path, typer.Argument(help="Bảng xem lại đã điền.", metavar="TỆP")],
    user: UserOpt = None,
) -> None:
    """Nhận các quyết định của bảng xem lại đã điền: tất cả hoặc không."""
    from django.core.exceptions import PermissionDenied

    _open_store()
    from ktxh.io.review_xlsx import read_review
    from ktxh.store.drafts import DraftError, apply_review

    actor = _user(user)
    draft = _draft(number)
    try:
        rows, faults = read_review(workbook.read_bytes(), workbook.name)
        taken = apply_review(actor, draft, rows, faults)
    except OSError as exc:
        raise fail(f"không đọc được {workbook}: {exc.strerror or exc}") from None
    except (DraftError, PermissionDenied) as exc:
        raise fail(f"không nhận bảng xem lại, chưa ghi quyết định nào: {exc}") from None
    left = draft.items.filter(decision="").count()
    err.print(
        f"Đã ghi {format_number(taken)} quyết định vào bản nháp số {number}; còn "
        f"{format_number(left)} mục chưa quyết định.",
        markup=False,
        highlight=False,
    )


@draft_app.command("confirm")
def draft_confirm_cmd(
    number: Annotated[int, typer.Argument(help="Số bản nháp.", metavar="SỐ")],
    user: UserOpt = None,
) -> None:
    """Ghi số liệu của bản nháp (khi mọi mục đã có quyết định) vào kế hoạch, tất cả hoặc
    không, với nguồn là tệp báo cáo cũ và nhật ký thay đổi."""
    from django.core.exceptions import PermissionDenied

    _open_store()
    from ktxh.store.drafts import DraftError, confirm

    actor = _user(user)
    draft = _draft(number)
    try:
        done = confirm(actor, draft)
    except (DraftError, PermissionDenied) as exc:
        raise fail(f"chưa xác nhận: {exc}") from None
    err.print(
        f"Đã ghi {format_number(done.written)} giá trị của bản nháp số {number} vào kế hoạch "
        f"(lần ghi {done.batch}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for reason, n in done.skipped.items():
        err.print(f"Không ghi {format_number(n)} giá trị: {reason}.", markup=False)


@draft_app.command("discard")
def draft_discard_cmd(
    number: Annotated[int, typer.Argument(help="Số bản nháp.", metavar="SỐ")],
    user: UserOpt = None,
) -> None:
    """Bỏ một bản nháp: không ghi gì của nó vào kế hoạch."""
    from django.core.exceptions import PermissionDenied

    _open_store()
    from ktxh.store.drafts import DraftError, discard

    actor = _user(user)
    try:
        discard(actor, _draft(number))
    except (DraftError, PermissionDenied) as exc:
        raise fail(str(exc)) from None
    err.print(f"Đã bỏ bản nháp số {number}.", markup=False, highlight=False)


# --- targets: ranges, bounds, the documents that set them (issue 13, docs/targets.md) ------

targets_app = typer.Typer(
    help="Chỉ tiêu kế hoạch như nghị quyết viết (khoảng, cận trên, cận dưới, xấp xỉ), văn bản "
    "đặt chỉ tiêu và đánh giá Vượt / Đạt / Không đạt (docs/targets.md).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(targets_app, name="targets")


@targets_app.command("list")
def targets_list_cmd(
    form: Annotated[int, typer.Option("--form", "-b", help="Số biểu (mặc định: 1).")] = 1,
    orgunit: Annotated[
        str | None,
        typer.Option("--orgunit", "-u", help="Đơn vị (tên hoặc mã), mặc định là cấp cao nhất."),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Chỉ tiêu có hiệu lực vào ngày này (YYYY-MM-DD); mặc định: ngày của báo cáo kỳ.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Định dạng: text hoặc json.")] = "text",
    year: RoundOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Mỗi chỉ tiêu của một biểu: kế hoạch như văn bản viết, văn bản đặt ra nó, kết quả 6 tháng,
    ước thực hiện, thực hiện cả năm được đánh giá Vượt / Đạt / Không đạt; chỉ tiêu khác nhau
    giữa các văn bản được đánh dấu; cuối cùng là số chỉ tiêu đạt và vượt theo từng phần."""
    from rich.table import Table

    from ktxh.domain.catalog import RowKind
    from ktxh.domain.tables import CellIndex
    from ktxh.domain.targets import rate_cell, rating_dict, report_day, sections, tally

    if fmt not in ("text", "json"):
        raise fail(f"định dạng «{fmt}» không hỗ trợ; chọn text hoặc json.")
    ds = _load(dataset, year, window=True)
    if form not in ds.catalog.forms:
        known = ", ".join(str(n) for n in sorted(ds.catalog.forms))
        raise fail(f"không có biểu số {form}; các biểu: {known}")
    try:
        org = ds.tree.find(orgunit) if orgunit else ds.tree[ds.top_orgunit]
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    day = _day(on) or report_day(ds.meta)
    y = ds.reference_year
    cells = CellIndex(ds.values.frame)
    rows = [
        rate_cell(ind, org.code, y, cells, ds.targets, day)
        for ind in ds.catalog.in_form(form)
        if ind.kind is RowKind.INDICATOR
    ]
    by_code = {r.indicator.code: r for r in rows}
    tallies = [tally("", [r.main for r in rows])] + [
        tally(name, [by_code[i.code].main for i in inds])
        for name, inds in sections(ds.catalog, form)
        if name
    ]
    if fmt == "json":
        doc = {
            "orgunit": org.code,
            "form": form,
            "year": y,
            "on": day.isoformat() if day else None,
            "rows": [rating_dict(r) for r in rows],
            "tally": [{"label": t.label, "sentence": t.sentence()} for t in tallies],
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        return
    when = f", chỉ tiêu có hiệu lực ngày {day:%d/%m/%Y}" if day else ""
    table = Table(title=f"Biểu số {form} · {org.full_name} · năm {y}{when}")
    for col in ("Mã", "Chỉ tiêu", "ĐVT", f"KH {y}", "Theo", "TH 6 tháng", "Ước TH", "TH cả năm"):
        table.add_column(col)
    for r in rows:
        target = r.target
        source = r.resolved.source
        cols = []
        for measure, value, a in r.results:
            cell = cells[(r.indicator.code, org.code, y, measure)]
            shown = cell.printed or (
                "" if value is None else format_number(value, r.indicator.decimals, parens=True)
            )
            mark = a.label if a.rating is not None or measure != "h1" else ""
            cols.append(f"{shown} {mark}".strip() if shown else "")
        flag = " ⚠" if r.resolved.conflicts else ""
        plan_cell = cells[(r.indicator.code, org.code, y, "plan")]
        table.add_row(
            r.indicator.code,
            r.indicator.name,
            r.indicator.unit,
            (target.shown() if target else plan_cell.printed) + flag,
            source.short if source else "",
            *cols,
        )
    console.print(table)
    for t in tallies:
        label = f"{t.label.capitalize()}: " if t.label else "Toàn biểu: "
        sys.stdout.write(f"{label}{t.sentence()}.\n")
    for r in rows:
        for c in r.resolved.conflicts:
            sys.stdout.write(f"⚠ {r.indicator.code} {r.indicator.name}: {c.message()}.\n")


@targets_app.command("documents")
def targets_documents_cmd(dataset: DatasetOpt = None) -> None:
    """Các văn bản đặt chỉ tiêu: loại, số, ngày, cơ quan ban hành, văn bản sửa đổi, số ô
    chỉ tiêu mỗi văn bản đặt."""
    from collections import Counter

    from rich.table import Table

    ds = _load(dataset)
    book = ds.targets
    counts = Counter(r.document for r in book.records if r.document)
    table = Table(title="Văn bản đặt chỉ tiêu")
    for col in ("Mã", "Văn bản", "Sửa đổi", "Số chỉ tiêu"):
        table.add_column(col)
    for doc in sorted(book.documents.values(), key=lambda d: (d.day, d.code)):
        table.add_row(doc.code, doc.label, doc.amends, format_number(counts[doc.code]))
    console.print(table)
    err.print(f"{format_number(len(book.documents))} văn bản.", markup=False, highlight=False)


@targets_app.command("set")
def targets_set_cmd(
    indicator: Annotated[str, typer.Argument(help="Mã chỉ tiêu (B01.014).", metavar="CHỈ_TIÊU")],
    orgunit: Annotated[str, typer.Argument(help="Đơn vị (mã hoặc tên).", metavar="ĐƠN_VỊ")],
    year: Annotated[int, typer.Argument(help="Năm kế hoạch.", metavar="NĂM")],
    text: Annotated[
        str, typer.Argument(help="Chỉ tiêu như văn bản viết: 6,5-7%; trên 90.", metavar="CHỈ_TIÊU")
    ],
    document: Annotated[
        str, typer.Option("--document", "-d", help="Mã văn bản đã ghi (ktxh targets record).")
    ],
    note: Annotated[str, typer.Option("--note", help="Ghi chú.")] = "",
    user: UserOpt = None,
) -> None:
    """Ghi chỉ tiêu một văn bản đặt cho một ô kế hoạch; ô được ghi theo chỉ tiêu đang có
    hiệu lực (chuyên viên kế hoạch thành phố)."""
    _open_store()
    from django.core.exceptions import PermissionDenied

    from ktxh.store.actions import WriteRefused
    from ktxh.store.frames import dataset_from_store
    from ktxh.store.models import Source
    from ktxh.store.targets import TargetRefused, set_target

    actor = _user(user)
    try:
        org = dataset_from_store().tree.find(orgunit)
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    try:
        done = set_target(
            actor, (indicator, org.code, year, "plan"), text, document, note=note, source=Source.API
        )
    except (TargetRefused, PermissionDenied) as exc:
        raise fail(str(exc)) from None
    except WriteRefused as refused:
        raise fail("; ".join(p.message for p in refused.problems)) from None
    what = "Đã ghi" if done.changed else "Không đổi:"
    tail = "; ô kế hoạch đã ghi theo chỉ tiêu đang có hiệu lực" if done.value_written else ""
    err.print(
        f"{what} chỉ tiêu «{done.target.text}» của văn bản {document} cho {indicator}, "
        f"{org.full_name}, năm {year}{tail}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@targets_app.command("record")
def targets_record_cmd(
    documents: Annotated[
        Path | None,
        typer.Option("--documents", help="Tệp CSV các văn bản (cột như documents.csv)."),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option("--targets", help="Tệp CSV các chỉ tiêu của văn bản (cột như targets.csv)."),
    ] = None,
    user: UserOpt = None,
) -> None:
    """Ghi các văn bản và chỉ tiêu chúng đặt từ tệp CSV (cột như trong gói dữ liệu), tất cả
    hoặc không gì cả; mỗi lỗi ghi rõ tệp, dòng."""
    _open_store()
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from ktxh.io.datapackage import PackageError, read_resource
    from ktxh.store.actions import WriteRefused
    from ktxh.store.models import Source
    from ktxh.store.targets import DocumentInput, TargetRefused, record_document, set_target

    if documents is None and targets is None:
        raise fail("cần --documents hoặc --targets (hoặc cả hai)")
    actor = _user(user)
    try:
        doc_rows = read_resource(documents, "documents") if documents is not None else []
        target_rows = read_resource(targets, "targets") if targets is not None else []
    except PackageError as exc:
        raise fail(str(exc)) from None
    where = ""
    try:
        with transaction.atomic():
            for n, r in enumerate(doc_rows, start=2):
                where = f"{documents}, dòng {n}: "
                record_document(
                    actor,
                    DocumentInput(
                        r["code"],
                        r["kind"],
                        r["number"],
                        r["date"],
                        r["issuer"],
                        r["level"],
                        r["title"],
                        r["amends"],
                        r["note"],
                    ),
                    source=Source.API,
                )
            for n, r in enumerate(target_rows, start=2):
                where = f"{targets}, dòng {n}: "
                if not r["document"]:
                    raise TargetRefused(
                        "cột «document» trống: chỉ tiêu nhập thẳng vào ô kế hoạch thì nhập như "
                        "số liệu (ktxh import, web), không ghi ở đây"
                    )
                set_target(
                    actor,
                    (r["indicator"], r["orgunit"], int(r["year"]), r["measure"] or "plan"),
                    r["text"],
                    r["document"],
                    note=r["note"],
                    source=Source.API,
                )
    except (TargetRefused, PermissionDenied) as exc:
        raise fail(f"{where}{exc}; chưa ghi gì") from None
    except WriteRefused as refused:
        why = "; ".join(p.message for p in refused.problems)
        raise fail(f"{where}{why}; chưa ghi gì") from None
    err.print(
        f"Đã ghi {format_number(len(doc_rows))} văn bản và {format_number(len(target_rows))} "
        "chỉ tiêu.",
        markup=False,
        highlight=False,
    )


@app.command("snapshot")
def snapshot_cmd(
    directory: Annotated[
        Path, typer.Argument(help="Thư mục trống sẽ ghi bản chụp vào.", metavar="THƯ_MỤC")
    ],
) -> None:
    """Chụp kho số liệu ra các tệp Parquet (số liệu, danh mục, cây đơn vị) để phân tích số
    liệu cả nước bằng polars, DuckDB ... mà không đụng tới kho (docs/deploy.md)."""
    _open_store()
    from ktxh.store.frames import NoPlan
    from ktxh.store.snapshot import take_snapshot

    try:
        done = take_snapshot(directory)
    except NoPlan as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"không ghi được vào {directory}: {exc.strerror or exc}") from None
    err.print(
        f"Đã chụp kho số liệu vào {directory}: {format_number(done.values)} giá trị trong "
        f"{format_number(done.parts)} tệp, {format_number(done.counts['indicators'])} chỉ tiêu, "
        f"{format_number(done.counts['orgunits'])} đơn vị.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


FORECAST_COLUMNS = [
    "indicator",
    "name",
    "orgunit",
    "orgunit_name",
    "year",
    "h1",
    "value",
    "low",
    "high",
    "method",
    "years",
    "note",
]


@app.command("forecast")
def forecast_cmd(
    orgunit: Annotated[
        str | None,
        typer.Option("--orgunit", "-u", help="Chỉ đơn vị này (tên hoặc mã); mặc định mọi đơn vị."),
    ] = None,
    form: Annotated[
        list[int] | None,
        typer.Option("--form", help="Chỉ các biểu này (lặp lại để chọn nhiều: --form 1 --form 2)."),
    ] = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", "-i", help="Chỉ các chỉ tiêu này (mã; lặp lại để chọn nhiều)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Định dạng: text, csv hoặc json.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Ghi ra tệp thay vì màn hình.")
    ] = None,
    accept: Annotated[
        bool,
        typer.Option(
            "--accept",
            help="Nhận các gợi ý (tất cả, hoặc các chỉ tiêu --indicator): ghi vào ô ước thực "
            "hiện với tư cách người thực hiện (--user); nhật ký ghi rõ là gợi ý được chấp nhận.",
        ),
    ] = False,
    year: RoundOpt = None,
    user: UserOpt = None,
) -> None:
    """Gợi ý số ước thực hiện cả năm cho các ô còn trống của kỳ báo cáo, từ số thực hiện 6
    tháng và số liệu các năm trước: cách tính, các năm đã dùng, khoảng khi ít năm số liệu.

    Không ghi gì vào kho, trừ khi có --accept. Ô đã có số ước thực hiện do người nhập thì
    không gợi ý (cho biết số ô bỏ qua)."""
    if fmt not in ("text", "csv", "json"):
        raise fail(f"định dạng «{fmt}» không hỗ trợ; chọn text, csv hoặc json.")
    _open_store()
    from django.core.exceptions import PermissionDenied

    from ktxh.store.actions import WriteRefused
    from ktxh.store.forecasts import Acceptance, ForecastRefused, accept_forecast, suggestions
    from ktxh.store.frames import NoPlan, current_plan, static_parts
    from ktxh.store.models import Round

    try:
        parts = static_parts(current_plan())
    except NoPlan as exc:
        raise fail(str(exc)) from None
    if year is not None and not Round.objects.filter(year=year).exists():
        known = ", ".join(str(y) for y in Round.objects.values_list("year", flat=True))
        raise fail(f"kho số liệu không có kỳ báo cáo năm {year} (các kỳ: {known or 'chưa có'})")
    catalog, tree = parts.catalog, parts.tree
    for n in form or []:
        if n not in catalog.forms:
            known = ", ".join(str(f) for f in sorted(catalog.forms))
            raise fail(f"không có biểu số {n}; các biểu: {known}")
    unknown = [c for c in indicator or [] if c not in catalog.indicators]
    if unknown:
        raise fail(f"không có chỉ tiêu mã {', '.join(unknown)} trong danh mục")
    try:
        org = tree.find(orgunit).code if orgunit else None
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    made = suggestions(
        year,
        orgunits={org} if org else None,
        indicators=set(indicator) if indicator else None,
        forms=set(form) if form else None,
    )
    rows: list[dict[str, Any]] = [
        {
            "indicator": s.indicator,
            "name": catalog[s.indicator].name,
            "orgunit": s.orgunit,
            "orgunit_name": tree[s.orgunit].full_name,
            "year": s.year,
            "h1": s.h1,
            "value": s.value,
            "low": s.low,
            "high": s.high,
            "method": s.method,
            "years": " ".join(str(y) for y in s.years),
            "note": s.note,
        }
        for s in made.items
    ]
    if fmt == "json":
        doc = {
            "year": made.year,
            "suggestions": rows,
            "entered": made.entered,
            "without_h1": made.without_h1,
        }
        text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    elif fmt == "csv":
        from ktxh.domain.numbers import plain_number

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=FORECAST_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    k: plain_number(v) if k in ("h1", "value", "low", "high") else v
                    for k, v in r.items()
                }
            )
        text = buf.getvalue()
    else:
        text = ""
        _print_forecasts(made, output)
    if text:
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    _say(f"{made.summary()}.")
    if output is not None:
        _say(f"Đã ghi vào {output}.")
    if not accept:
        return
    actor = _user(user)
    if not made.items:
        _say("Không có gợi ý nào để nhận: chưa ghi gì.")
        return
    cells = [Acceptance(s.indicator, s.orgunit, s.year, s.value) for s in made.items]
    try:
        done = accept_forecast(actor, cells)
    except PermissionDenied as exc:
        raise fail(f"{exc}; chưa ghi gì") from None
    except ForecastRefused as exc:
        raise fail(_listed([m for _, m in exc.problems]) + "; chưa ghi gì") from None
    except WriteRefused as exc:
        raise fail(_listed([p.message for p in exc.problems]) + "; chưa ghi gì") from None
    _say(
        f"Đã ghi {format_number(len(done.suggestions))} ô ước thực hiện năm {made.year} theo "
        f"gợi ý, do {actor.get_username()} chấp nhận ({format_number(done.written.changed)} ô "
        f"thay đổi; nhật ký: nguồn «gợi ý ước TH được chấp nhận», lô {done.written.batch})."
    )


def _say(text: str) -> None:
    """A plain line on the standard error (no markup: texts hold brackets)."""
    err.print(text, markup=False, highlight=False, soft_wrap=True)


def _listed(messages: list[str], shown: int = 10) -> str:
    more = len(messages) - shown
    return "; ".join(messages[:shown]) + (f" (và {format_number(more)} ô khác)" if more > 0 else "")


def _print_forecasts(made: Any, output: Path | None) -> None:
    """The proposals as a table for people."""
    from rich.console import Console
    from rich.table import Table

    from ktxh.store.frames import current_plan, static_parts

    parts = static_parts(current_plan())
    out = Console(file=output.open("w", encoding="utf-8"), width=240) if output else console
    if not made.items:
        out.print(f"Không có ô ước thực hiện năm {made.year} nào còn trống để gợi ý.")
        return
    units = {s.orgunit for s in made.items}
    table = Table(title=f"Gợi ý ước thực hiện cả năm {made.year}", header_style="bold")
    table.add_column("Mã")
    table.add_column("Chỉ tiêu", max_width=50)
    if len(units) > 1:
        table.add_column("Đơn vị")
    table.add_column("ĐVT", max_width=12)
    table.add_column(f"TH 6 tháng\n{made.year}", justify="right")
    table.add_column(f"Gợi ý ước TH\n{made.year}", justify="right")
    table.add_column("Khoảng", justify="right")
    table.add_column("Cách tính", max_width=70)
    for s in made.items:
        ind = parts.catalog[s.indicator]
        cells = [s.indicator, ind.name]
        if len(units) > 1:
            cells.append(parts.tree[s.orgunit].full_name)
        cells += [
            ind.unit,
            s.shown(s.h1),
            s.shown(),
            s.range_text(),
            s.note,
        ]
        table.add_row(*cells)
    out.print(table)
