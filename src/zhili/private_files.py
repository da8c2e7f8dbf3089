"""Owner-only files: the workspace holds the query log (work orders with personal data), user
accounts, sessions' secret and uploaded case files, so other accounts on the server must not
read it. The workspace folder is 0700 and the files zhili creates there are 0600; files and
folders left looser by an older build are tightened when they are opened.

Modes are given at creation (`os.open(..., 0o600)`, `mkdir(mode=0o700)`) rather than through
the process umask, which is shared by every thread of a running server.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def tighten(path: Path, mode: int) -> None:
    """Drop permission bits beyond `mode` on a path we own; never fails the caller."""
    try:
        st = path.stat()
        current = stat.S_IMODE(st.st_mode)
        if st.st_uid == os.geteuid() and current & ~mode:
            os.chmod(path, current & mode)
    except OSError:  # not ours, read-only file system, vanished: nothing to do here
        pass


def private_dir(path: Path) -> Path:
    """`path` as an owner-only folder (created 0700, an existing one tightened)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists and is 0600 (created empty when missing, else tightened)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        tighten(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a 0600 file (an existing file is tightened first)."""
    tighten(path, FILE_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def private_sqlite(database: Path) -> None:
    """The database file 0600 before SQLite opens it: SQLite gives its WAL, shared-memory and
    journal files the database file's own mode. Ones left by an older build are tightened."""
    private_file(database)
    for suffix in SQLITE_SIDE_FILES:
        tighten(database.with_name(database.name + suffix), FILE_MODE)
