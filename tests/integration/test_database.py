"""The database layer: SQLite pragmas, migrations that match the models, idempotent init."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text

from blog.database import upgrade_to_head
from blog.extensions import db


@pytest.mark.sqlite_only
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


# Reflection cannot read an expression index back (alembic skips it with this warning); the test
# below checks that one by the query plan instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
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


def test_comment_checks_by_email_use_an_index_not_a_table_scan(tmp_path, monkeypatch):
    """Every new comment asks whether its name and email already have an approved comment
    (and the flood and duplicate rules ask by email): compared without case, as the rules
    require, that lookup read the whole comments table until migration 0008."""
    from blog.posting import has_approved_comment
    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path)
    statements = []
    with app.app_context():
        upgrade_to_head()

        def keep(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            has_approved_comment("Ann", "Ann@Example.org")
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        statement, parameters = statements[-1]
        with db.engine.connect() as conn:
            plan = " ".join(
                str(row[-1])
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        assert "ix_comments_author_email_lower" in plan, plan
        assert not plan.startswith("SCAN comments"), plan
        db.engine.dispose()


def test_upgrade_keeps_reply_links_and_repairs_orphaned_threads(tmp_path, monkeypatch):
    """SQLite alters a table by copying it; with foreign keys on, dropping the original would set
    every reply's parent to NULL. Threads broken by the old permanent delete are repaired."""
    import sqlite3

    from flask_migrate import upgrade

    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path)
    with app.app_context():
        upgrade(revision="0003")
        db.engine.dispose()
    con = sqlite3.connect(tmp_path / "blog.sqlite")
    con.execute(
        "INSERT INTO authors (id, username, display_name, password_hash, session_epoch,"
        " created_at, email) VALUES (1, 'a', 'A', 'x', 0, '2026-01-01', '')"
    )
    con.execute(
        "INSERT INTO posts (id, title, slug, body_md, body_html, body_render_version, summary,"
        " status, created_at, comments_open, author_id)"
        " VALUES (1, 't', 't', '', '', 0, '', 'published', '2026-01-01', 1, 1)"
    )
    # 3 lost its parent (1) to the old delete, but still names 1 as its root; 4 answers 3.
    for row in [(3, None, 1, 1), (4, 3, 1, 2), (5, None, 5, 0), (6, 5, 5, 1), (7, 6, 5, 2)]:
        con.execute(
            "INSERT INTO comments (id, post_id, parent_id, root_id, depth, author_name,"
            " author_email, author_url, author_ip, user_agent, body, body_html,"
            " body_render_version, status, moderation_reason, created_at)"
            " VALUES (?, 1, ?, ?, ?, 'n', 'e', '', '', '', 'b', '', 0, 'approved', '',"
            " '2026-01-01')",
            row,
        )
    con.commit()
    con.close()
    with app.app_context():
        upgrade_to_head()
        rows = db.session.execute(
            text("SELECT id, parent_id, root_id, depth FROM comments ORDER BY id")
        ).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [
        (3, None, 3, 0),
        (4, 3, 3, 1),
        (5, None, 5, 0),
        (6, 5, 5, 1),
        (7, 6, 5, 2),
    ]
