"""Alembic environment: runs on the connection `zhili.store.migrate` hands over (online only).

The caller owns the transaction and the lock around it, so concurrent openers queue and a
failed step leaves the database at its previous revision. Run by hand (`alembic -c …`) it opens
its own engine from `sqlalchemy.url` the same way the store does.
"""

from __future__ import annotations

from alembic import context

from zhili.store.schema import make_engine


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or None)
    with engine.execution_options(zhili_write=True).begin() as conn:
        _run(conn)
    engine.dispose()
