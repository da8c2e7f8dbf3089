"""Replacing a directory so that readers see the old version or the new one, never a mix."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing_directory(target: Path) -> Iterator[Path]:
    """Yield an empty sibling temp dir to fill; on success swap it in place of `target`.

    If the block raises, `target` is left as it was and the temp dir is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # two processes building at once never share
    tmp = target.with_name(f"{target.name}.tmp-{tag}")
    old = target.with_name(f"{target.name}.old-{tag}")
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
