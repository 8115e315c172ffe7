"""Video cards in a real browser (issue #22): nothing is asked of a video site until the reader
clicks (or presses Enter on) a card; then the provider's player comes in a sandboxed iframe,
from youtube-nocookie.com for YouTube, and the CSP lets it in without a violation.

Every request that leaves the test server is recorded and aborted: the test runs without a
network, and "no third-party request before the click" is exactly what is checked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from blog.extensions import db
from blog.models import Post
from blog.sanitize import refresh_post_html
from tests.e2e.helpers import ARTICLE, SLUG

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
VIMEO = "https://vimeo.com/76979871"
NOCOOKIE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
VIMEO_PLAYER = "https://player.vimeo.com/video/76979871"
SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"


def put_videos_in_the_article(live_app) -> None:
    with live_app.app_context():
        post = db.session.query(Post).filter_by(slug=SLUG).one()
        post.body_md = (
            f"A clip from the fair.\n\n{YOUTUBE}\n\nAnd the river.\n\n{VIMEO}\n\nThe end."
        )
        refresh_post_html(post)
        db.session.commit()


def record_outside_requests(page, live_server) -> list[str]:
    """Every request for another host than the test server, aborted; the list of their URLs."""
    local = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        if urlsplit(url).netloc == local:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.context.route("**/*", handle)
    return outside


def csp_problems(page) -> list[str]:
    violations = page.evaluate("window.__cspViolations || []")
    console = [m for m in page.console_errors if "Content Security Policy" in m]
    return violations + console


def test_the_card_loads_nothing_until_clicked(page, live_app, live_server):
    put_videos_in_the_article(live_app)
    outside = record_outside_requests(page, live_server)
    page.goto(ARTICLE)
    page.wait_for_load_state("load")
    cards = page.locator("a.embed-card")
    expect(cards).to_have_count(2)
    youtube = page.locator("figure.embed-youtube a.embed-card")
    expect(youtube).to_contain_text("YouTube")
    expect(youtube).to_contain_text("Video on YouTube")
    expect(youtube).to_contain_text("Play")
    expect(youtube).to_have_attribute("href", YOUTUBE)
    assert page.locator("iframe").count() == 0
    assert page.locator(".entry-content img").count() == 0
    page.wait_for_timeout(300)
    assert outside == []

    youtube.click()
    frame = page.locator("figure.embed-youtube iframe")
    expect(frame).to_have_attribute("src", NOCOOKIE)
    expect(frame).to_have_attribute("sandbox", SANDBOX)
    expect(frame).to_have_attribute("referrerpolicy", "strict-origin-when-cross-origin")
    expect(frame).to_have_attribute("title", "Video on YouTube (YouTube)")
    assert "fullscreen" in frame.get_attribute("allow")
    # The page stayed where it was (the link's own navigation was stopped), and the player was
    # asked for: the CSP let the frame through to the network (where the test aborts it).
    assert page.url.endswith(ARTICLE)
    for _ in range(50):
        if outside:
            break
        page.wait_for_timeout(100)
    assert [urlsplit(url).netloc for url in outside] == ["www.youtube-nocookie.com"]
    # The other card is still a card: one click starts one player.
    expect(page.locator("figure.embed-vimeo a.embed-card")).to_be_visible()
    box = frame.bounding_box()
    assert box and abs(box["width"] / box["height"] - 16 / 9) < 0.05
    assert csp_problems(page) == []


def test_enter_on_a_card_starts_the_player(page, live_app, live_server):
    put_videos_in_the_article(live_app)
    outside = record_outside_requests(page, live_server)
    page.goto(ARTICLE)
    card = page.locator("figure.embed-vimeo a.embed-card")
    card.focus()
    page.keyboard.press("Enter")
    frame = page.locator("figure.embed-vimeo iframe")
    expect(frame).to_have_attribute("src", VIMEO_PLAYER)
    expect(frame).to_have_attribute("sandbox", SANDBOX)
    expect(frame).to_be_focused()
    assert page.url.endswith(ARTICLE)
    assert all(urlsplit(url).netloc == "player.vimeo.com" for url in outside)
    assert page.locator("figure.embed-youtube iframe").count() == 0
    assert csp_problems(page) == []


def test_without_javascript_the_card_is_a_link(new_page, live_app, live_server):
    put_videos_in_the_article(live_app)
    page = new_page(java_script_enabled=False)
    outside = record_outside_requests(page, live_server)
    page.goto(ARTICLE)
    card = page.get_by_role("link", name="YouTube Video on YouTube Play")
    expect(card).to_have_attribute("href", YOUTUBE)
    assert outside == []
    with page.expect_request(lambda request: request.url == YOUTUBE):
        card.click(no_wait_after=True)
    assert page.locator("iframe").count() == 0


def test_cards_and_footnotes_are_accessible(page, live_app, live_server):
    with live_app.app_context():
        post = db.session.query(Post).filter_by(slug=SLUG).one()
        post.body_md = (
            f"A clip from the fair.[^1]\n\n{YOUTUBE}\n\n{VIMEO}\n\nThe end.[^2]\n\n"
            "[^1]: Filmed by the school.\n[^2]: Another note.\n"
        )
        refresh_post_html(post)
        db.session.commit()
    record_outside_requests(page, live_server)
    page.goto(ARTICLE)
    expect(page.locator("a.embed-card")).to_have_count(2)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    ids = page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    # A footnote link jumps to its note, and the note's back link to the reference.
    page.locator(".entry-content sup a").first.click()
    expect(page.locator(".entry-content li:target")).to_contain_text("Filmed by the school.")
    page.locator(".entry-content li:target a").first.click()
    expect(page.locator(".entry-content sup:target")).to_have_count(1)
    assert csp_problems(page) == []
