"""Declared rules: ``left operator right`` over indicator codes, checked in bulk.

A rule reads like the one on paper, e.g. ``B02.024 == B02.022 * B02.023 / 10``
(production = area x yield, tạ to tấn). Expressions allow indicator codes,
numbers, ``+ - * /`` and parentheses, nothing else: they are parsed with
:mod:`ast`, checked against that whitelist and compiled to polars expressions
(never ``eval``). Each side is evaluated as an interval: every value is only
known to half a unit of its last printed decimal, so a difference that the
printed precision explains is not a finding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import polars as pl

CODE = re.compile(r"\b([A-Z][0-9]{2}\.[0-9]{3})\b")
OPERATORS = ("==", "<=", ">=")


class RuleSyntaxError(ValueError):
    """A declared rule that cannot be read; the message is Vietnamese."""


def _placeholder(code: str) -> str:
    return "v_" + code.replace(".", "_")


@dataclass(frozen=True)
class Interval:
    lo: pl.Expr
    hi: pl.Expr


def _compile(node: ast.AST, codes: dict[str, str], tolerance: float | None) -> Interval:
    if isinstance(node, ast.Expression):
        return _compile(node.body, codes, tolerance)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        c = pl.lit(float(node.value))
        return Interval(c, c)
    if isinstance(node, ast.Name) and node.id in codes:
        code = codes[node.id]
        v = pl.col(f"{code}::value")
        t = pl.col(f"{code}::tol") if tolerance is None else pl.lit(tolerance)
        return Interval(v - t, v + t)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _compile(node.operand, codes, tolerance)
        return Interval(-inner.hi, -inner.lo)
    if isinstance(node, ast.BinOp):
        a = _compile(node.left, codes, tolerance)
        b = _compile(node.right, codes, tolerance)
        if isinstance(node.op, ast.Add):
            return Interval(a.lo + b.lo, a.hi + b.hi)
        if isinstance(node.op, ast.Sub):
            return Interval(a.lo - b.hi, a.hi - b.lo)
        if isinstance(node.op, ast.Mult):
            ends = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
            return Interval(pl.min_horizontal(ends), pl.max_horizontal(ends))
        if isinstance(node.op, ast.Div):
            spans_zero = (b.lo <= 0) & (b.hi >= 0)
            ends = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi]
            lo = pl.when(spans_zero).then(None).otherwise(pl.min_horizontal(ends))
            hi = pl.when(spans_zero).then(None).otherwise(pl.max_horizontal(ends))
            return Interval(lo, hi)
    raise RuleSyntaxError(
        f"biểu thức chỉ được dùng mã chỉ tiêu, số, + - * / và dấu ngoặc: «{ast.unparse(node)}»"
    )


def _point(node: ast.AST, codes: dict[str, str]) -> pl.Expr:
    """The same expression on the values themselves (for the message)."""
    if isinstance(node, ast.Expression):
        return _point(node.body, codes)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return pl.lit(float(node.value))
    if isinstance(node, ast.Name) and node.id in codes:
        return pl.col(f"{codes[node.id]}::value")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_point(node.operand, codes)
    if isinstance(node, ast.BinOp):
        a, b = _point(node.left, codes), _point(node.right, codes)
        ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
        for kind, expr in ops.items():
            if isinstance(node.op, kind):
                return expr
        if isinstance(node.op, ast.Div):
            return pl.when(b != 0).then(a / b).otherwise(None)
    raise RuleSyntaxError(f"biểu thức không hợp lệ: «{ast.unparse(node)}»")


@dataclass(frozen=True)
class CompiledSide:
    text: str
    codes: tuple[str, ...]
    interval: Interval
    point: pl.Expr


def compile_side(text: str, tolerance: float | None) -> CompiledSide:
    """Compile one side of a rule; ``tolerance`` None means "the printed precision"."""
    codes = {_placeholder(c): c for c in CODE.findall(text)}
    source = CODE.sub(lambda m: _placeholder(m.group(1)), text)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise RuleSyntaxError(f"không đọc được biểu thức «{text}»: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in codes:
            raise RuleSyntaxError(f"«{node.id}» trong «{text}» không phải mã chỉ tiêu")
    return CompiledSide(
        text,
        tuple(dict.fromkeys(codes.values())),
        _compile(tree, codes, tolerance),
        _point(tree, codes),
    )


def _value(node: ast.AST, codes: dict[str, str], env: dict[str, float]) -> float | None:
    """The expression on plain numbers (codes looked up in ``env``); None on 0 ÷ 0."""
    if isinstance(node, ast.Expression):
        return _value(node.body, codes, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in codes:
        return env.get(codes[node.id])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _value(node.operand, codes, env)
        return None if v is None else -v
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, codes, env), _value(node.right, codes, env)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return None if b == 0 else a / b
    raise RuleSyntaxError(f"biểu thức không hợp lệ: «{ast.unparse(node)}»")


def evaluate(text: str, env: dict[str, float]) -> float | None:
    """One side of a rule on plain numbers, ``env`` mapping codes to values."""
    codes = {_placeholder(c): c for c in CODE.findall(text)}
    tree = ast.parse(CODE.sub(lambda m: _placeholder(m.group(1)), text), mode="eval")
    return _value(tree, codes, env)


def solve(left: str, right: str, env: dict[str, float], code: str) -> float | None:
    """The value of ``code`` that makes ``left`` equal ``right``, the other codes as in
    ``env``: exact where the rule is linear in it (sums, products with other codes,
    quotients by them), checked, None otherwise."""

    def gap(x: float) -> float | None:
        e = {**env, code: x}
        lv, rv = evaluate(left, e), evaluate(right, e)
        return None if lv is None or rv is None else lv - rv

    x0 = env.get(code)
    if x0 is None:
        return None
    step = max(abs(x0), 1.0)
    g0, g1 = gap(x0), gap(x0 + step)
    if g0 is None or g1 is None or g1 == g0:
        return None
    x = x0 - g0 * step / (g1 - g0)
    g = gap(x)
    scale = max(abs(evaluate(left, env) or 0.0), abs(evaluate(right, env) or 0.0), 1.0)
    return x if g is not None and abs(g) <= 1e-9 * scale else None
