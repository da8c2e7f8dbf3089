"""Uploaded case files held between the preview and the confirm step.

The preview must not save anything, and the confirm must save exactly what was previewed, so the
file is kept (under $ZHILI_HOME/uploads, named by a random token, tied to the uploader) and read
again on confirm. A pending upload expires after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..cases.io import detect_format
from ..private_files import private_dir, write_private

MAX_UPLOAD = 20 * 1024 * 1024
EXPIRE_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")


class UploadError(ValueError):
    """The upload cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class PendingUpload:
    token: str
    path: Path
    filename: str
    user: str


def _dir() -> Path:
    """Uploaded case files may carry unpublished material: owner-only, like the workspace."""
    return private_dir(config.home() / "uploads")


def _suffix(filename: str) -> str:
    """'案例.XLSX' → '.xlsx'; unsupported types raise with the reader's own Chinese reason."""
    name = Path(filename.replace("\\", "/")).name.lower()
    kind = detect_format(Path(name))  # raises CaseFileError (.xls, unknown suffix)
    return ".jsonl.gz" if kind == "jsonl" and name.endswith(".gz") else "." + kind


def _sweep(directory: Path) -> None:
    cutoff = time.time() - EXPIRE_SECONDS
    for p in directory.iterdir():
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        except FileNotFoundError:  # another request swept or confirmed it meanwhile
            continue


def save(data: bytes, filename: str, user: str) -> PendingUpload:
    if not data:
        raise UploadError("上传的文件是空的")
    if len(data) > MAX_UPLOAD:
        raise UploadError(f"文件过大：超过 {MAX_UPLOAD // 1024 // 1024} MB 上限，请拆分后分批导入")
    suffix = _suffix(filename)
    directory = _dir()
    _sweep(directory)
    token = secrets.token_hex(16)
    path = directory / f"{token}{suffix}"
    write_private(path, data)
    write_private(directory / f"{token}.json",
                  json.dumps({"filename": filename, "user": user, "suffix": suffix}, ensure_ascii=False).encode())
    return PendingUpload(token, path, filename, user)


def load(token: str, user: str) -> PendingUpload:
    """The pending upload for this token, only for the user who uploaded it."""
    if not TOKEN.match(token):
        raise UploadError("导入凭据无效，请重新上传文件")
    directory = _dir()
    meta_path = directory / f"{token}.json"
    if not meta_path.exists():
        raise UploadError("待导入的文件已过期或已导入，请重新上传")
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("user") != user:
        raise UploadError("这个待导入文件不是由您上传的")
    return PendingUpload(token, directory / f"{token}{meta['suffix']}", meta["filename"], user)


def discard(upload: PendingUpload) -> None:
    upload.path.unlink(missing_ok=True)
    upload.path.with_name(f"{upload.token}.json").unlink(missing_ok=True)
