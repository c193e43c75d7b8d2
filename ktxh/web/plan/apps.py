from __future__ import annotations

from django.apps import AppConfig


class PlanConfig(AppConfig):
    """The plan workspace on the web: pages, the JSON API, the browser's assets.
    Its tables and state changes are the store's (``ktxh.store``)."""

    name = "ktxh.web.plan"
    label = "plan"
    verbose_name = "Kế hoạch phát triển kinh tế - xã hội"
