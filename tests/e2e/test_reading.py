"""A reader in a real browser: home page, follow a link to an article, no CSP violation."""

from __future__ import annotations


def csp_problems(page):
    violations = page.evaluate("window.__cspViolations")
    console = [m for m in page.console_errors if "Content Security Policy" in m]
    return violations + console


def test_read_home_then_article(page):
    page.goto("/")
    assert page.locator(".site-title").inner_text() == "Good News"
    summaries = page.locator("article.post-summary")
    assert summaries.count() >= 3
    title = summaries.first.locator(".entry-title a").inner_text()
    summaries.first.locator(".entry-title a").click()
    page.wait_for_url("**/posts/**")
    assert page.locator("h1.entry-title").inner_text() == title
    assert page.locator(".entry-content p").count() >= 3
    assert page.locator("#comments").is_visible()
    # htmx loaded from our own origin and took the hardened settings from the meta tag.
    config = page.evaluate(
        "({eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags,"
        " cache: htmx.config.historyCacheSize, styles: htmx.config.includeIndicatorStyles})"
    )
    assert config == {"eval": False, "scripts": False, "cache": 0, "styles": False}
    assert csp_problems(page) == []
    assert page.console_errors == []


def test_stylesheet_applies_and_tag_link_works(page):
    page.goto("/")
    # The stylesheet loaded: the skip link is moved off-screen by our CSS.
    box = page.locator(".skip-link").bounding_box()
    assert box is None or box["y"] < 0 or box["width"] <= 1
    page.locator(".tags a").first.click()
    page.wait_for_url("**/tag/**")
    assert page.locator("h1.archive-title").text_content().startswith("Tag:")
    assert csp_problems(page) == []


def test_unknown_page_is_styled_404(page):
    response = page.goto("/posts/does-not-exist")
    assert response.status == 404
    assert page.locator(".error-message h1").inner_text() == "Page not found"
    assert csp_problems(page) == []
