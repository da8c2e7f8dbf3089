"""Alembic migrations of the workspace database, applied by `zhili.store.migrate.upgrade` on open."""
