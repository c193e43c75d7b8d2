"""Error answers: RFC 9457 problem details (``application/problem+json``) under
``/api/`` (and to the grid's JSON saves), Vietnamese HTML pages elsewhere, from every
place an error can come from.

Django's handlers (``handler400`` ... ``handler500`` in ktxh/web/urls.py), the CSRF
failure view, django-axes' lock-out (:mod:`ktxh.web.plan.security`) and the API's
own refusals all answer through :func:`answer`. :class:`ErrorMiddleware`, the
outermost, turns the database going away (a dropped connection, a locked SQLite
file past its timeout) into a 503 that says nothing was half written, and any error
answer under ``/api/`` that is not JSON yet (a 405 of a decorator, a 413) into a
problem. Internals never reach the page: not the exception's class, not the
resolver's list of patterns.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

log = logging.getLogger("ktxh.web")

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột",
    413: "Nội dung gửi lên quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Số liệu không hợp lệ",
    423: "Đã khóa",
    429: "Quá nhiều lần thử",
    500: "Lỗi máy chủ",
    503: "Tạm thời không phục vụ được",
}
DETAILS = {
    400: "Máy chủ không hiểu yêu cầu này.",
    403: "Tài khoản của bạn không có quyền xem hoặc thực hiện thao tác này.",
    404: "Trang hoặc dữ liệu bạn tìm không có trong hệ thống.",
    405: "Địa chỉ này không nhận phương thức đó.",
    413: "Nội dung gửi lên quá lớn.",
    500: "Đã xảy ra lỗi ở máy chủ. Vui lòng thử lại sau hoặc báo cho quản trị hệ thống.",
}
DATABASE_GONE = (
    "Mất kết nối với cơ sở dữ liệu: thao tác vừa rồi được ghi trọn vẹn hoặc không ghi gì "
    "(không có gì ghi dở dang). Hãy tải lại trang để xem số liệu hiện có rồi thử lại; nếu "
    "lỗi còn lặp lại, hãy báo cho quản trị hệ thống."
)
CSRF_REFUSED = (
    "Phiên làm việc đã hết hạn hoặc yêu cầu không mang mã chống giả mạo (CSRF) hợp lệ; hãy "
    "tải lại trang rồi thử lại."
)
# what the database going away looks like (the driver's error, or SQLite busy too long)
UNAVAILABLE = (OperationalError, InterfaceError)


def is_api(request: HttpRequest) -> bool:
    """Is the answer read by a program? Everything under /api/, and a request that sent
    JSON (the grid's save): they get problems; people's pages get pages."""
    return request.path_info.startswith("/api/") or request.content_type == "application/json"


def problem(status: int, detail: str, **extra: Any) -> JsonResponse:
    """An RFC 9457 problem: ``type``, ``title``, ``status``, ``detail`` (Vietnamese)
    and any extension members (``problems`` for the cells of a refused write)."""
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Lỗi"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_JSON,
        json_dumps_params={"ensure_ascii": False},
    )


def page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The HTML error page of ``status`` (templates 400.html ... 503.html)."""
    name = f"{status}.html" if status in (400, 403, 404, 500, 503) else "error.html"
    context = {"message": message, "title": TITLES.get(status, "Lỗi"), "status": status}
    if status >= 500:  # these pages do not touch the database (it may be what failed)
        return HttpResponse(loader.render_to_string(name, context), status=status)
    return render(request, name, context, status=status)


def answer(request: HttpRequest, status: int, message: str, **extra: Any) -> HttpResponse:
    """A problem under /api/, a page elsewhere."""
    if is_api(request):
        return problem(status, message, **extra)
    return page(request, status, message)


def _message(exception: BaseException | None, status: int) -> str:
    """The exception's own Vietnamese message when it is one of ours (a string given to
    Http404, PermissionDenied, BadRequest), else the status' general one."""
    if exception is not None and exception.args:
        first = exception.args[0]
        if isinstance(first, str) and first and type(exception).__name__ != "Resolver404":
            return first
    return DETAILS.get(status, TITLES.get(status, "Lỗi"))


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Our own BadRequest says why in Vietnamese; Django's refusals of a request's
    shape are named here (their own messages are English and technical)."""
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        message = f"Gửi quá nhiều tệp một lần: tối đa {limit} tệp; hãy gửi thành nhiều lần."
    elif isinstance(exception, RequestDataTooBig):
        message = DETAILS[413]
    elif isinstance(exception, TooManyFieldsSent):
        message = "Biểu mẫu gửi lên có quá nhiều trường."
    elif type(exception) is BadRequest:
        message = _message(exception, 400)
    else:
        message = DETAILS[400]
    return answer(request, 400, message)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return answer(request, 403, _message(exception, 403))


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    found = exception if isinstance(exception, Http404) else None
    return answer(request, 404, _message(found, 404))


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return answer(request, 503, DATABASE_GONE)
    return answer(request, 500, DETAILS[500])


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (settings.CSRF_FAILURE_VIEW), without Django's reason."""
    return answer(request, 403, CSRF_REFUSED)


class ErrorMiddleware:
    """The outermost middleware: the database going away is a 503 (logged), and an
    error under /api/ that is not JSON becomes a problem with the same status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        status = response.status_code
        replaced: HttpResponse | None = None
        if is_api(request) and "json" not in response.get("Content-Type", ""):
            replaced = problem(status, DETAILS.get(status, TITLES.get(status, "Lỗi")))
        elif not is_api(request) and not response.content:  # a bare 405 of a decorator
            replaced = page(request, status, DETAILS.get(status, TITLES.get(status, "Lỗi")))
        if replaced is None:
            return response
        for header in ("Allow", "Retry-After"):
            if header in response:
                replaced[header] = response[header]
        return replaced

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE):
            log.error("database unavailable: %s %s", request.method, request.path, exc_info=True)
            return answer(request, 503, DATABASE_GONE)
        return None
