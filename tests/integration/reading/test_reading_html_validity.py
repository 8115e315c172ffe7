"""The pages H1 added or changed (#21) are valid HTML (the Nu Html Checker, vnu-jar): listings
with sticky, teaser and protected entries, nextpage pages, the password form and its error, a
private post, and the settings page with a time zone error."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from blog.models import PostStatus
from tests.helpers import PASSWORD

VNU_JAR = Path(__file__).resolve().parents[3] / "node_modules/vnu-jar/build/dist/vnu.jar"
HX_ATTRIBUTE = re.compile(
    r"^Attribute “hx-[a-z:-]+” not allowed on element “[a-z0-9]+” at this point\.$"
)


def java_or_skip() -> str:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        message = "The Nu Html Checker needs Java and node_modules/vnu-jar (make assets)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; in CI this test may not skip")
        pytest.skip(message)
    return java


def problems_in(pages: dict[str, str], folder: Path) -> list[str]:
    java = java_or_skip()
    names = {}
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"h1-page-{number:02d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    run = subprocess.run(
        [java, "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"]
        + [str(folder / name) for name in names],
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for message in json.loads(run.stderr)["messages"]:
        if message["type"] == "info" and message.get("subType") != "warning":
            continue
        if HX_ATTRIBUTE.match(message["message"]):
            continue
        page = names.get(message.get("url", "?").rsplit("/", 1)[-1], "?")
        found.append(f"{page}, line {message.get('lastLine', '?')}: {message['message']}")
    return found


def test_reading_pages_of_this_part_are_valid_html(app, client, make, tmp_path):
    make.author("edith", role="editor", display_name="Edith")
    make.post("Pinned", sticky=True, summary="")
    split = make.post(
        "Split",
        summary="",
        body_md="Teaser **bold**.\n\n<!--more-->\n\nRest.\n\n<!--nextpage-->\n\nTwo.",
    )
    locked = make.post("Locked", password="pw", body_md="Secret.")
    private = make.post("Hidden", status=PostStatus.PRIVATE.value)

    def get(url, status=200, method="get", **kwargs):
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, url
        return response.get_data(as_text=True)

    pages = {
        "home (sticky, teaser, protected)": get("/"),
        "split post, page 1": get(f"/posts/{split.slug}"),
        "split post, page 2": get(f"/posts/{split.slug}/2"),
        "locked post": get(f"/posts/{locked.slug}"),
        "wrong password": get(
            f"/posts/{locked.slug}/unlock", 403, method="post", data={"password": "no"}
        ),
    }
    client.post(f"/posts/{locked.slug}/unlock", data={"password": "pw"})
    pages["unlocked post"] = get(f"/posts/{locked.slug}")
    client.post("/admin/login", data={"username": "edith", "password": PASSWORD})
    pages["private post, for an editor"] = get(f"/posts/{private.slug}")
    client.post("/admin/logout")
    make.author("owner", display_name="Owner")
    client.post("/admin/login", data={"username": "owner", "password": PASSWORD})
    pages["settings, bad time zone"] = get(
        "/admin/settings",
        422,
        method="post",
        data={"site_title": "Good News", "posts_per_page": "10", "timezone": "Nowhere/Land"},
    )
    assert problems_in(pages, tmp_path) == []
