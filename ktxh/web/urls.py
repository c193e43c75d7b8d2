"""The site's URLs: the workspace pages and the JSON API (ktxh.web.plan)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("api/", include("ktxh.web.plan.api_urls")),
    path("", include("ktxh.web.plan.urls")),
]
