"""Reading an uploaded file safely: size-capped, never more than the cap in memory."""

from __future__ import annotations

from fastapi import UploadFile

from ..access.errors import ApiError

CHUNK = 1024 * 1024


def read_upload(file: UploadFile, limit: int) -> bytes:
    """The whole upload as bytes; 413 past `limit`, 422 when it is empty."""
    parts: list[bytes] = []
    total = 0
    while chunk := file.file.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise ApiError(413, "payload_too_large", f"文件过大：超过 {limit / 1024 / 1024:g} MB 上限，请拆分后分批上传",
                           f"Upload larger than {limit} bytes", field="file")
        parts.append(chunk)
    data = b"".join(parts)
    if not data.strip():
        raise ApiError(422, "empty_file", "上传的文件为空", "The uploaded file is empty", field="file")
    return data
