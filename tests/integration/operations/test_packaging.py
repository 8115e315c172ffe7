"""The wheel carries the top-level templates/ and static/ folders, so WSGI hosts find them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_wheel_contains_templates_static_and_migrations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "blog/__init__.py" in names
    assert "blog/templates/base.html" in names
    assert "blog/templates/reading/post.html" in names
    assert "blog/static/css/blog.css" in names
    assert any(n.startswith("blog/static/vendor/htmx-2.") for n in names)
    assert "blog/migrations/env.py" in names
    assert any(n.startswith("blog/migrations/versions/0001") for n in names)
    assert not any(n.startswith("blog/instance") or n.endswith(".sqlite") for n in names)
