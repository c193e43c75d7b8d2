"""Uploads on the web: the workbooks kept between the preview and the confirmation,
and the checks shown after an import (the import itself is ``ktxh.store.imports``).

Between the preview and the confirmation the uploaded bytes stay on the server
in a private temporary directory named by a random token that only the
uploader's session holds (:func:`stash`, :func:`unstash`, :func:`discard`).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from ktxh.domain.checks import Finding
from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import Change
from ktxh.store.imports import Upload
from ktxh.web.plan.findings import cell_findings, checked

STASH_HOURS = 24  # uploads never confirmed are removed after this

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def stash_dir() -> Path:
    configured = getattr(settings, "KTXH_UPLOAD_DIR", None)
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "ktxh-tai-len"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def stash(uploads: Sequence[Upload]) -> str:
    """Keep the uploads on the server; return the token that names them."""
    root = stash_dir()
    _sweep(root)
    token = secrets.token_urlsafe(18)
    folder = root / token
    folder.mkdir(mode=0o700)
    manifest = []
    for n, u in enumerate(uploads):
        if u.data is not None:
            (folder / f"{n}.xlsx").write_bytes(u.data)
        manifest.append({"name": u.name, "size": u.size, "stored": u.data is not None})
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return token


def unstash(token: str) -> list[Upload] | None:
    """The uploads a token names, or None when they are gone (confirmed, expired)."""
    if not _TOKEN.match(token or ""):
        return None
    folder = stash_dir() / token
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        return [
            Upload(
                m["name"],
                int(m["size"]),
                (folder / f"{n}.xlsx").read_bytes() if m["stored"] else None,
            )
            for n, m in enumerate(manifest)
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(stash_dir() / token, ignore_errors=True)


def _sweep(root: Path) -> None:
    """Remove the uploads left unconfirmed for more than :data:`STASH_HOURS`."""
    limit = time.time() - STASH_HOURS * 3600
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


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
