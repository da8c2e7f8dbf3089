"""Schema migrations on real databases: an old (pre-alembic) file, concurrent openers, downgrade."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from zhili.cases import Case
from zhili.store import CaseStore, SchemaTooNewError, Store, migrate
from zhili.store.schema import SCHEMA_VERSION, metadata
from bundled import BUNDLED

# The DDL zhili 0.1 emitted through metadata.create_all (before migrations existed), per dialect.
OLD_DDL = {
    "sqlite": [
        """CREATE TABLE cases (id VARCHAR(64) NOT NULL, payload JSON NOT NULL,
           content_hash VARCHAR(16) NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (id),
           CONSTRAINT ck_cases_id_length CHECK (length(id) BETWEEN 1 AND 64),
           CONSTRAINT ck_cases_hash_length CHECK (length(content_hash) = 16))""",
        'CREATE TABLE meta ("key" VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key"))',
    ],
    "postgresql": [
        """CREATE TABLE cases (id VARCHAR(64) NOT NULL, payload JSONB NOT NULL,
           content_hash VARCHAR(16) NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (id),
           CONSTRAINT ck_cases_id_length CHECK (length(id) BETWEEN 1 AND 64),
           CONSTRAINT ck_cases_hash_length CHECK (length(content_hash) = 16))""",
        "CREATE TABLE meta (key VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY (key))",
    ],
}
OLD_TIME = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)


def _build_v1(url: str, cases: list[Case]) -> None:
    """A database exactly as zhili 0.1 left it: old tables, its meta rows, no alembic_version."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for ddl in OLD_DDL[engine.dialect.name]:
            conn.exec_driver_sql(ddl)
        for c in cases:
            conn.execute(text("INSERT INTO cases (id, payload, content_hash, updated_at) VALUES (:i, :p, :h, :t)"),
                         {"i": c.id, "p": json.dumps(c.model_dump(mode="json")), "h": c.content_hash(),
                          "t": OLD_TIME if engine.dialect.name == "postgresql" else "2025-03-01 08:30:00.000000"})
        for key, value in (("schema_version", "1"), ("initialized", OLD_TIME.isoformat()), ("seeded_from", "bundled")):
            conn.execute(text('INSERT INTO meta ("key", value) VALUES (:k, :v)'), {"k": key, "v": value})
    engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return rev


def test_old_database_is_stamped_then_upgraded_keeping_every_case(db_url: str, bundled_cases: list[Case]) -> None:
    old = bundled_cases[:5]
    _build_v1(db_url, old)
    assert _revision(db_url) is None
    with Store.open(db_url) as store:
        assert _revision(db_url) == migrate.head()
        assert store.cases.count() == 5  # not re-seeded: the old file was initialised already
        assert store.cases.published() == old == store.cases.all()
        rec = store.cases.get_record(old[0].id)
        assert rec is not None and rec.status == "published"
        assert rec.created_at == rec.updated_at == OLD_TIME and rec.updated_by is None
        assert store.cases.meta("schema_version") == str(SCHEMA_VERSION) == "4"
        assert store.cases.library_hash()[:16] == _index_hash(old)  # same fingerprint as before migration
        # facet columns were filled from the payloads, so listing works on migrated rows
        page, total = store.cases.page(province=old[0].province)
        assert old[0].id in {r.case.id for r in page} and total >= 1
        assert store.audit.recent() == []  # migration is not a case change
        # the old constraints survived the table rebuild
        bad = old[0].model_copy(update={"id": "", "title": "x"})
        with pytest.raises(IntegrityError):
            store.cases.import_cases([bad])
        assert store.cases.count() == 5


def _index_hash(cases: list[Case]) -> str:
    from zhili.retrieval.index import library_hash

    return library_hash(cases)


def test_downgrade_to_0001_and_back(db_url: str, bundled_cases: list[Case]) -> None:
    with Store.open(db_url) as store:
        store.cases.create(bundled_cases[0].model_copy(update={"id": "draft-1"}), "alice")  # a draft
        store.users.create("alice", "correct horse", "admin")
        migrate.downgrade(store.engine, "0001")
        names = set(inspect(store.engine).get_table_names())
        assert names == {"alembic_version", "cases", "meta"}
        columns = {c["name"] for c in inspect(store.engine).get_columns("cases")}
        assert columns == {"id", "payload", "content_hash", "updated_at"}
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == BUNDLED  # the draft went
            assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one() == "1"
    assert _revision(db_url) == "0001"
    with Store.open(db_url) as store:  # opening upgrades again
        assert _revision(db_url) == migrate.head()
        assert store.cases.count("published") == BUNDLED and store.users.list() == []


def test_tables_match_the_models_after_migrating(db_url: str) -> None:
    """schema.py (used by queries) and the migrations (which create the tables) describe the same thing."""
    with Store.open(db_url, seed=False) as store:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []  # tables, columns, types, nullability, indexes, foreign keys


def test_database_from_a_newer_zhili_is_refused(db_url: str) -> None:
    with Store.open(db_url, seed=False) as store:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNewError, match="9999"):
        Store.open(db_url)


OPENER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    go = Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    from zhili.store import Store
    with Store.open(sys.argv[1]) as store:
        print(store.cases.count(), store.cases.revision())
""")


def test_concurrent_first_opens_migrate_and_seed_once(db_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, db_url, str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    go.touch()  # both start migrating the same empty database at once
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    assert [out.split() for out, _ in outputs] == [[str(BUNDLED), "1"]] * 2
    with Store.open(db_url) as store:
        with store.engine.connect() as conn:  # seeded exactly once (recent() stops at 1,000 rows)
            assert conn.execute(text("SELECT count(*) FROM audit_log WHERE kind = 'case'")).scalar() == BUNDLED
        assert _revision(db_url) == migrate.head()


def test_case_store_open_still_works_for_the_cli(db_url: str) -> None:
    with CaseStore.open(db_url) as cases:
        assert cases.count() == BUNDLED and cases.revision() == "1"
