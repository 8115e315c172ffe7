"""The database layer: SQLite pragmas, migrations that match the models, idempotent init."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from blog.database import upgrade_to_head
from blog.extensions import db


def test_fresh_sqlite_connection_has_pragmas(app):
    # A brand-new engine, so the connection really is fresh.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_migrations_build_the_schema_the_models_describe(tmp_path, monkeypatch):
    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path)
    with app.app_context():
        upgrade_to_head()
        upgrade_to_head()  # idempotent
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"authors", "posts", "tags", "post_tags", "comments", "alembic_version"} <= tables
        db.engine.dispose()
