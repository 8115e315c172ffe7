"""An imported WordPress site's media in a real browser: the pictures load from this site, the
recording and a video recorded in Chromium itself (MediaRecorder, WebM) play, and nothing is
asked of the old site or refused by the Content-Security-Policy."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from blog.transfer.wordpress.importer import import_wxr
from tests.wxr import MEDIA, write_uploads

OLD_HOST = "oldnews.example.org"

# Two seconds of a canvas changing colour, recorded as WebM (VP8) by the browser.
RECORD_WEBM = """async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 180;
  document.body.append(canvas);
  const context = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(25), {mimeType: 'video/webm'});
  const chunks = [];
  recorder.ondataavailable = event => chunks.push(event.data);
  let frame = 0;
  const paint = setInterval(() => {
    context.fillStyle = `hsl(${(frame++ * 12) % 360}, 80%, 50%)`;
    context.fillRect(0, 0, 320, 180);
  }, 40);
  recorder.start(100);
  await new Promise(resolve => setTimeout(resolve, 2000));
  const stopped = new Promise(resolve => { recorder.onstop = resolve; });
  recorder.stop();
  await stopped;
  clearInterval(paint);
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""

# Resolves once the element can tell its size and length (or failed to load).
MEDIA_STATE = """element => new Promise(resolve => {
  const report = () => resolve({ready: element.readyState,
    error: element.error && element.error.code, duration: element.duration,
    width: element.videoWidth || 0});
  if (element.readyState >= 1 || element.error) return report();
  element.addEventListener('loadedmetadata', report);
  element.addEventListener('error', report);
  setTimeout(report, 10000);
})"""


@pytest.fixture
def imported(live_app, page, tmp_path):
    """The media export imported with its uploads folder; its video recorded by Chromium."""
    page.goto("/")
    webm = base64.b64decode(page.evaluate(RECORD_WEBM))
    assert webm[:4] == b"\x1a\x45\xdf\xa3" and len(webm) > 1000
    uploads = write_uploads(tmp_path / "old-site")
    (uploads / "2024/05/swim.mp4").unlink()
    (uploads / "2024/05/swim.webm").write_bytes(webm)
    export = tmp_path / "export.xml"
    text = MEDIA.read_text(encoding="utf-8")
    export.write_text(
        text.replace("swim.mp4", "swim.webm").replace("video/mp4", "video/webm"), "utf-8"
    )
    with live_app.app_context(), export.open("rb") as stream:
        report = import_wxr(stream, uploads=uploads)
        assert report.files_brought == 10, report.lines()
        return {
            number: f"/posts/{slug}"
            for number, slug in db.session.execute(
                select(Post.wp_id, Post.slug).where(Post.wp_id.in_([10, 11, 12, 13, 14]))
            )
        }


def watch_requests(page) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


def test_imported_pictures_and_galleries_load_from_this_site(imported, page):
    asked = watch_requests(page)
    for number in (10, 11, 12, 13):
        page.goto(imported[number])
        pictures = page.locator("article img")
        assert pictures.count() >= 1, imported[number]
        for n in range(pictures.count()):
            picture = pictures.nth(n)
            picture.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete", arg=picture.element_handle())
            assert picture.evaluate("img => img.naturalWidth") > 0, imported[number]
        assert page.locator("article .media-missing").count() == 0
        assert page.evaluate("window.__cspViolations") == []
    assert not [url for url in asked if OLD_HOST in url]
    assert page.console_errors == []


def test_imported_sound_and_browser_recorded_video_play(imported, page):
    asked = watch_requests(page)
    page.goto(imported[14])
    players = page.locator("article audio")
    assert players.count() == 2
    waves = players.first.evaluate(MEDIA_STATE)
    assert waves["error"] is None and waves["ready"] >= 1
    assert abs(waves["duration"] - 2.0) < 0.1  # the two-second tone
    assert players.first.get_attribute("controls") is not None
    assert players.first.get_attribute("autoplay") is None
    video = page.locator("article video")
    assert video.count() == 1 and video.get_attribute("autoplay") is None
    state = video.evaluate(MEDIA_STATE)
    assert state["error"] is None and state["ready"] >= 1 and state["width"] == 320
    # It plays: time moves on.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle())
    assert page.evaluate("window.__cspViolations") == []
    assert not [url for url in asked if OLD_HOST in url]
