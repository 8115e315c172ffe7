"""A throwaway PostgreSQL database for tests that must also run there (TEST_DATABASE_URL)."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from blog import normalise_database_url
from tests.helpers import require_service


@contextlib.contextmanager
def postgres_database():
    """Yields the URL of a new, empty database on the server; drops it afterwards."""
    base = make_url(normalise_database_url(require_service("TEST_DATABASE_URL", "PostgreSQL")))
    name = f"blog_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
