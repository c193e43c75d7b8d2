"""Typer's own words in Vietnamese: every command's help, and the usual mistakes on a
command line, through the real parser (none of these commands opens the store)."""

import re

import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.cli_vi import vietnamese

runner = CliRunner()

# what Typer writes by itself in English; none of it may reach a user
ENGLISH = re.compile(
    r"Usage|Options|Arguments|Commands|Show this message|default:|required|env var|"
    r"\[OPTIONS\]|COMMAND|<str>|<path>|<int>|Error:|Try '|No such|Missing|Invalid value|"
    r"Did you mean|Possible options|unexpected extra|is not a valid|requires an argument"
)


def _commands(*group: str) -> list[str]:
    """The commands a group's help lists (under "Lệnh:")."""
    text = runner.invoke(app, [*group, "--help"], prog_name="ktxh").output
    listed = text.split("\nLệnh:\n", 1)[1] if "\nLệnh:\n" in text else ""
    return [line.split()[0] for line in listed.splitlines() if line.startswith("  ")]


def _every_command() -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for name in _commands():
        out.append((name,))
        out += [(name, sub) for sub in _commands(name)]
    return out


def test_every_help_is_vietnamese() -> None:
    commands = _every_command()
    assert len(commands) > 25  # the groups' commands are found too (user, round, ...)
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], prog_name="ktxh")
        assert result.exit_code == 0, command
        assert result.output.startswith("Cách dùng: ktxh"), command
        assert "Tùy chọn:" in result.output
        assert "Hiện hướng dẫn này rồi thoát." in result.output
        found = ENGLISH.search(result.output)
        assert found is None, f"ktxh {' '.join(command)} --help: «{found and found[0]}»"


def test_group_help_names_its_commands() -> None:
    text = runner.invoke(app, ["round", "--help"], prog_name="ktxh").output
    assert "Cách dùng: ktxh round [TÙY CHỌN] LỆNH [ĐỐI SỐ]..." in text
    assert "\nLệnh:\n" in text and "  open " in text


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["report", "--bogus"], "Lỗi: Không có tùy chọn --bogus"),
        (["report", "--tem"], "Lỗi: Không có tùy chọn --tem (có thể là: --template)"),
        (["reportx"], "Lỗi: Không có lệnh 'reportx'. Có phải là 'report'"),
        (["show"], "Lỗi: Thiếu đối số 'BIỂU'."),
        (["show", "abc"], "Lỗi: Giá trị không hợp lệ cho 'BIỂU': 'abc' không phải là số nguyên."),
        (
            ["show", "1", "--year", "hai"],
            "Lỗi: Giá trị không hợp lệ cho '--year' / '-y': 'hai' không phải là số nguyên.",
        ),
        (["report", "--xlsx"], "Lỗi: Tùy chọn '--xlsx' cần một giá trị."),
        (["forms", "thừa", "nữa"], "Lỗi: Thừa đối số không dùng đến: thừa nữa"),
        (["draft", "review", "1"], "Lỗi: Thiếu tùy chọn '--output' / '-o'."),
    ],
)
def test_mistakes_are_told_in_vietnamese(args: list[str], said: str) -> None:
    result = runner.invoke(app, args, prog_name="ktxh")
    assert result.exit_code == 2
    assert said in result.output
    found = ENGLISH.search(result.output)
    assert found is None, f"ktxh {' '.join(args)}: «{found and found[0]}»"


def test_the_usage_and_the_way_to_help_come_with_a_mistake() -> None:
    result = runner.invoke(app, ["show", "abc"], prog_name="ktxh")
    assert "Cách dùng: ktxh show [TÙY CHỌN] {BIỂU}" in result.output
    assert "Xem 'ktxh show --help' để biết cách dùng." in result.output


@pytest.mark.parametrize(
    ("english", "ours"),
    [
        ("Missing option '--output' / '-o'.", "Thiếu tùy chọn '--output' / '-o'."),
        ("Option '--pair' requires 2 arguments.", "Tùy chọn '--pair' cần 2 giá trị."),
        ("Option '--units' does not take a value.", "Tùy chọn '--units' không nhận giá trị."),
        (
            "Invalid value for '--format': 'x' is not one of 'csv', 'json'.",
            "Giá trị không hợp lệ cho '--format': 'x' không phải một trong 'csv', 'json'.",
        ),
        (
            "Invalid value for 'N': 20 is not in the range 1<=x<=13.",
            "Giá trị không hợp lệ cho 'N': 20 nằm ngoài khoảng 1<=x<=13.",
        ),
        (
            "Invalid value: '1,5' is not a valid float.",
            "Giá trị không hợp lệ: '1,5' không phải là số.",
        ),
        # ktxh's own messages (Vietnamese already) pass unchanged
        ("không mở được kho số liệu", "không mở được kho số liệu"),
    ],
)
def test_messages_the_commands_do_not_reach_today(english: str, ours: str) -> None:
    assert vietnamese(english) == ours
