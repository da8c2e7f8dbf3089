"""Refuse a zip bomb before openpyxl inflates it.

An .xlsx is a zip of XML files. A crafted one of under 1 MB can unpack to a gigabyte: openpyxl
would spend seconds and gigabytes of memory before any row check ran. The zip's central
directory states every member's sizes, so these checks cost a few milliseconds and read nothing
compressed. Python's zipfile never inflates a member past its declared size, so the declared
sizes bound what openpyxl can be made to read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_MEMBERS = 1_000          # a workbook has a dozen; a thousand is generous
MAX_UNPACKED = 512 * 1024 * 1024  # whole workbook, inflated
MAX_RATIO = 100              # per member; Excel's own sheets inflate 5–20×
RATIO_FROM = 1024 * 1024     # small members may have any ratio: they cannot hurt


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def zip_problem(path: Path, max_unpacked: int = MAX_UNPACKED) -> str | None:
    """A Chinese reason to refuse the workbook at `path`, or None when its zip looks sane."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"不是有效的 .xlsx 文件（压缩包已损坏：{exc}）；请在 Excel 中另存为 .xlsx"
    if len(members) > MAX_MEMBERS:
        return f"压缩包中有 {len(members)} 个文件，超过 {MAX_MEMBERS} 个上限，不像是正常的 Excel 工作簿"
    limit = min(max_unpacked, MAX_UNPACKED)
    total = sum(m.file_size for m in members)
    if total > limit:
        return (f"工作簿解压后有 {_mb(total)}，超过 {_mb(limit)} 上限（可能是“压缩炸弹”）；"
                "请拆分后分批导入，或改用 CSV / JSONL")
    for m in members:
        if m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            return (f"工作簿中的 {m.filename[:80]} 压缩比异常（{ratio:.0f} 倍，{_mb(m.compress_size)} 解压为 "
                    f"{_mb(m.file_size)}），可能是“压缩炸弹”，已拒绝")
    return None
