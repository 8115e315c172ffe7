"""The database layer: SQLite pragmas, migrations that match the models, idempotent init."""

from __future__ import annotations

import re

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
            # A writer waits DB_WRITE_WAIT_SECONDS (3 s) at most, then the visitor gets a 503.
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 3000
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
            context = MigrationContext.configure(conn, opts={"include_name": not_search_index})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"authors", "posts", "tags", "post_tags", "comments", "alembic_version"} <= tables
        migrated = _triggers_and_partial_indexes()
        db.engine.dispose()
    # What compare_metadata does not look at: triggers, and a partial index's condition. The
    # migrations write their own copy of that SQL; init-db on a new database must get the same.
    (tmp_path / "fresh").mkdir()
    fresh = make_test_app(tmp_path / "fresh")
    with fresh.app_context():
        db.create_all()
        created = _triggers_and_partial_indexes()
        db.engine.dispose()
    assert migrated == created
    assert {"comments_count_insert", "comments_count_delete", "comments_count_update"} <= set(
        migrated
    )
    assert "ix_comments_top_level_unapproved" in migrated
    assert {"search_fts", "search_posts_insert", "search_comments_update"} <= set(migrated)


def not_search_index(name, type_, parent_names) -> bool:
    """The full-text index (blog/reading/search_index.py) is made by raw SQL in the migration and
    at create_all, not described by the models: its table and FTS5's own tables are left out."""
    return not (type_ == "table" and name and name.startswith("search_fts"))


def _triggers_and_partial_indexes() -> dict[str, str]:
    """Name -> SQL of every trigger and partial index in the SQLite database, spacing aside."""
    rows = db.session.execute(
        text(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' OR sql LIKE '%WHERE%' OR name = 'search_fts'"
        )
    ).all()
    db.session.commit()
    return {name: " ".join(sql.replace('"', "").split()) for name, sql in rows}


def test_comment_checks_by_email_use_an_index_not_a_table_scan(tmp_path, monkeypatch):
    """Every new comment asks whether its name and email already have an approved comment
    (and the flood and duplicate rules ask by email): compared without case, as the rules
    require, that lookup read the whole comments table until migration 0008."""
    from blog.comments.posting import has_approved_comment
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


def _plans_of_statements(call) -> list[tuple[str, str]]:
    """(statement, SQLite's query plan) for each statement ``call`` sends."""
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    plans = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append((statement, " | ".join(str(row[-1]) for row in rows)))
    return plans


@pytest.mark.sqlite_only
def test_a_new_comments_checks_and_page_read_indexes_not_the_thread(app, client, make):
    """A prolific commenter on a long thread: the duplicate rule used to read every comment
    they had written there, and the comment page of the new comment every comment of the
    article. Both now walk an index (migration 0009), whatever the thread's size."""
    from blog.comments import threads
    from blog.comments.moderation import Submission
    from blog.comments.posting import is_duplicate
    from tests.helpers import READER, READER_EMAIL

    post = make.post("Long thread")
    for n in range(30):
        comment = make.comment(post, author_name=READER, author_email=READER_EMAIL,
                               body=f"Take {n}", status="approved")  # fmt: skip
    sent = Submission(body="Take 29", name=READER, email=READER_EMAIL, url="", ip="10.0.0.1",
                      user_agent="", honeypot="", seconds_since_render=30.0)  # fmt: skip
    with app.test_request_context("/"):
        checks = _plans_of_statements(lambda: is_duplicate(post, None, sent))
        pages = _plans_of_statements(lambda: threads.page_of(comment, []))
        answer = _plans_of_statements(lambda: threads.totals_and_page_of_new(post, comment))
    duplicate = next(plan for statement, plan in checks if "FROM comments" in statement)
    assert "ix_comments_post_body_digest" in duplicate, duplicate
    count = next(plan for statement, plan in pages if "count(" in statement)
    assert re.search(r"SEARCH comments USING COVERING INDEX \w+ \(post_id=\?", count), count
    assert "SCAN" not in count, count
    # The answer to a new thread reads the stored counts; of the comments ahead it looks only
    # at those dated from it on and at the top-level ones not approved (their partial index).
    ((_statement, plan),) = answer
    assert "SEARCH posts USING INTEGER PRIMARY KEY" in plan, plan
    # Several indexes bound each count alike (by article and time: top-level, approved, or
    # the partial ones of migrations 0009 and 0019); SQLite's choice between equal costs
    # follows the order the indexes were created in, which varies from run to run. What
    # matters: each is an index search by article and time, and nothing scans the thread.
    searches = re.findall(r"SEARCH comments USING (?:COVERING )?INDEX (\w+) \(([^)]*)\)", plan)
    assert len(searches) == 2, plan
    for _name, bounds in searches:
        assert bounds.startswith("post_id=?") and "created_at" in bounds, plan
    assert "SCAN" not in plan, plan
    with app.test_request_context("/"):
        assert is_duplicate(post, None, sent)
        assert threads.totals_and_page_of_new(post, comment) == (30, 1)


