"""Guards at the web's edge: logins that cannot be forged or guessed, requests that
cannot carry what the store refuses to hold.

* :class:`LockoutBackend` (django-axes): an account, and an address, with too many
  failed logins in a row is locked out for a while (settings ``AXES_*``); the
  answer is :func:`lockout`: the login page with a Vietnamese message, or a 429
  problem under ``/api/``. Logins without a request (the command line, test
  clients) are not throttled: nothing can be guessed through them.
* :func:`client_ip`: the address that is counted, behind ``KTXH_PROXIES`` reverse
  proxies (the last ones in ``X-Forwarded-For``, which the proxy appends to).
* :func:`cross_site`: a login posted from another site's page (login CSRF) is
  refused by the API (the login page itself has Django's CSRF token).
* :class:`RequestGuardMiddleware`: a request larger than an import may be is refused
  before Django reads it (413), and control characters in the path or the query
  (a NUL reaches PostgreSQL as an error) are refused (400).
* :class:`CSPMiddleware`: django-csp's, with the policy built once (it is the same
  for every response that neither uses a nonce nor changes the policy).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from axes.backends import AxesStandaloneBackend
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from ktxh.domain.numbers import format_number
from ktxh.store.imports import LIMITS
from ktxh.web.plan.errors import answer, is_api, problem
from ktxh.web.plan.sessions import StoreBackend

FORM_OVERHEAD = 1024 * 1024  # an upload's fields and multipart boundaries


class LockoutBackend(AxesStandaloneBackend, StoreBackend):  # type: ignore[misc]
    """django-axes' check of locked-out accounts and addresses, for logins over HTTP
    (a session it is named in reads its user as :class:`StoreBackend` does)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Đăng nhập sai quá {format_number(settings.AXES_FAILURE_LIMIT)} lần liên tiếp: tài "
        f"khoản này (hoặc máy tính này) tạm thời bị khóa đăng nhập trong {minutes} phút. Hãy "
        "thử lại sau; nếu quên mật khẩu, hãy liên hệ quản trị hệ thống."
    )


def lockout(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked-out login (settings.AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if is_api(request):
        response: HttpResponse = problem(429, lockout_message())
    else:
        username = str((credentials or {}).get("username") or request.POST.get("username", ""))
        response = render(
            request,
            "plan/login.html",
            {"lockout": lockout_message(), "username": username[:150]},
            status=429,
        )
    response["Retry-After"] = str(minutes * 60)
    return response


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``KTXH_PROXIES`` proxies the
    address the first of them saw (X-Forwarded-For, counted from the right: the
    part a client may forge is on the left)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "KTXH_PROXIES", 0))
    if proxies <= 0:
        return remote
    chain = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    chain = [a for a in chain if a]
    if len(chain) < proxies:
        return remote
    return chain[-proxies][:45]


def cross_site(request: HttpRequest) -> bool:
    """Was the request sent by another site's page? The browser says so in
    ``Sec-Fetch-Site`` and ``Origin``; a script (curl) sends neither."""
    fetch_site = request.headers.get("Sec-Fetch-Site", "")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    own = f"{request.scheme}://{request.get_host()}"
    trusted = set(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    parsed = urlsplit(origin)
    return f"{parsed.scheme}://{parsed.netloc}" != own and origin not in trusted


def _control(text: str) -> str | None:
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


class RequestGuardMiddleware:
    """Refuse what no view should see: a body larger than the largest upload (before
    Django reads it) and control characters in the path or the query string."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.max_body = LIMITS.max_request_bytes + FORM_OVERHEAD

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body:
            return answer(
                request,
                413,
                "Nội dung gửi lên quá lớn: tối đa "
                f"{format_number(self.max_body / 1024 / 1024, 0)} MiB một lần.",
            )
        found = _control(request.path) or _control(
            unquote(str(request.META.get("QUERY_STRING", "")), errors="replace")
        )
        if found:
            return answer(
                request,
                400,
                f"Địa chỉ có ký tự điều khiển không in được ({found}), không được nhận.",
            )
        return self.get_response(request)


# --- the Content-Security-Policy header ----------------------------------------------

_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)
_policies: tuple[str, str] | None = None  # (the policy, the report-only one) as settings say


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    global _policies
    _policies = None


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware (settings ``CONTENT_SECURITY_POLICY``), whose policy is
    built once instead of for every response (which cost more than a small view): a
    response with a policy of its own (django-csp's decorators) or a request that used
    a nonce gets django-csp's own treatment."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        global _policies
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _OWN_POLICY
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug pages (as django-csp does)
        if _policies is None:
            _policies = (build_policy(), build_policy(report_only=True))
        for header, policy, name in (
            (HEADER, _policies[0], "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, _policies[1], "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not policy or header in response:
                continue
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # as django-csp does: a nonce asked for after the header is written is an error
        setattr(request, "csp_nonce", CheckableLazyObject(self._csp_nonce_post_response))  # noqa: B010
        return response
