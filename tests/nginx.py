"""deploy/nginx.conf, rendered to run here: loopback ports, temporary paths, a test upstream.

Shared by the nginx tests (tests/integration/operations/test_nginx*.py) and the bench's nginx
rows (bench/nginx_rows.py). Only addresses and paths change: every other directive of the sample
is what runs, so the tests and the bench measure the file an operator installs. Each change is
made on the sample's own line and fails when that line is no longer there, rather than run
something else.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
HOST = "blog.example.org"


def find_nginx() -> str | None:
    """Debian puts nginx in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)),
        None,
    )


def nginx_binary() -> str:
    """For tests: skips without nginx, except in CI, where it must be there."""
    import pytest

    found = find_nginx()
    if found:
        return found
    message = "nginx is not installed (apt-get install nginx-light)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; in CI this test may not skip (.ci/run installs it)")
    pytest.skip(message)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    import pytest

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
    """The sample's own line, changed; fails when the sample changed shape."""
    changed, count = re.subn(pattern, new, text, flags=re.M)
    assert count == 1, f"{pattern!r} matched {count} times in deploy/nginx.conf"
    return changed


def render_site(
    folder: Path,
    backend_port: int,
    http_port: int,
    https_port: int,
    tls: tuple[Path, Path] | None,
    extra_locations: str = "",
) -> str:
    """The sample site on loopback. With ``tls`` (certificate, key) the main server keeps its
    "ssl http2" listen parameters; without, it listens for plain HTTP on ``https_port`` (the
    bench: wrk against TLS would measure the handshake, not the cache). ``extra_locations`` go
    into the main server, before its own locations."""
    site = SAMPLE.read_text()
    site = replace_once(
        site, r"^(\s*server )127\.0\.0\.1:8000;", rf"\g<1>127.0.0.1:{backend_port};"
    )
    site = replace_once(site, r"^\s*listen 80;", f"    listen 127.0.0.1:{http_port};")
    site = replace_once(site, r"^\s*listen \[::\]:80;\n", "")  # loopback IPv6 may be missing
    site = replace_once(site, r"^\s*listen \[::\]:443 ssl[^;]*;\n", "")
    if tls is not None:
        cert, key = tls
        # Only the address changes: the sample's own listen parameters are tested.
        site = replace_once(
            site, r"^\s*listen 443 (ssl[^;]*);", rf"    listen 127.0.0.1:{https_port} \g<1>;"
        )
        site = replace_once(site, r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};")
        site = replace_once(site, r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};")
    else:
        site = replace_once(
            site, r"^\s*listen 443 ssl[^;]*;", f"    listen 127.0.0.1:{https_port};"
        )
        site = replace_once(site, r"^\s*ssl_certificate\s+\S+;\n", "")
        site = replace_once(site, r"^\s*ssl_certificate_key\s+\S+;\n", "")
    site = replace_once(
        site, r"^(proxy_cache_path\s+)/var/lib/nginx/goodnews-cache\b", rf"\g<1>{folder / 'cache'}"
    )
    if extra_locations:
        site = replace_once(site, r"^(\s*location / \{)", extra_locations + r"\n\g<1>")
    return site


def main_config(folder: Path, binary: str, site: str, workers: str = "1") -> Path:
    """The site inside a minimal main configuration, its logs and temporary files in folder."""
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
worker_processes {workers};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 1024; }}
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


def render(folder: Path, backend_port: int, http_port: int, https_port: int, binary: str) -> Path:
    """The sample as an operator runs it (HTTPS with a self-signed certificate), on loopback."""
    tls = self_signed_certificate(folder)
    return main_config(
        folder, binary, render_site(folder, backend_port, http_port, https_port, tls)
    )


def check(binary: str, folder: Path, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "-t", "-p", str(folder), "-c", str(conf)], capture_output=True, text=True
    )


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"nginx did not start:\n{log_text}") from None
            time.sleep(0.1)


class Nginx:
    """nginx in the foreground (daemon off) on the rendered configuration; stop() ends it."""

    def __init__(self, binary: str, folder: Path, conf: Path, ports: list[int]):
        self.folder = folder
        self.process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for port in ports:
                wait_for_port(port, self.process, folder / "error.log")
        except BaseException:
            self.stop()
            raise

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
