"""A real WSGI server (gunicorn, waitress) serving the app in a subprocess, for the tests that
need one: tests/integration/operations/test_servers.py and test_nginx_cache.py."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request


class Server:
    """A WSGI server in a subprocess on a free port, its log in a file.

    Flood, too-fast and rate limits are off (every test client comes from 127.0.0.1) and
    moderation is "none", unless ``settings`` (BLOG_* variables) say otherwise."""

    def __init__(
        self,
        command: list[str],
        port: int,
        database_url: str,
        tmp_path,
        settings: dict[str, str] | None = None,
    ):
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update(
            BLOG_INSTANCE_PATH=str(tmp_path / "server-instance"),
            BLOG_SECRET_KEY="server-secret",
            BLOG_SQLALCHEMY_DATABASE_URI=database_url,
            BLOG_COMMENT_FLOOD_SECONDS="0",
            BLOG_COMMENT_MIN_SECONDS="0",
            BLOG_RATELIMIT_ENABLED="false",
            BLOG_COMMENT_MODERATION="none",
        )
        env.update(settings or {})
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = tmp_path / "server.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 45
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/robots.txt", timeout=2).close()
                return
            except urllib.error.HTTPError:
                # Serving: an app that knows only its own host name answers this one 400.
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server did not start:\n{self.output()}") from None
                time.sleep(0.2)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()
