"""Uploads on the web: the workbooks kept between the preview and the confirmation,
and the checks shown after an import (the import itself is ``ktxh.store.imports``).

Between the preview and the confirmation the uploaded bytes wait in the database
(:class:`~ktxh.store.models.PendingUpload`), under a random token that only the
uploader's session holds (:func:`stash`, :func:`unstash`, :func:`discard`): any
application server can take the confirmation, and nothing is left on one server's
disk (docs/deploy.md). Uploads never confirmed are removed after :data:`STASH_HOURS`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ktxh.domain.checks import Finding
from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import Change
from ktxh.store.imports import Upload
from ktxh.store.models import PendingUpload
from ktxh.web.plan.findings import cell_findings, checked

STASH_HOURS = 24  # uploads never confirmed are removed after this

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def stash(uploads: Sequence[Upload]) -> str:
    """Keep the uploads in the database; return the token that names them."""
    now = timezone.now()
    token = secrets.token_urlsafe(18)
    with transaction.atomic():
        PendingUpload.objects.filter(created_at__lt=now - timedelta(hours=STASH_HOURS)).delete()
        PendingUpload.objects.bulk_create(
            PendingUpload(
                token=token, position=n, name=u.name, size=u.size, data=u.data, created_at=now
            )
            for n, u in enumerate(uploads)
        )
    return token


def unstash(token: str) -> list[Upload] | None:
    """The uploads a token names, or None when they are gone (confirmed, expired)."""
    if not _TOKEN.match(token or ""):
        return None
    limit = timezone.now() - timedelta(hours=STASH_HOURS)
    rows = PendingUpload.objects.filter(token=token, created_at__gte=limit).order_by("position")
    found = [Upload(r.name, int(r.size), None if r.data is None else bytes(r.data)) for r in rows]
    return found or None


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        PendingUpload.objects.filter(token=token).delete()


@dataclass(frozen=True)
class FormChecks:
    """The checks of one form after an import, for the units it changed."""

    form: int
    label: str
    units: list[tuple[str, str]]  # (code, full name) of the units changed
    errors: int
    warnings: int
    notices: int
    findings: list[Finding]  # errors and warnings first, at most a few


def checks_after(ds: Dataset, changes: Sequence[Change], shown: int = 10) -> list[FormChecks]:
    """The findings of each form an import changed, for the units it changed (and the
    totals their values no longer add up to)."""
    touched: dict[int, set[str]] = {}
    for c in changes:
        touched.setdefault(ds.catalog.indicators[c.key[0]].form, set()).add(c.key[1])
    out = []
    for form in sorted(touched):
        result = checked(form)
        seen: set[int] = set()
        found: list[Finding] = []
        for unit in sorted(touched[form]):
            for f, _ in cell_findings(result.dataset, result.findings, unit):
                if id(f) not in seen:
                    seen.add(id(f))
                    found.append(f)
        found.sort(key=lambda f: -f.severity.rank)
        units = sorted(touched[form], key=lambda u: ds.tree[u].full_name)
        out.append(
            FormChecks(
                form,
                ds.catalog.forms[form].label,
                [(u, ds.tree[u].full_name) for u in units],
                sum(1 for f in found if f.severity.rank == 3),
                sum(1 for f in found if f.severity.rank == 2),
                sum(1 for f in found if f.severity.rank == 1),
                [f for f in found if f.severity.rank >= 2][:shown],
            )
        )
    return out