def _old_database(tmp_path, monkeypatch, revision: str):
    """An app whose SQLite file is migrated only up to ``revision``, with one author and one
    post written as that schema stores them; the app and an open sqlite3 connection to it."""
    import sqlite3

    from flask_migrate import upgrade

    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path)
    with app.app_context():
        upgrade(revision=revision)
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
    return app, con


def _insert_old_comment(con, comment_id, parent_id, root_id, depth, body="b") -> None:
    """An approved comment on that post, in the columns every revision since 0003 has."""
    con.execute(
        "INSERT INTO comments (id, post_id, parent_id, root_id, depth, author_name,"
        " author_email, author_url, author_ip, user_agent, body, body_html,"
        " body_render_version, status, moderation_reason, created_at)"
        " VALUES (?, 1, ?, ?, ?, 'n', 'e', '', '', '', ?, '', 0, 'approved', '', '2026-01-01')",
        (comment_id, parent_id, root_id, depth, body),
    )


def test_upgrade_gives_existing_comments_their_digest(tmp_path, monkeypatch):
    """Comments written before migration 0009 get the digest the duplicate rule looks up."""
    from blog.models import Comment, body_digest

    app, con = _old_database(tmp_path, monkeypatch, "0008")
    texts = ["First words", "Zweite Worte \u00e4\u00f6\u00fc", ""]
    for n, body in enumerate(texts, start=1):
        _insert_old_comment(con, n, None, n, 0, body)
    con.commit()
    con.close()
    with app.app_context():
        upgrade_to_head()
        digests = db.session.execute(db.select(Comment.body, Comment.body_digest)).all()
        db.engine.dispose()
    assert sorted(digests) == sorted((body, body_digest(body)) for body in texts)
    assert len({digest for _, digest in digests}) == 3


def test_upgrade_keeps_reply_links_and_repairs_orphaned_threads(tmp_path, monkeypatch):
    """SQLite alters a table by copying it; with foreign keys on, dropping the original would set
    every reply's parent to NULL. Threads broken by the old permanent delete are repaired."""
    app, con = _old_database(tmp_path, monkeypatch, "0003")
    # 3 lost its parent (1) to the old delete, but still names 1 as its root; 4 answers 3.
    for row in [(3, None, 1, 1), (4, 3, 1, 2), (5, None, 5, 0), (6, 5, 5, 1), (7, 6, 5, 2)]:
        _insert_old_comment(con, *row)
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


def test_upgrade_counts_existing_comments_and_keeps_counting(tmp_path, monkeypatch):
    """Migration 0010 counts each post's approved comments (and approved top-level ones) once;
    from then on the triggers keep both as comments come, change status, move and go."""
    app, con = _old_database(tmp_path, monkeypatch, "0009")
    for n in range(1, 5):
        _insert_old_comment(con, n, None, n, 0, f"Comment {n}")
    _insert_old_comment(con, 5, 1, 1, 1, "A reply")
    con.execute("UPDATE comments SET status = 'pending' WHERE id = 4")
    con.commit()
    con.close()
    with app.app_context():
        upgrade_to_head()
        stored = text("SELECT approved_comments, approved_top_level FROM posts WHERE id = 1")
        assert tuple(db.session.execute(stored).one()) == (4, 3)
        db.session.execute(text("UPDATE comments SET status = 'approved' WHERE id = 4"))
        db.session.execute(text("UPDATE comments SET status = 'spam' WHERE id = 1"))
        db.session.execute(text("DELETE FROM comments WHERE id = 2"))
        db.session.execute(text("UPDATE comments SET parent_id = NULL WHERE id = 5"))
        db.session.commit()
        # Approved: 3, 4 and 5, all three now top-level.
        assert tuple(db.session.execute(stored).one()) == (3, 3)
        db.engine.dispose()


def test_the_migration_creates_the_triggers_the_models_create():
    """init-db (create_all) and an upgraded database get the same triggers: the migration keeps
    its own copy of the SQL, which must not drift from blog/comment_counts.py."""
    import importlib.util
    from pathlib import Path

    from blog import comment_counts

    path = Path(__file__).parents[3] / "blog/migrations/versions/0010_approved_comment_counts.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SQLITE_TRIGGERS == comment_counts.SQLITE_TRIGGERS
    assert migration.POSTGRESQL_TRIGGERS == comment_counts.POSTGRESQL_TRIGGERS


