"""Engine tuning and database set-up shared by the CLI and the tests."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, event

SQLITE_BUSY_TIMEOUT_MS = 5000


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets readers work while one writer writes; wait for locks instead of failing."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def upgrade_to_head() -> None:
    """Apply every migration; running it again changes nothing."""
    from flask_migrate import upgrade

    upgrade()


def reset_id_sequences(*models) -> None:
    """After rows were inserted with explicit ids, PostgreSQL's id sequences must continue after
    the largest one (SQLite takes the largest id + 1 by itself)."""
    from sqlalchemy import func, select

    from .extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        following = select(func.coalesce(func.max(model.id), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(model.__tablename__, "id")
        db.session.execute(select(func.setval(sequence, following, False)))


def refresh_stale_html() -> int:
    """Re-render cached HTML made by an older sanitizer (after an upgrade changed the rules).

    Pages render stale rows on the fly anyway; this stores the result so they need not.
    """
    from sqlalchemy import select

    from .extensions import db
    from .models import Comment, Post
    from .sanitize import (
        COMMENT_RENDER_VERSION,
        POST_RENDER_VERSION,
        refresh_comment_html,
        refresh_post_html,
    )

    count = 0
    for model, version, refresh in (
        (Post, POST_RENDER_VERSION, refresh_post_html),
        (Comment, COMMENT_RENDER_VERSION, refresh_comment_html),
    ):
        stale = select(model).where(model.body_render_version != version).limit(500)
        while rows := db.session.scalars(stale).all():
            for row in rows:
                refresh(row)
            db.session.commit()
            count += len(rows)
    return count
