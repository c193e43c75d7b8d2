"""The one store of ktxh: a database (SQLite by default, PostgreSQL through
``DATABASE_URL``) with the catalog, the tree, the rounds, the values, the
workflow and the audit trail, and the actions that change them.

The web and the command line both use it; :func:`setup` makes Django ready
for a process that is not the web server (the command line, a script, a
notebook), and :func:`migrate` brings the database's tables up to date.
"""

from __future__ import annotations

import os

SETTINGS = "ktxh.settings"


def setup() -> None:
    """Configure Django with ktxh's settings, once per process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def migrate() -> bool:
    """Create or update the store's tables when they are behind the code; return
    whether anything was done. The SQLite file's folder is made if needed."""
    setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor == "sqlite":
        name = str(settings.DATABASES["default"]["NAME"])
        if name and name != ":memory:" and "mode=memory" not in name:
            os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    if not executor.migration_plan(targets):
        return False
    call_command("migrate", interactive=False, verbosity=0)
    return True


def database_label() -> str:
    """Where the store is, for people: the SQLite file, or the PostgreSQL database."""
    setup()
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {s['NAME']}"
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"PostgreSQL {s.get('NAME')} trên {host}{port}"
