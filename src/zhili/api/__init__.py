"""The HTTP service: REST API under /api/v1 (and the web pages when installed).

    from zhili.api import create_app
    app = create_app()          # Service.open() on ZHILI_DB_URL / the workspace database
"""

from .app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
