"""Lighthouse (npm lighthouse, pinned in package.json) on an article with a featured picture and
a gallery of six real pictures: performance and accessibility both score 100.

Lighthouse drives Debian's Chromium itself (CHROME_PATH) against the live test server, with its
default mobile emulation and simulated throttling. Like every browser test it skips locally
when Chromium or node_modules is missing, saying why, and never skips in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_media_reading import add_media_article

LIGHTHOUSE = Path(__file__).resolve().parents[2] / "node_modules/.bin/lighthouse"


def lighthouse_command() -> list[str]:
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not LIGHTHOUSE.exists():
        missing.append(f"{LIGHTHOUSE} (make assets runs npm ci)")
    node = shutil.which("node")
    if node is None:
        missing.append("node")
    if missing:
        message = "Lighthouse needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; in CI this test may not skip")
        pytest.skip(message)
    return [node, str(LIGHTHOUSE)]


def lighthouse(command: list[str], url: str, folder: Path) -> dict:
    """One Lighthouse run's report (JSON)."""
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    report_path = folder / "report.json"
    run = subprocess.run(
        [
            *command,
            url,
            "--only-categories=performance,accessibility",
            "--output=json",
            f"--output-path={report_path}",
            "--quiet",
            f"--chrome-flags={flags}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["lighthouseVersion"] == "12.2.3"
    assert report.get("runtimeError") is None, report["runtimeError"]
    return report


def below_full_marks(report: dict) -> dict[str, str]:
    """The audits that cost points, with what Lighthouse measured: the message on failure."""
    return {
        audit_id: audit.get("displayValue") or audit["title"]
        for audit_id, audit in report["audits"].items()
        if audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
        and audit.get("score") is not None
        and audit["score"] < 1
    }


# Lighthouse's performance score varies from run to run with the machine's load (its simulated
# throttling scales the main-thread work it observes); its documentation advises several runs
# and no other work on the machine ("client resource contention"). CI's failed run had three
# runs at 99 while the PostgreSQL pass used the other core: make test runs this test alone, after
# both passes. A run at 100 ends the test; a page that cannot reach 100 fails after the third.
RUNS = 3


@pytest.mark.alone
def test_an_article_with_a_gallery_scores_100(live_server, tmp_path):
    command = lighthouse_command()
    url = live_server.url + add_media_article(live_server.app, players=False)
    results = []
    for _ in range(RUNS):
        report = lighthouse(command, url, tmp_path)
        scores = {name: category["score"] for name, category in report["categories"].items()}
        results.append((scores, below_full_marks(report)))
        if scores == {"performance": 1.0, "accessibility": 1.0}:
            break
    assert results[-1][0] == {"performance": 1.0, "accessibility": 1.0}, results
