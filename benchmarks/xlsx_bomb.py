"""Time and peak memory of refusing an .xlsx zip bomb (issue 9, item 7).

    .venv/bin/python benchmarks/xlsx_bomb.py [--mb 990] [--keep DIR]

Builds a real workbook (openpyxl) whose sheet XML is replaced by --mb megabytes of repeated rows,
deflated at level 9 (990 MB → about 3 MB), then reads it with `zhili.cases.io.read_cases` in a
fresh child process and prints the child's wall time, its peak RSS (ru_maxrss) and the error.
A child process keeps the measurement free of this script's own memory (the bomb is built here).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t = time.perf_counter()
from zhili.cases.errors import CaseFileError
from zhili.cases.io import read_cases
import_s = time.perf_counter() - t
t = time.perf_counter()
try:
    read_cases(sys.argv[1])
    reason = "ACCEPTED"
except CaseFileError as exc:
    reason = exc.errors[0].reason
print(json.dumps({"seconds": time.perf_counter() - t, "import_seconds": import_s,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "reason": reason},
                 ensure_ascii=False))
"""


def build_bomb(path: Path, megabytes: int) -> None:
    """A valid workbook whose first sheet inflates to `megabytes` MB."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["编号", "标题"])
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    row = b'<row><c t="inlineStr"><is><t>bomb</t></is></c></row>'
    chunk = row * ((1 << 20) // len(row))  # whole rows: the XML stays well-formed
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
                continue
            with out.open(info.filename, "w", force_zip64=True) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                         b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(megabytes):
                    fh.write(chunk)
                fh.write(b"</sheetData></worksheet>")
    plain.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=990, help="inflated size of the sheet (MB)")
    ap.add_argument("--keep", type=Path, help="write the bomb here and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="zhili-bomb-"))
    folder.mkdir(parents=True, exist_ok=True)
    bomb = folder / "bomb.xlsx"
    t = time.perf_counter()
    build_bomb(bomb, args.mb)
    print(f"bomb: {bomb.stat().st_size / 1024:.0f} KB → {args.mb} MB (built in {time.perf_counter() - t:.1f} s)")
    out = subprocess.run([sys.executable, "-c", CHILD, str(bomb)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    print(f"refused in {result['seconds'] * 1000:.1f} ms (imports {result['import_seconds']:.2f} s), "
          f"peak RSS {result['peak_rss_mb']:.0f} MB")
    print(f"reason: {result['reason']}")
    if not args.keep:
        bomb.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
