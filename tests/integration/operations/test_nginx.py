"""deploy/nginx.conf runs on the nginx Debian ships (issue 18, finding 5).

The sample said ``http2 on;``, a directive of nginx 1.25.1 and later: Debian 12's nginx 1.22
refused the whole file ("unknown directive"). The file is rendered for a test (loopback ports, a
self-signed certificate, the upstream pointed at a test server, temporary paths), checked with
``nginx -t``, then started in front of the app: HTTPS with HTTP/2, the redirect from port 80, the
forwarded headers the app trusts, request ids and compression.

Without nginx these tests skip with the reason, except in CI, where they must run
(``command -v nginx || apt-get install -y nginx-light`` in .ci/run).
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from flask import request
from werkzeug.serving import make_server

from blog.extensions import db
from tests.helpers import free_port, make_test_app

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "nginx.conf"
HOST = "blog.example.org"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)),
        None,
    )
    if found:
        return found
    message = "nginx is not installed (apt-get install nginx-light)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; in CI this test may not skip (.ci/run installs it)")
    pytest.skip(message)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed for a test certificate")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def replace_once(text: str, pattern: str, new: str) -> str:
    """The sample's own line, changed for the test; fails when the sample changed shape."""
    changed, count = re.subn(pattern, new, text, flags=re.M)
    assert count == 1, f"{pattern!r} matched {count} times in deploy/nginx.conf"
    return changed


def render(folder: Path, backend_port: int, http_port: int, https_port: int, binary: str) -> Path:
    """deploy/nginx.conf inside a minimal main configuration, on loopback and temporary paths."""
    cert, key = self_signed_certificate(folder)
    site = SAMPLE.read_text()
    site = replace_once(
        site, r"^(\s*server )127\.0\.0\.1:8000;", rf"\g<1>127.0.0.1:{backend_port};"
    )
    site = replace_once(site, r"^\s*listen 80;", f"    listen 127.0.0.1:{http_port};")
    site = replace_once(site, r"^\s*listen \[::\]:80;\n", "")  # loopback IPv6 may be missing
    # Only the address changes: the sample's own listen parameters and directives are tested.
    site = replace_once(
        site, r"^\s*listen 443 (ssl[^;]*);", rf"    listen 127.0.0.1:{https_port} \g<1>;"
    )
    site = replace_once(site, r"^\s*listen \[::\]:443 ssl[^;]*;\n", "")
    site = replace_once(site, r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};")
    site = replace_once(site, r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};")
    (folder / "site.conf").write_text(site)
    built = subprocess.run([binary, "-V"], capture_output=True, text=True).stderr
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        if f"--without-http_{kind}_module" not in built
    )
    main = f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    types {{ text/html html; }}
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp_paths}
    include {folder / "site.conf"};
}}
"""
    conf = folder / "nginx.conf"
    conf.write_text(main)
    return conf


@pytest.fixture
def backend(tmp_path, monkeypatch):
    """The app as the unit runs it behind one proxy, served by werkzeug on a free port."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = make_test_app(tmp_path, TRUSTED_PROXIES=1, TRUSTED_HOSTS=[HOST])
    seen: dict = {}

    @app.get("/__whoami")
    def whoami():
        seen.update(ip=request.remote_addr, scheme=request.scheme, host=request.host)
        return "<!doctype html><title>x</title>" + "<p>good news, compressed</p>" * 200

    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, seen
    server.shutdown()
    thread.join(5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def test_the_sample_passes_nginx_t(tmp_path):
    binary = nginx_binary()
    conf = render(tmp_path, free_port(), free_port(), free_port(), binary)
    result = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = log.read_text(errors="replace")
                raise RuntimeError(f"nginx did not start:\n{log_text}") from None
            time.sleep(0.1)


def test_nginx_in_front_of_the_app(tmp_path, backend):
    binary = nginx_binary()
    backend_port, seen = backend
    http_port, https_port = free_port(), free_port()
    conf = render(tmp_path, backend_port, http_port, https_port, binary)
    process = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(https_port, process, tmp_path / "error.log")
        wait_for_port(http_port, process, tmp_path / "error.log")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

        # HTTP/2 is on: the TLS handshake agrees on h2.
        context.set_alpn_protocols(["h2", "http/1.1"])
        with (
            socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=HOST) as tls,
        ):
            assert tls.selected_alpn_protocol() == "h2"

        # Port 80 sends everyone to HTTPS.
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/posts/x?a=1", headers={"Host": HOST})
        moved = plain.getresponse()
        assert moved.status == 301
        assert moved.getheader("Location") == f"https://{HOST}/posts/x?a=1"
        plain.close()

        # A client forging X-Forwarded-For: the app takes the address nginx saw, https, the host.
        context.set_alpn_protocols(["http/1.1"])
        tls = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
        forged = {
            "Host": HOST,
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "evil.example",
            "Accept-Encoding": "gzip",
        }
        tls.request("GET", "/__whoami", headers=forged)
        answer = tls.getresponse()
        body = answer.read()
        assert answer.status == 200, body[:500]
        assert seen == {"ip": "127.0.0.1", "scheme": "https", "host": HOST}
        assert re.fullmatch(r"[0-9a-f]{32}", answer.getheader("X-Request-ID") or "")
        assert answer.getheader("Content-Encoding") == "gzip"
        assert b"good news, compressed" in gzip.decompress(body)
        tls.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
