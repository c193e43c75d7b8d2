"""The layers of docs/store.md: which package of ktxh may import which."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ktxh"

# layer -> prefixes of modules it must never import
FORBIDDEN = {
    "domain": ("django", "ktxh.io", "ktxh.store", "ktxh.web", "ktxh.cli", "ktxh.settings"),
    "io": ("django", "ktxh.store", "ktxh.web", "ktxh.cli", "ktxh.settings"),
    "store": ("ktxh.web", "ktxh.cli"),
    "web": ("ktxh.cli",),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_what_is_below_it(layer: str) -> None:
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for line, name in imports_of(path)
        if any(name == p or name.startswith(p + ".") for p in FORBIDDEN[layer])
    ]
    assert not wrong, wrong


def test_the_domain_does_no_io() -> None:
    """No file, network or database access in the domain: no open(), no pathlib
    reads or writes, no sockets, no subprocesses."""
    banned_calls = {"open", "read_text", "write_text", "read_bytes", "write_bytes"}
    banned_modules = ("socket", "subprocess", "urllib", "sqlite3", "shutil", "tempfile")
    wrong = []
    for path in sorted((PACKAGE / "domain").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if name in banned_calls:
                    wrong.append(f"{path.name}:{node.lineno} calls {name}()")
        wrong += [
            f"{path.name}:{line} imports {name}"
            for line, name in imports_of(path)
            if name.split(".")[0] in banned_modules
        ]
    assert not wrong, wrong
