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
import re
import socket
import ssl
import threading

import pytest
from flask import request
from werkzeug.serving import make_server

from blog.extensions import db
from tests.helpers import free_port, make_test_app
from tests.nginx import HOST, Nginx, check, nginx_binary, render

pytestmark = pytest.mark.slow


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
    result = check(binary, tmp_path, conf)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_in_front_of_the_app(tmp_path, backend):
    binary = nginx_binary()
    backend_port, seen = backend
    http_port, https_port = free_port(), free_port()
    conf = render(tmp_path, backend_port, http_port, https_port, binary)
    nginx = Nginx(binary, tmp_path, conf, [https_port, http_port])
    try:
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
        nginx.stop()
