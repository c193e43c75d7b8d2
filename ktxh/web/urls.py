"""The site's URLs: the workspace pages and the JSON API (ktxh.web.plan), and the
error handlers (problem+json under /api/, Vietnamese pages elsewhere)."""

from __future__ import annotations

from django.urls import include, path, register_converter

from ktxh.web.plan.shortcuts import SmallNumberConverter

register_converter(SmallNumberConverter, "year")
register_converter(SmallNumberConverter, "form")

handler400 = "ktxh.web.plan.errors.bad_request"
handler403 = "ktxh.web.plan.errors.permission_denied"
handler404 = "ktxh.web.plan.errors.page_not_found"
handler500 = "ktxh.web.plan.errors.server_error"

urlpatterns = [
    path("api/", include("ktxh.web.plan.api_urls")),
    path("", include("ktxh.web.plan.urls")),
]
