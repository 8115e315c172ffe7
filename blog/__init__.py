"""Good News: a Flask blog whose reader comments work through htmx."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def asset_dir(name: str) -> str:
    """templates/ or static/: inside the package in a wheel, beside it in a source checkout."""
    bundled = PACKAGE_DIR / name
    return str(bundled if bundled.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict | None = None) -> Flask:
    from .web.logs import configure_logging

    configure_logging()  # first: Flask adds its own handler to app.logger if none is found
    instance_path = os.environ.get("BLOG_INSTANCE_PATH") or None
    if instance_path and not os.path.isabs(instance_path):
        raise RuntimeError(f"BLOG_INSTANCE_PATH must be an absolute path, not {instance_path!r}")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=asset_dir("templates"),
        static_folder=asset_dir("static"),
    )
    load_config(app, test_config)
    # A moderation setting the rules cannot use stops the start, not the first comment.
    from .comments.moderation import check_rules

    check_rules(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    ensure_secret_key(app)

    from . import (
        admin,
        cli,
        database,  # noqa: F401  (registers the SQLite connection pragmas)
        media,
    )
    from .accounts import auth
    from .caching import pagecache  # noqa: F401  (registers the content-version bump)
    from .comments import email_actions
    from .extensions import cache, csrf, db, limiter, migrate
    from .mail import outbox
    from .reading import comment_views, follow_views, views
    from .transfer.wordpress import redirects as wordpress_redirects
    from .web import (
        assets,
        errors,
        forgery,
        health,
        htmx,
        i18n,
        logs,
        params,
        security,
        sessions,
        signing,
        templating,
        uploads,
        urls,
    )

    urls.init_app(app)
    params.init_app(app)  # before the blueprints: rules pick their converters when added
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    uploads.init_app(app)  # before CSRFProtect: it raises an upload view's body limit first
    csrf.init_app(app)
    # Templates make the token Flask-WTF's way, at a fraction of the cost (blog/web/signing.py).
    app.jinja_env.globals["csrf_token"] = signing.csrf_token
    cache.init_app(app)
    limiter.init_app(app)
    assets.init_app(app)
    trust_proxies(app)
    logs.init_app(app)
    outbox.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    sessions.init_app(app)
    i18n.init_app(app)  # before templating: it installs _() and friends in Jinja
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    health.init_app(app)
    urls.fix_script_root(app)  # last: the outermost wrapper, so every other one sees the fixed root
    app.register_blueprint(views.bp)
    app.register_blueprint(comment_views.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(email_actions.bp)
    app.register_blueprint(follow_views.bp)
    app.register_blueprint(wordpress_redirects.bp)
    media.init_app(app)
    forgery.init_app(app)  # after the blueprints: it runs after the sign-in hook
    return app


def warn_about_per_worker_limits(app: Flask) -> None:
    """In-memory limiter counts live in each worker process: 4 workers allow 4 times the limit."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI", ""))
    if (
        uri.startswith("memory://")
        and app.config.get("RATELIMIT_ENABLED", True)
        and not (app.debug or app.testing)
    ):
        log.warning(
            "RATELIMIT_STORAGE_URI is memory://: rate limits are counted per worker process. "
            "With more than one worker, set it to a shared store such as redis://host:6379/0."
        )


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object("blog.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("BLOG")
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config.get("PREFER_HTTPS"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def normalise_database_url(url: str) -> str:
    """Hosts hand out postgres:// URLs; SQLAlchemy wants the dialect and our driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# A generated key is 64 hex digits; a key file holding fewer than this many characters was cut
# short (a full disk under an older release) or edited by hand, and is refused.
SECRET_KEY_MIN_LENGTH = 32


def ensure_secret_key(app: Flask) -> None:
    """Use the configured key; otherwise keep a generated one in the instance folder.

    The file appears whole or not at all: the key is written to a temporary file in the same
    folder, flushed, then linked to its name, which fails if the name exists. Of several
    workers starting together exactly one link succeeds, and every other reads the winner's
    key; nobody can read a file that is still being written. A full disk leaves no file."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("ENV") == "production":
        raise RuntimeError(
            "SECRET_KEY is not set. In production set BLOG_SECRET_KEY or SECRET_KEY in "
            "instance/config.py; the blog will not generate one for you there."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        try:
            created = _create_whole(key_file, secrets.token_hex(32))
        except OSError as error:
            raise RuntimeError(
                f"No SECRET_KEY configured, and none could be saved in {key_file}: {error}. "
                "Set BLOG_SECRET_KEY, or free the disk space, and start again."
            ) from error
        if created:
            log.warning("No SECRET_KEY configured: generated one in %s (mode 0600).", key_file)
    key = key_file.read_text().strip()
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise RuntimeError(
            f"The secret key file {key_file} holds {len(key)} characters, fewer than "
            f"{SECRET_KEY_MIN_LENGTH}: it was cut short or edited. Delete it to have a new key "
            "generated (signed-in authors sign in again, open forms are sent again), or set "
            "BLOG_SECRET_KEY."
        )
    app.config["SECRET_KEY"] = key


def _create_whole(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (mode 0600) unless it exists; False when another process got
    there first. Never leaves a partly written ``path``, nor a temporary file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w") as handle:  # mkstemp makes it 0600
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if path exists, like O_EXCL
        except FileExistsError:
            return False
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            # A file system without hard links: renaming can replace a winner's file, so the
            # name is claimed with O_EXCL and the whole key written at once, the next best.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
        return True
    finally:
        os.unlink(temporary)


def trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client address and scheme from their headers."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
