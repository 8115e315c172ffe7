"""Logging set up by the app when the host has not, and a request id on every line of a request."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest

from blog import warn_about_per_worker_limits
from tests.helpers import make_test_app

SCRIPT = """
import logging, sys
{host_setup}
from blog import create_app
from blog.extensions import db
app = create_app({{"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite:///{database}",
                  "RATELIMIT_ENABLED": False}})
with app.app_context():
    db.create_all()

@app.get("/boom")
def boom():
    app.logger.info("about to fail")
    raise RuntimeError("kaput")

client = app.test_client()
response = client.get("/boom", headers={{"X-Request-ID": "edge-4f2a9c1d"}})
print(response.status_code, response.headers["X-Request-ID"])
print(response.get_data(as_text=True))
from blog.mail.outbox import sender
sender(app).wait_idle()
logging.getLogger("blog.mail.outbox").info("outside a request")
"""


def run(tmp_path, host_setup: str = "") -> tuple[str, str]:
    env = dict(os.environ, BLOG_INSTANCE_PATH=str(tmp_path / "instance"))
    env["BLOG_SITE_URL"] = "http://localhost"  # a configured site: no start-up warning
    env.pop("DATABASE_URL", None)
    script = SCRIPT.format(host_setup=host_setup, database=tmp_path / "log.sqlite")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout, done.stderr


def test_the_app_logs_info_to_stderr_with_the_request_id_on_every_line(tmp_path):
    stdout, stderr = run(tmp_path)
    assert stdout.startswith("500 edge-4f2a9c1d")
    assert "Reference: <code>edge-4f2a9c1d</code>" in stdout
    lines = stderr.strip().splitlines()
    assert re.match(r"\S+ \S+ INFO \[edge-4f2a9c1d\] blog: about to fail$", lines[0])
    assert re.match(r"\S+ \S+ ERROR \[edge-4f2a9c1d\] blog: Unhandled error$", lines[1])
    events = [line for line in lines if not line.startswith("    ")]
    assert all(re.match(r"\S+ \S+ [A-Z]+ \[", line) for line in events)  # one line an event
    traceback = [line for line in lines if line.startswith("    ")]
    assert len(traceback) > 3
    assert all(line.startswith("    [edge-4f2a9c1d] | ") for line in traceback)
    assert "RuntimeError: kaput" in traceback[-1]
    assert lines.index(traceback[0]) == 2  # right under its event
    assert re.match(r"\S+ \S+ INFO \[-\] blog.mail.outbox: outside a request$", lines[-1])


def test_a_host_that_configured_logging_is_left_alone(tmp_path):
    _, stderr = run(
        tmp_path,
        'logging.basicConfig(level=logging.WARNING, format="HOST %(levelname)s %(message)s")',
    )
    assert "about to fail" not in stderr  # INFO stays off, as the host chose
    assert stderr.startswith("HOST ERROR Unhandled error")
    assert "[edge-4f2a9c1d]" not in stderr


@pytest.mark.parametrize(
    ("offered", "kept"),
    [
        ("7f3e2a1c-9b4d-4e8f-a6c2-1d5b3e7f9a0c", True),  # a UUID
        ("0a1b2c3d4e5f60718293a4b5c6d7e8f9", True),  # nginx's $request_id
        ("short", False),
        ("has spaces in it ok", False),
        ("x" * 65, False),
        ("<script>alert(1)</script>", False),
    ],
)
def test_the_proxys_request_id_is_taken_only_when_it_looks_like_one(client, offered, kept):
    response = client.get("/", headers={"X-Request-ID": offered})
    echoed = response.headers["X-Request-ID"]
    if kept:
        assert echoed == offered
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_every_response_gets_a_fresh_id_and_the_500_page_shows_it(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("internals")

    first, second = client.get("/"), client.get("/")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    failed = client.get("/__boom")
    assert failed.status_code == 500
    assert f"Reference: <code>{failed.headers['X-Request-ID']}</code>" in failed.text
    assert "Reference" not in client.get("/nope").text  # only server errors carry one


def test_in_memory_limits_warn_that_they_count_per_worker(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    for overrides, warned in [
        ({"TESTING": False, "RATELIMIT_ENABLED": True}, True),
        (
            {
                "TESTING": False,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            },
            False,
        ),
        ({"TESTING": True, "RATELIMIT_ENABLED": True}, False),
        ({"TESTING": False, "RATELIMIT_ENABLED": False}, False),
    ]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="blog"):
            warn_about_per_worker_limits(make_test_app(tmp_path, **overrides))
        assert ("counted per worker process" in caplog.text) is warned, overrides
