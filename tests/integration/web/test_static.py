"""Static files: hashed names in pages, a year immutable, compressed, never stale on release."""

from __future__ import annotations

import gzip
import multiprocessing
import re
from pathlib import Path

import brotli
from whitenoise import WhiteNoise

from blog.web.assets import build

REPO = Path(__file__).resolve().parents[3]
HASHED_CSS = re.compile(r'href="(/static/css/blog\.([0-9a-f]{12})\.css)"')


def fetch(client, url, **kwargs):
    """The response, read whole and closed (a file response left open warns)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


def stylesheet(client) -> tuple[str, str]:
    found = HASHED_CSS.search(client.get("/").get_data(as_text=True))
    assert found, "the page links the stylesheet under its hashed name"
    return found.group(1), found.group(2)


def test_pages_link_hashed_names_served_immutable_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'src="/static/vendor/htmx-2[.0-9]+\.min\.[0-9a-f]{12}\.js"', html)
    assert re.search(r'src="/static/js/blog\.[0-9a-f]{12}\.js"', html)
    url, _ = stylesheet(client)
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.data == (REPO / "static/css/blog.css").read_bytes()
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "no-cache" not in cache
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_compressed_when_the_browser_accepts_it(client):
    url, _ = stylesheet(client)
    original = (REPO / "static/css/blog.css").read_bytes()
    plain = fetch(client, url)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    zipped = fetch(client, url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == original
    assert len(zipped.data) < len(original) / 2
    squeezed = fetch(client, url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == original


def test_another_releases_hash_is_not_found_and_plain_names_revalidate(client):
    url, digest = stylesheet(client)
    assert fetch(client, url.replace(digest, "0123456789ab")).status_code == 404
    plain = fetch(client, "/static/css/blog.css")
    assert plain.status_code == 200
    assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_name_and_a_new_folder(tmp_path):
    static = tmp_path / ".venv" / "static"  # a wheel installed in a dotted virtualenv
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: black; }\n" * 50)
    (static / ".hidden").write_text("not served")
    first, first_folder = build(static, tmp_path / "cache")
    assert set(first) == {"css/site.css"}
    assert (first_folder / first["css/site.css"]).read_text().startswith("body")
    assert (first_folder / (first["css/site.css"] + ".gz")).exists()
    assert (first_folder / (first["css/site.css"] + ".br")).exists()
    (static / "css" / "site.css").write_text("body { color: navy; }\n" * 50)
    second, second_folder = build(static, tmp_path / "cache")
    assert second["css/site.css"] != first["css/site.css"]
    assert second_folder != first_folder
    assert not (second_folder / first["css/site.css"]).exists()  # old names are not served
    again, again_folder = build(static, tmp_path / "cache")  # a second worker: same answer
    assert (again, again_folder) == (second, second_folder)


def start_like_a_worker(static: str, cache: str, barrier, results) -> None:
    """What each gunicorn worker does at start (no --preload): build, then WhiteNoise lists."""
    try:
        barrier.wait(timeout=30)
        _, folder = build(Path(static), Path(cache))
        WhiteNoise(None, root=str(folder))  # lists every file of the folder, as init_app does
        results.put(
            ("ok", sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")))
        )
    except Exception as error:  # the parent reports it
        results.put(("failed", repr(error)))


def test_workers_starting_at_once_each_find_the_folder_whole(tmp_path):
    """A worker listing the folder while another still wrote into it failed on a half-written
    file (CI, the outbox's parallel senders). Each round starts six workers on a new release."""
    context = multiprocessing.get_context("fork")
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    for round_number in range(5):
        for index in range(20):
            (static / "css" / f"part{index}.css").write_text(f"p{round_number} {{}}\n" * 400)
        barrier, results = context.Barrier(6), context.Queue()
        workers = [
            context.Process(
                target=start_like_a_worker,
                args=(str(static), str(tmp_path / "cache"), barrier, results),
            )
            for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert all(status == "ok" for status, _ in outcomes), outcomes
        assert len({tuple(files) for _, files in outcomes}) == 1  # all saw the same whole folder
        assert ".complete" in outcomes[0][1] and len(outcomes[0][1]) == 2 + 20 * 3
    leftovers = [path.name for path in (tmp_path / "cache").iterdir() if path.name.startswith(".")]
    assert leftovers == []  # no building folder is left behind
