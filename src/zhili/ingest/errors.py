"""Errors a reader or the batch raises: a stable `code` for integrators and a Chinese message
that names the file and says what to do."""

from __future__ import annotations


class IngestError(Exception):
    """A document that cannot be read (the whole batch is refused, nothing is stored)."""

    def __init__(self, code: str, message: str, file: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
