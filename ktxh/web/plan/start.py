"""The administrator's pages: start a new locality's plan, download a catalog workbook.

A view parses the form, checks that the user is an administrator and calls
:func:`ktxh.store.plans.start_plan`; every fault of the files sent is shown
with its file, sheet, row and column, and nothing is written while one remains.
"""

from __future__ import annotations

import io
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from ktxh.io.catalog_xlsx import CatalogError, read_catalog, read_orgunit_list, write_catalog
from ktxh.io.xlsx_safety import mib_text
from ktxh.store import models
from ktxh.store.packages import StoreError
from ktxh.store.permissions import is_administrator, require_administrator, scope_of
from ktxh.store.plans import STARTERS, PlanError, StartSpec, slug, start_plan, starter_tables
from ktxh.web.plan.shortcuts import acting_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LIST_BYTES = 5 * 1024 * 1024  # a list of units: a province's 1.000 communes is 60 KiB


def _form_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    plan = models.Plan.objects.first()
    post = request.POST if request.method == "POST" else {}
    return {
        "plan": plan,
        "starters": STARTERS,
        "values": {
            "title": post.get("title", ""),
            "name": post.get("name", ""),
            "year": post.get("year", str(date.today().year)),
            "due": post.get("due", ""),
            "top": post.get("top", ""),
            "catalog": post.get("catalog", "laichau"),
            "planner": "planner" in post if post else True,
        },
        "max_list": mib_text(MAX_LIST_BYTES),
        **extra,
    }


def _file(request: HttpRequest, name: str) -> tuple[bytes, str] | None:
    f = request.FILES.get(name)
    if f is None:
        return None
    if (f.size or 0) > MAX_LIST_BYTES * 4:
        raise CatalogError([f"tệp «{f.name}» quá lớn ({mib_text(int(f.size or 0))})"])
    return f.read(), f.name or name


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The form of a new plan; its POST starts the plan (all or nothing)."""
    require_administrator(request.user)
    if request.method == "GET":
        return render(request, "plan/start.html", _form_context(request))
    post = request.POST
    problems: list[str] = []
    title = post.get("title", "").strip()
    name = post.get("name", "").strip() or slug(title)
    try:
        year = int(post.get("year", "").strip())
    except ValueError:
        year = 0
        problems.append(f"năm «{post.get('year', '')}» không phải một năm (ví dụ 2026)")
    due = None
    if post.get("due", "").strip():
        try:
            due = date.fromisoformat(post["due"].strip())
        except ValueError:
            problems.append(f"hạn nộp «{post['due']}» không phải một ngày")
    plan = models.Plan.objects.first()
    replace = post.get("replace") == "1"
    if plan is not None:
        if not replace:
            problems.append(
                f"kho số liệu đã có kế hoạch «{plan.name}»: đánh dấu «Thay kế hoạch đang có» "
                "và gõ lại mã của nó để xác nhận (số liệu và nhật ký cũ sẽ bị xóa)"
            )
        elif post.get("confirm_name", "").strip() != plan.name:
            problems.append(
                f"để thay kế hoạch «{plan.name}», hãy gõ đúng mã «{plan.name}» vào ô xác nhận"
            )
    catalog_choice = post.get("catalog", "laichau")
    try:
        units_file = _file(request, "orgunits")
        if units_file is None:
            problems.append("chưa chọn tệp danh sách đơn vị (CSV hoặc Excel)")
            units = None
        else:
            units = read_orgunit_list(units_file[0], units_file[1])
        if catalog_choice == "workbook":
            book = _file(request, "catalog_file")
            if book is None:
                problems.append("đã chọn «sổ tính danh mục» nhưng chưa chọn tệp .xlsx")
                catalog: object = None
            else:
                catalog = read_catalog(book[0], book[1])
        elif catalog_choice in STARTERS:
            catalog = catalog_choice
        else:
            problems.append(f"danh mục «{catalog_choice}» không có")
            catalog = None
    except CatalogError as exc:
        problems.extend(exc.problems)
        units, catalog = None, None
    if problems or units is None or catalog is None:
        return render(
            request, "plan/start.html", _form_context(request, problems=problems), status=400
        )
    actor = acting_user(request)
    spec = StartSpec(
        name=name,
        title=title,
        year=year,
        orgunits=units,
        catalog=catalog,  # type: ignore[arg-type]
        top=post.get("top", "").strip(),
        due=due,
        planners=[actor.get_username()] if post.get("planner") else [],
        source=(
            f"trên web: đơn vị {units_file[1] if units_file else ''}; danh mục {catalog_choice}"
        ),
    )
    try:
        started = start_plan(actor, spec, replace=replace)
    except (PlanError, StoreError) as exc:
        found = exc.problems if isinstance(exc, PlanError) else [str(exc)]
        return render(
            request, "plan/start.html", _form_context(request, problems=found), status=400
        )
    return render(
        request,
        "plan/start_done.html",
        {
            "started": started,
            "spec": spec,
            "counts": started.loaded.counts,
            "warnings": started.warnings[:50],
            "more_warnings": max(0, len(started.warnings) - 50),
        },
    )


@login_required
@require_GET
def catalog_workbook(request: HttpRequest) -> HttpResponse:
    """The catalog workbook: the plan's (for its administrator or planner) or a starter's
    (``?mau=laichau`` or ``?mau=empty``, for an administrator)."""
    starter = request.GET.get("mau", "")
    scope = scope_of(request.user)
    admin = is_administrator(request.user)
    if starter:
        if not admin:
            raise PermissionDenied("Trang này dành cho quản trị hệ thống")
        try:
            tables = starter_tables(starter)
        except PlanError as exc:
            raise PermissionDenied(str(exc)) from None
        name = f"danh-muc-mau-{starter}.xlsx"
    else:
        if not admin and (scope is None or scope.role is not models.Role.PLANNER):
            raise PermissionDenied("Trang này dành cho quản trị hệ thống và chuyên viên kế hoạch")
        from ktxh.store.plans import catalog_tables_from_store

        try:
            tables = catalog_tables_from_store()
        except StoreError as exc:
            raise PermissionDenied(str(exc)) from None
        plan = models.Plan.objects.first()
        name = f"danh-muc-{plan.name if plan else 'ke-hoach'}.xlsx"
    buf = io.BytesIO()
    write_catalog(tables, buf)
    return HttpResponse(
        buf.getvalue(),
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
