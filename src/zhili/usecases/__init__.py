"""Use cases that the REST API, the web pages and the CLI share: each lives here once.

The HTTP layers turn a request into an `Actor` (who, and whether four eyes apply to them) and
call these; refusals are `zhili.access.errors.ApiError` (the project's one refusal shape, which
the API renders as JSON, the pages as a message and the CLI as a line on stderr).
"""

from .actor import Actor

__all__ = ["Actor"]
