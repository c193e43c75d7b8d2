"""``manage.py ktxh_load [DIR]``: load a dataset directory and create the demo accounts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ktxh.domain.numbers import format_number
from ktxh.io.dataset import DEFAULT_DATASET, DatasetError
from ktxh.web.plan import loading, models

ROLE_TEXT = {
    models.Role.PLANNER: "chuyên viên kế hoạch thành phố",
    models.Role.DEPARTMENT: "phòng chuyên môn",
    models.Role.UNIT: "cán bộ xã, phường",
}


class Command(BaseCommand):
    help = "Nạp một bộ dữ liệu ktxh vào cơ sở dữ liệu và tạo các tài khoản dùng thử."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", nargs="?", default=str(DEFAULT_DATASET))
        parser.add_argument(
            "--replace", action="store_true", help="Xóa dữ liệu đang có rồi nạp lại."
        )
        parser.add_argument("--due", help="Hạn nộp biểu của kỳ báo cáo (YYYY-MM-DD).")
        parser.add_argument(
            "--no-accounts", action="store_true", help="Không tạo tài khoản dùng thử."
        )
        parser.add_argument(
            "--password", default=loading.DEMO_PASSWORD, help="Mật khẩu các tài khoản dùng thử."
        )
        parser.add_argument("--address", help="Địa chỉ máy chủ để in kèm danh sách tài khoản.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            due = date.fromisoformat(options["due"]) if options["due"] else None
            result = loading.load(Path(options["dataset"]), replace=options["replace"], due=due)
        except (DatasetError, OSError, ValueError) as exc:
            raise CommandError(f"Không nạp được bộ dữ liệu: {exc}") from exc
        if result.skipped:
            self.stdout.write(
                f"Cơ sở dữ liệu đã có bộ dữ liệu «{result.name}» "
                f"({format_number(result.values)} giá trị); giữ nguyên (dùng --replace để nạp lại)."
            )
        else:
            self.stdout.write(
                f"Đã nạp «{result.name}»: {format_number(result.indicators)} chỉ tiêu, "
                f"{format_number(result.orgunits)} đơn vị, "
                f"{format_number(result.values)} giá trị."
            )
        if not options["no_accounts"]:
            dataset = Path(options["dataset"])
            accounts = loading.create_accounts(options["password"], dataset)
            self.stdout.write(f"Đã tạo {len(accounts)} tài khoản dùng thử.")
            self.print_accounts(accounts, options["password"], options["address"], dataset)

    def print_accounts(
        self, accounts: list[loading.Account], password: str, address: str | None, dataset: Path
    ) -> None:
        forms = {d.username: d.forms for d in loading.departments(dataset)}
        lines = [""]
        if address:
            lines.append(f"Hệ thống kế hoạch KT-XH chạy tại: {address}")
        lines.append(f"Tài khoản dùng thử (mật khẩu chung «{password}», chỉ dùng để thử):")
        for a in accounts:
            what = ROLE_TEXT[models.Role(a.role)]
            if a.role == models.Role.PLANNER:
                what += ": mọi biểu, mọi đơn vị, duyệt biểu"
            elif a.role == models.Role.DEPARTMENT:
                what += ": biểu số " + ", ".join(str(n) for n in forms[a.username])
            lines.append(f"  {a.username:<18} {a.title} ({what})")
        lines.append("Dừng máy chủ: Ctrl+C.")
        self.stdout.write("\n".join(lines))
