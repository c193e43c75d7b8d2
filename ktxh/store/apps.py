from __future__ import annotations

from django.apps import AppConfig


class StoreConfig(AppConfig):
    """The one store: catalog, org units, rounds, values, audit trail, submissions."""

    name = "ktxh.store"
    label = "ktxh"
    verbose_name = "Kho số liệu kế hoạch phát triển kinh tế - xã hội"
    default_auto_field = "django.db.models.BigAutoField"