def test_upgrade_to_ids_never_reused_keeps_every_row_and_trigger(tmp_path, monkeypatch):
    """Migration 0011 rebuilds five tables with AUTOINCREMENT and gives each comment a secret:
    rows, reply links, indexes and the counting triggers all come through; ids go on from the
    largest, and a deleted newest comment's id is not handed out again."""
    app, con = _old_database(tmp_path, monkeypatch, "0010")
    for row in [(1, None, 1, 0), (2, 1, 1, 1), (3, None, 3, 0)]:
        _insert_old_comment(con, *row)
    con.commit()
    indexes_before = {
        name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    con.close()
    with app.app_context():
        upgrade_to_head()
        rows = db.session.execute(
            text("SELECT id, parent_id, root_id, secret FROM comments ORDER BY id")
        ).all()
        assert [tuple(r)[:3] for r in rows] == [(1, None, 1), (2, 1, 1), (3, None, 3)]
        secrets_ = [r.secret for r in rows]
        assert all(len(s) == 16 for s in secrets_) and len(set(secrets_)) == 3
        stored = text("SELECT approved_comments, approved_top_level FROM posts WHERE id = 1")
        assert tuple(db.session.execute(stored).one()) == (3, 2)
        for table in ("authors", "tags", "posts", "comments", "outbox"):
            sql = db.session.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                {"t": table},
            )
            assert "AUTOINCREMENT" in sql, table
        indexes_after = {
            name
            for (name,) in db.session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index'")
            )
        }
        assert indexes_before <= indexes_after
        db.session.execute(text("DELETE FROM comments WHERE id = 3"))  # the triggers still count
        assert tuple(db.session.execute(stored).one()) == (2, 1)
        db.session.execute(
            text(
                "INSERT INTO comments (post_id, author_name, author_email, author_url, author_ip,"
                " user_agent, body, body_html, body_render_version, status, moderation_reason,"
                " created_at, depth, status_version)"
                " VALUES (1, 'n', 'e', '', '', '', 'new', '', 0, 'approved', '',"
                " '2026-01-02', 0, 0)"
            )
        )
        new_id = db.session.scalar(text("SELECT max(id) FROM comments"))
        db.session.commit()
        assert new_id == 4
        assert tuple(db.session.execute(stored).one()) == (3, 2)
        broken = db.session.execute(text("PRAGMA foreign_key_check")).all()
        assert broken == []
        db.engine.dispose()


def test_init_db_and_the_migrations_agree_on_autoincrement(tmp_path, monkeypatch):
    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))

    def autoincrement_tables(app, build) -> set[str]:
        with app.app_context():
            build()
            found = {
                name
                for name, sql in db.session.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                )
                if "AUTOINCREMENT" in (sql or "")
            }
            db.session.remove()
            db.engine.dispose()
        return found

    migrated = autoincrement_tables(make_test_app(tmp_path), upgrade_to_head)
    (tmp_path / "fresh").mkdir()
    created = autoincrement_tables(make_test_app(tmp_path / "fresh"), db.create_all)
    assert (
        migrated
        == created
        == {
            "authors",
            "tags",
            "posts",
            "comments",
            "outbox",
            "revisions",
            "menu_items",
            "media",
            "subscriptions",
        }
    )


def test_upgrade_to_wordpress_authoring_keeps_rows_and_makes_owners_administrators(
    tmp_path, monkeypatch
):
    """Migration 0012 rebuilds posts and tags on SQLite (new CHECKs and foreign keys): rows,
    comment counters, tag links and AUTOINCREMENT survive; existing accounts, the site's owners
    until now, become administrators; posts are posts and terms are tags."""
    app, con = _old_database(tmp_path, monkeypatch, "0011")
    for row in [(1, None, 1, 0), (2, 1, 1, 1)]:
        _insert_old_comment(con, *row)
    con.execute("INSERT INTO tags (id, name, slug) VALUES (7, 'News', 'news')")
    con.execute("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 7)")
    con.commit()
    con.close()
    with app.app_context():
        upgrade_to_head()
        row = db.session.execute(
            text(
                "SELECT kind, status, sticky, password, parent_id, approved_comments"
                " FROM posts WHERE id = 1"
            )
        ).one()
        assert tuple(row) == ("post", "published", 0, "", None, 2)
        assert db.session.scalar(text("SELECT role FROM authors WHERE id = 1")) == "administrator"
        tag = db.session.execute(text("SELECT taxonomy, parent_id FROM tags WHERE id = 7")).one()
        assert tuple(tag) == ("tag", None)
        assert db.session.scalar(text("SELECT tag_id FROM post_tags WHERE post_id = 1")) == 7
        for table in ("posts", "tags", "revisions", "menu_items"):
            sql = db.session.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                {"t": table},
            )
            assert "AUTOINCREMENT" in sql, table
        # The new CHECKs hold: a status or kind outside the lists is refused by the database.
        with pytest.raises(Exception, match="CHECK"):
            db.session.execute(text("UPDATE posts SET kind = 'product' WHERE id = 1"))
        db.session.rollback()
        db.session.execute(text("UPDATE posts SET status = 'private' WHERE id = 1"))
        db.session.execute(text("DELETE FROM comments WHERE id = 2"))  # the triggers still count
        assert db.session.scalar(text("SELECT approved_comments FROM posts WHERE id = 1")) == 1
        db.session.commit()
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.engine.dispose()
