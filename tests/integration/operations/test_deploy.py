"""The sample deployment files agree with each other and with what the app trusts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from flask import request

from tests.helpers import make_test_app

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
# ProxyFix as blog.trust_proxies sets it up: these headers are believed, one value per proxy.
TRUSTED = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


def nginx_headers() -> dict[str, str]:
    text = (DEPLOY / "nginx.conf").read_text()
    return {
        name.lower(): value
        for name, value in re.findall(r"^\s*proxy_set_header\s+(\S+)\s+(.+?);", text, re.M)
    }


def unit_environment(name: str) -> dict[str, str]:
    text = (DEPLOY / name).read_text()
    return dict(re.findall(r"^Environment=(\w+)=(\S*)$", text, re.M))


def gunicorn_command() -> list[str]:
    text = (DEPLOY / "goodnews.service").read_text()
    return shlex.split(re.search(r"^ExecStart=(.+)$", text, re.M).group(1))


def test_nginx_sets_every_forwarded_header_the_app_trusts_and_no_other():
    forwarded = {name for name in nginx_headers() if name.startswith("x-forwarded-")}
    # A trusted header nginx did not set would pass through from the client, forged.
    assert forwarded == TRUSTED
    assert nginx_headers()["x-forwarded-for"] == "$proxy_add_x_forwarded_for"
    assert unit_environment("goodnews.service")["BLOG_TRUSTED_PROXIES"] == "1"  # one nginx


def test_nginx_passes_to_the_port_gunicorn_binds():
    upstream = re.search(
        r"upstream goodnews \{\s*server (\S+);", (DEPLOY / "nginx.conf").read_text()
    )
    command = gunicorn_command()
    assert command[command.index("--bind") + 1] == upstream.group(1)
    assert command[-1] == "blog.wsgi:app"
    assert command[command.index("--workers") + 1] == "4"


def test_the_app_behind_the_sample_proxy_sees_the_real_client(tmp_path, monkeypatch):
    """A request as nginx forwards it: the client forged its own X-Forwarded-For; nginx appended
    the real address. The app takes the address nginx saw, the https scheme and the host."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    hops = int(unit_environment("goodnews.service")["BLOG_TRUSTED_PROXIES"])
    app = make_test_app(tmp_path, TRUSTED_PROXIES=hops)
    seen = {}

    @app.get("/__whoami")
    def whoami():
        seen.update(ip=request.remote_addr, scheme=request.scheme, host=request.host)
        return "ok"

    filled = {
        "$proxy_add_x_forwarded_for": "6.6.6.6, 203.0.113.9",
        "$scheme": "https",
        "$host": "blog.example.org",
        "$request_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    }
    headers = {name: filled[value] for name, value in nginx_headers().items() if value in filled}
    response = app.test_client().get(
        "/__whoami", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert response.status_code == 200
    assert seen == {"ip": "203.0.113.9", "scheme": "https", "host": "blog.example.org"}
    assert response.headers["X-Request-ID"] == filled["$request_id"]


def test_the_mail_worker_unit_runs_send_mail_and_the_web_unit_leaves_mail_to_it():
    assert unit_environment("goodnews.service")["BLOG_MAIL_SENDER_IN_PROCESS"] == "false"
    text = (DEPLOY / "goodnews-mail.service").read_text()
    assert re.search(r"^ExecStart=\S+/flask --app blog send-mail$", text, re.M)
