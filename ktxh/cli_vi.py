"""Typer's own words in Vietnamese: the usage line, the help's headings and notes, and
the errors of parsing a command line ("No such option", "Missing argument", "Invalid
value for ..."), which Typer (and the click it carries) writes in English only.

:func:`install` is called once by :mod:`ktxh.cli` before it builds its commands. The
help's headings and notes go through Typer's gettext hook; the rest is written as
English f-strings inside Typer, so the usage line and the error's lines are
translated where they are printed (:func:`vietnamese`: a table of the patterns, an
unknown message passes unchanged). tests/test_cli_vi.py runs every command's help and
the usual mistakes through the real parser, so that a Typer release that words
something differently is noticed (Typer is pinned below 0.29: pyproject.toml).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any

# Typer's gettext messages (typer.core): exact texts
_WORDS = {
    "Arguments": "Đối số",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "env var: {var}": "biến môi trường: {var}",
    "(dynamic)": "(tính khi chạy)",
    "Aborted!": "Đã dừng.",
    "Missing command.": "Thiếu lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
}

# the placeholders of a type in the help ("--output <path>")
_METAVARS = {
    "<path>": "<đường dẫn>",
    "<str>": "<chữ>",
    "<text>": "<chữ>",
    "<int>": "<số>",
    "<integer>": "<số>",
    "<float>": "<số>",
    "<boolean>": "<có/không>",
}

_USAGE = [
    ("[OPTIONS]", "[TÙY CHỌN]"),
    ("COMMAND [ARGS]...", "LỆNH [ĐỐI SỐ]..."),
]

_TYPES = {
    "int": "số nguyên",
    "integer": "số nguyên",
    "float": "số",
    "boolean": "đúng/sai",
    "UUID": "UUID",
}

# a rule: the pattern of a whole message, and its Vietnamese (a template for
# ``Match.expand``, or a function of the match)
Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_MISSING = {"argument": "đối số", "option": "tùy chọn", "parameter": "tham số"}


def _no_such_option(m: re.Match[str]) -> str:
    told = f"Không có tùy chọn {m['o']}"
    return f"{told} (có thể là: {m['p']})" if m["p"] else told


def _invalid(m: re.Match[str]) -> str:
    where = f" cho {m['h']}" if m["h"] else ""
    return f"Giá trị không hợp lệ{where}: {_said(_REFUSALS, m['m'])}"


def _not_a(m: re.Match[str]) -> str:
    kind = _TYPES.get(m["t"], m["t"])
    rest = m["r"].replace(" Recognized values:", " Giá trị nhận được:")
    return f"{m['v']} không phải là {kind}.{rest}"


# Typer's parsing errors; tried in order, the first that matches wins
_MESSAGES: list[Rule] = [
    (
        re.compile(r"No such option: (?P<o>.+?)(?: \(Possible options: (?P<p>.+)\))?"),
        _no_such_option,
    ),
    (
        re.compile(r"(?P<m>Không có lệnh .+?)\.? Did you mean (?P<s>.+)\?"),
        r"\g<m>. Có phải là \g<s>?",
    ),
    (
        re.compile(r"Missing (?P<k>argument|option|parameter)(?P<h> .+)?\.(?P<r>.*)"),
        lambda m: f"Thiếu {_MISSING[m['k']]}{m['h'] or ''}.{m['r']}",
    ),
    (re.compile(r"Missing parameter: (?P<n>.+)"), r"Thiếu tham số: \g<n>"),
    (re.compile(r"Option (?P<o>'.+?') requires an argument\."), r"Tùy chọn \g<o> cần một giá trị."),
    (
        re.compile(r"Option (?P<o>'.+?') requires (?P<n>\d+) arguments\."),
        r"Tùy chọn \g<o> cần \g<n> giá trị.",
    ),
    (
        re.compile(r"Option (?P<o>'.+?') does not take a value\."),
        r"Tùy chọn \g<o> không nhận giá trị.",
    ),
    (
        re.compile(r"Argument (?P<a>'.+?') takes (?P<n>\d+) values\."),
        r"Đối số \g<a> cần \g<n> giá trị.",
    ),
    (
        re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<a>.*)\)"),
        r"Thừa đối số không dùng đến: \g<a>",
    ),
    (re.compile(r"Invalid value(?: for (?P<h>.+?))?: (?P<m>.*)", re.S), _invalid),
]

# what a type says of a value it refuses (the part after "Invalid value for ...: ")
_REFUSALS: list[Rule] = [
    (re.compile(r"(?P<v>.+) is not a valid (?P<t>\w+)\.(?P<r>.*)", re.S), _not_a),
    (re.compile(r"(?P<v>.+) is not one of (?P<c>.+)\."), r"\g<v> không phải một trong \g<c>."),
    (
        re.compile(r"(?P<v>.+) is not in the range (?P<r>.+)\."),
        r"\g<v> nằm ngoài khoảng \g<r>.",
    ),
    (
        re.compile(r"(?P<v>.+) does not match the formats? (?P<f>.+)\."),
        r"\g<v> không đúng dạng \g<f>.",
    ),
    (
        re.compile(r"(?P<n>\d+) values are required, but (?P<g>\d+) given\."),
        r"cần \g<n> giá trị, mới có \g<g>.",
    ),
]


def _said(rules: list[Rule], message: str) -> str:
    """``message`` by the first rule whose pattern it matches whole; unchanged if none."""
    for pattern, replacement in rules:
        m = pattern.fullmatch(message)
        if m is not None:
            return m.expand(replacement) if isinstance(replacement, str) else replacement(m)
    return message


def vietnamese(message: str) -> str:
    """A message of Typer's parser in Vietnamese (unchanged when it is not one of
    Typer's: ktxh's own messages are Vietnamese already)."""
    return _said(_MESSAGES, message)


def _translate(text: str) -> str:
    return _WORDS.get(text, text)


def install() -> None:
    """Make Typer speak Vietnamese in this process (idempotent)."""
    import typer.core
    from typer._click import core, exceptions, formatting, utils
    from typer._click._compat import get_text_stderr

    if getattr(typer.core, "_ktxh_vietnamese", False):
        return
    setattr(typer.core, "_", _translate)  # noqa: B010 (Typer's gettext hook, read at call time)

    write_usage = formatting.HelpFormatter.write_usage

    def usage_in_vietnamese(
        self: formatting.HelpFormatter, prog: str, args: str = "", prefix: str | None = None
    ) -> None:
        for english, ours in _USAGE:
            args = args.replace(english, ours)
        write_usage(self, prog, args, "Cách dùng: " if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage_in_vietnamese  # type: ignore[method-assign]

    make_metavar = core.Parameter.make_metavar

    def metavar_in_vietnamese(self: core.Parameter, ctx: core.Context) -> str:
        metavar: str = make_metavar(self, ctx)
        bare = metavar.removesuffix("...")
        return _METAVARS.get(bare, bare) + metavar[len(bare) :]

    core.Parameter.make_metavar = metavar_in_vietnamese  # type: ignore[method-assign]

    get_help_option = core.Command.get_help_option

    def help_option_in_vietnamese(self: core.Command, ctx: core.Context) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = "Hiện hướng dẫn này rồi thoát."
        return option

    core.Command.get_help_option = help_option_in_vietnamese  # type: ignore[method-assign]

    def show_error(self: exceptions.ClickException, file: IO[Any] | None = None) -> None:
        if file is None:
            file = get_text_stderr()
        ctx = getattr(self, "ctx", None)
        if ctx is not None:
            color = ctx.color
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = f"Xem '{ctx.command_path} {ctx.help_option_names[0]}' để biết cách dùng.\n"
            utils.echo(f"{ctx.get_usage()}\n{hint}", file=file, color=color)
        else:
            color = self.show_color
        utils.echo(f"Lỗi: {vietnamese(self.format_message())}", file=file, color=color)

    exceptions.ClickException.show = show_error  # type: ignore[method-assign]
    exceptions.UsageError.show = show_error  # type: ignore[method-assign]
    typer.core._ktxh_vietnamese = True  # type: ignore[attr-defined]
