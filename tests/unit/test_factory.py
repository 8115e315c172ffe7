"""create_app: config layers, instance folder, secret key, asset folders."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from blog import asset_dir, create_app, normalise_database_url

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "inst"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(path))
    for name in list(os.environ):
        if (name.startswith("BLOG_") and name != "BLOG_INSTANCE_PATH") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    return path


def test_defaults(instance):
    app = create_app()
    assert app.config["SITE_TITLE"] == "Good News"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///blog.sqlite"
    assert app.instance_path == str(instance)
    assert instance.is_dir()
    assert not app.testing


def test_sqlite_file_lives_in_instance_folder(instance):
    app = create_app()
    with app.app_context():
        from blog.extensions import db

        assert db.engine.url.database == str(instance / "blog.sqlite")


def test_config_layers_in_order(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text(
        "SITE_TITLE = 'From instance'\nSITE_TAGLINE = 'Instance tagline'\nPOSTS_PER_PAGE = 7\n"
    )
    monkeypatch.setenv("BLOG_SITE_TAGLINE", "From environment")
    monkeypatch.setenv("BLOG_POSTS_PER_PAGE", "12")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/blog")
    app = create_app({"SITE_TITLE": "From test config"})
    assert app.config["SITE_TITLE"] == "From test config"
    assert app.config["SITE_TAGLINE"] == "From environment"
    assert app.config["POSTS_PER_PAGE"] == 12  # from_prefixed_env parses JSON values
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/blog"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://h/db", "postgresql+psycopg://h/db"),
        ("postgresql://h/db", "postgresql+psycopg://h/db"),
        ("postgresql+psycopg://h/db", "postgresql+psycopg://h/db"),
        ("sqlite:////srv/blog.sqlite", "sqlite:////srv/blog.sqlite"),
    ],
)
def test_normalise_database_url(given, expected):
    assert normalise_database_url(given) == expected


def test_relative_instance_path_is_refused(monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", "relative/dir")
    with pytest.raises(RuntimeError, match="absolute"):
        create_app()


def test_secret_key_generated_once_and_private(instance, caplog):
    with caplog.at_level(logging.WARNING, logger="blog"):
        first = create_app()
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    assert "generated one" in caplog.text
    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_configured_secret_key_is_used(instance, monkeypatch):
    monkeypatch.setenv("BLOG_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_production_refuses_missing_secret_key(instance, monkeypatch):
    monkeypatch.setenv("BLOG_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app()
    assert not (instance / "secret_key").exists()


def test_asset_folders_are_the_top_level_ones(instance):
    app = create_app()
    assert Path(app.template_folder) == REPO / "templates"
    assert Path(app.static_folder) == REPO / "static"
    assert asset_dir("templates") == str(REPO / "templates")


def test_wsgi_module_exposes_app(instance):
    import importlib

    import blog.wsgi

    module = importlib.reload(blog.wsgi)
    assert module.app is module.application
    assert module.app.name == "blog"
