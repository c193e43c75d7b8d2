from __future__ import annotations

from django.apps import AppConfig


class PlanConfig(AppConfig):
    """The plan workspace: catalog, org units, values, audit trail, submissions."""

    name = "ktxh.web.plan"
    label = "plan"
    verbose_name = "Kế hoạch phát triển kinh tế - xã hội"
    default_auto_field = "django.db.models.BigAutoField"
