"""Helpers for the Excel tests: package copies, filling and damaging files."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl

from ktxh.io.datapackage import shipped_package
from ktxh.io.pdf import _LOCALE_XCU, find_soffice


def copy_dataset(tmp_path: Path, name: str = "ds") -> Path:
    target = tmp_path / name
    shutil.copytree(shipped_package(), target)
    return target


def fill(source: Path, target: Path, cells: Mapping[tuple[str, str], Any]) -> Path:
    """Type values into a workbook with openpyxl, as a program filling the template would."""
    wb = openpyxl.load_workbook(source)
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    wb.save(target)
    return target


def edit(source: Path, target: Path, change: Any) -> Path:
    """Open with openpyxl, let ``change(workbook)`` do anything, save."""
    wb = openpyxl.load_workbook(source)
    change(wb)
    wb.save(target)
    return target


def rezip(
    source: Path,
    target: Path,
    add: Mapping[str, bytes] | None = None,
    replace: Mapping[str, bytes] | None = None,
) -> Path:
    """Copy a workbook's zip, replacing and adding parts."""
    add = dict(add or {})
    replace = dict(replace or {})
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = replace.pop(info.filename, None)
            z.writestr(info, zin.read(info) if data is None else data)
        for name, data in add.items():
            z.writestr(name, data)
    return target


def lie_about_size(source: Path, target: Path, member: str, declared: int) -> Path:
    """Patch a part's declared uncompressed size (local header and central directory)."""
    data = bytearray(source.read_bytes())
    name = member.encode()
    # local file header: signature, ..., uncompressed size at offset 22, name at 30
    pos = 0
    while True:
        pos = data.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", data, pos + 26)[0]
        if bytes(data[pos + 30 : pos + 30 + n]) == name:
            struct.pack_into("<I", data, pos + 22, declared)
        pos += 4
    # central directory header: uncompressed size at offset 24, name at 46
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", data, pos + 24, declared)
        pos += 4
    target.write_bytes(bytes(data))
    return target


def encrypted_workbook(target: Path) -> Path:
    """An OLE compound file shaped like a password-protected .xlsx: a root entry and the
    two streams Office writes (EncryptionInfo, EncryptedPackage)."""
    sector = 512
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * (4096 - 8)  # agile encryption
    package = struct.pack("<Q", 8192) + os.urandom(8192)
    streams = [("EncryptionInfo", info), ("EncryptedPackage", package)]
    fat = [fat_sector, end]  # sector 0: the FAT; sector 1: the directory
    starts = []
    next_sector = 2
    for _, body in streams:
        count = -(-len(body) // sector)
        starts.append(next_sector)
        fat += [next_sector + k + 1 for k in range(count - 1)] + [end]
        next_sector += count
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = free) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, free, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, end, 0, child=1)
    first = bytearray(entry(streams[0][0], 2, starts[0], len(streams[0][1])))
    struct.pack_into("<I", first, 72, 2)  # right sibling: the package
    directory += bytes(first) + entry(streams[1][0], 2, starts[1], len(streams[1][1]))
    directory = directory.ljust(sector, b"\x00")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    )
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    body = b"".join(s[1].ljust(-(-len(s[1]) // sector) * sector, b"\x00") for s in streams)
    target.write_bytes(header + struct.pack(f"<{sector // 4}I", *fat) + directory + body)
    return target


def libreoffice_resave(source: Path, target: Path, fmt: str = "xlsx") -> Path:
    """Have LibreOffice open a workbook and save it again (``xlsx`` or ``xls``), with a
    fresh vi-VN profile."""
    soffice = find_soffice()
    assert soffice is not None
    filters = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97"}
    with tempfile.TemporaryDirectory(prefix="ktxh-lo-test-") as tmp:
        work = Path(tmp)
        (work / "profile" / "user").mkdir(parents=True)
        (work / "profile" / "user" / "registrymodifications.xcu").write_text(
            _LOCALE_XCU.format(locale="vi-VN"), encoding="utf-8"
        )
        outdir = work / "out"
        outdir.mkdir()
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                filters[fmt],
                "--outdir",
                str(outdir),
                str(source.resolve()),
            ],
            capture_output=True,
            check=True,
            timeout=180,
            env={**os.environ, "HOME": str(work)},
        )
        produced = outdir / f"{source.stem}.{fmt}"
        assert produced.is_file(), list(outdir.iterdir())
        shutil.move(str(produced), str(target))
    return target
