"""The REST API under /api/v1: routers, request checks, error handlers, /docs.

`zhili.app.create_app` builds the whole application (API and web pages on one port) and calls
`install` / `install_docs`; this package never imports `zhili.web`.
"""

from .app import API_PREFIX, DESCRIPTION, install, install_docs

__all__ = ["API_PREFIX", "DESCRIPTION", "install", "install_docs"]
