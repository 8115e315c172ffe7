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
