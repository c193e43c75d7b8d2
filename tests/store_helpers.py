"""Helpers for tests of the store: what it holds, to assert that a refusal changed nothing."""

from __future__ import annotations

import hashlib

from django.db import connection
from django.db.models import AutoField, BigAutoField, ForeignKey, Model

from ktxh.store import models

TABLES: tuple[type[Model], ...] = (
    models.Plan,
    models.Form,
    models.MeasureUnit,
    models.Indicator,
    models.OrgUnit,
    models.OrgEvent,
    models.Department,
    models.Round,
    models.RoundEvent,
    models.Value,
    models.ValueChange,
    models.Submission,
    models.SubmissionEvent,
    models.Profile,
    models.Document,
    models.Target,
    models.TargetEvent,
)
SURROGATE = (models.Value, models.Submission)  # rows named by an id of their own


def _columns(model: type[Model]) -> list[str]:
    """The columns that say what a row holds: not its own id, and instead of an id that
    points at a value or a submission, that row's natural key."""
    out = []
    for f in model._meta.concrete_fields:
        if isinstance(f, AutoField | BigAutoField):
            continue
        if isinstance(f, ForeignKey) and f.related_model in SURROGATE:
            continue
        out.append(f.column)
    return out


def store_snapshot() -> dict[str, str]:
    """A digest of what every plan table holds (surrogate ids left out), per table."""
    out = {}
    with connection.cursor() as cursor:
        for m in TABLES:
            table = connection.ops.quote_name(m._meta.db_table)
            cols = ", ".join(f"t.{connection.ops.quote_name(c)}" for c in _columns(m))
            if m is models.SubmissionEvent:
                sub = connection.ops.quote_name(models.Submission._meta.db_table)
                sql = (
                    f"SELECT {cols}, s.orgunit_id, s.form_id, s.year FROM {table} t "
                    f"JOIN {sub} s ON s.id = t.submission_id"
                )
            else:
                sql = f"SELECT {cols} FROM {table} t"
            cursor.execute(sql)
            digest = hashlib.sha256()
            for row in sorted(cursor.fetchall(), key=repr):
                digest.update(repr(row).encode("utf-8"))
            out[m.__name__] = digest.hexdigest()
    return out
