"""Files posted from a page's form: which fields hold one, and their bytes up to the upload cap.

导入文档, 测评 and 批量导入 read uploads the same way, so "no file chosen" means the same thing on
each page and an oversized file is refused after reading one byte past the cap, never held whole.
Each page keeps its own wording for the refusal.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile

from .uploads import MAX_UPLOAD


def posted_file(form: Any, name: str) -> UploadFile | None:
    """The file in field `name`, or None when the field is missing, text, or has no file name
    (a browser posts an empty file part when nothing was chosen)."""
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def posted_files(form: Any, name: str) -> list[UploadFile]:
    """Every chosen file of a multiple-file field, in the order posted."""
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


async def read_capped(upload: UploadFile, limit: int = MAX_UPLOAD) -> bytes | None:
    """The file's bytes, or None when it is larger than `limit`."""
    data = await upload.read(limit + 1)
    return None if len(data) > limit else data
