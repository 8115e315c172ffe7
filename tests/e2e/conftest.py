"""A live server on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from blog import create_app
from blog.accounts.passwords import hash_password
from blog.database import upgrade_to_head
from blog.demo import seed_demo
from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import Author
from tests.e2e.helpers import DISPLAY_NAME, PASSWORD, USERNAME
from tests.helpers import throwaway_postgres

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach outside services this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_generate_tests(metafunc):
    """``@pytest.mark.both_databases``: the test runs on the SQLite file and again on a throwaway
    PostgreSQL database (CI names the server; elsewhere that run skips with the reason)."""
    if "e2e_database" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("e2e_database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def e2e_database(request):
    """The database URL of the live app: None for its SQLite file (the default)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    with throwaway_postgres() as (url,):
        yield url


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{CHROMIUM} is missing; .ci/run installs it. No browser test may skip in CI."
            )
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "app_config(**settings): create_app settings for the live app of this test "
        "(on a module, class or test; the nearest wins)",
    )


@pytest.fixture
def live_app(request, tmp_path, monkeypatch, e2e_database):
    """The app as `make run` sets it up: migrated SQLite file (or, for tests marked
    both_databases, PostgreSQL too) plus the demo content.

    ``@pytest.mark.app_config(NAME=value)`` on a module, class or test adds create_app settings
    (some, like RATELIMIT_ENABLED, are only read at creation); the nearest marker wins.
    """
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = {"SECRET_KEY": "e2e-secret"}
    if e2e_database:
        config["SQLALCHEMY_DATABASE_URI"] = e2e_database
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        config.update(marker.kwargs)
    app = create_app(config)
    with app.app_context():
        upgrade_to_head()
        seed_demo()
    yield app
    # The mail sender stays a while after its last message: end it with the test.
    assert sender(app).wait_idle()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


# Runs before any page script: every CSP violation is kept for the test to read.
RECORD_CSP_VIOLATIONS = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e =>"
    " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture
def new_page(browser, live_server):
    """Opens pages in fresh browser contexts (own cookies), each recording console errors and
    CSP violations; ``new_page(java_script_enabled=False)`` for a browser without JavaScript.

    Reduced motion is on unless asked otherwise: with the stylesheet's smooth scrolling, every
    click would first wait about a second for the page to stop scrolling.
    """
    contexts = []

    def open_page(**context_options):
        context_options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(base_url=live_server.url, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh browser context per test, recording console errors and CSP violations."""
    return new_page()


# --- an author signed in (test_admin.py, test_layout.py) -------------------------------------


@pytest.fixture
def author(live_app) -> int:
    with live_app.app_context():
        account = Author(
            username=USERNAME,
            display_name=DISPLAY_NAME,
            password_hash=hash_password(PASSWORD),
            role="administrator",
        )
        db.session.add(account)
        db.session.commit()
        return account.id


@pytest.fixture
def admin_page(new_page, live_app, live_server, author) -> Page:
    """A browser context already signed in, on the dashboard.

    The session cookie is made the way the login view makes it (test_sign_in_and_out and the
    axe test go through the real form), which saves each test a round of typing and argon2.
    """
    with live_app.app_context():
        epoch = db.session.get(Author, author).session_epoch
    serializer = live_app.session_interface.get_signing_serializer(live_app)
    cookie = serializer.dumps({"author_id": author, "epoch": epoch, "_permanent": True})
    page = new_page()
    page.context.add_cookies(
        [{"name": live_app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}]
    )
    page.goto("/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    return page
