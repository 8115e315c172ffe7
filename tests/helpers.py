"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os

import pytest

from blog import create_app

HX = {"HX-Request": "true"}
PASSWORD = "correct horse battery"


def make_test_app(tmp_path, **overrides):
    """An app on a real SQLite file in tmp_path; CSRF off unless a test turns it on."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "WTF_CSRF_ENABLED": False,
        # Flask-Limiter reads this once, at start-up; tests that want limits create their own app.
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    return create_app(config)


def require_service(env_var: str, what: str) -> str:
    """The service URL from the environment; skip with a reason elsewhere, never skip in CI."""
    value = os.environ.get(env_var)
    if value:
        return value
    message = f"{what} not configured: set {env_var} (.ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; in CI nothing may skip for lack of a service")
    pytest.skip(message)
