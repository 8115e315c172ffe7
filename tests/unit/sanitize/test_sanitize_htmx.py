"""No htmx attribute survives the sanitizer, on any tag either allow-list keeps (issue 18).

htmx acts on ``hx-*`` and ``data-hx-*`` attributes wherever they are; a CSP cannot stop it. Every
tag the article and comment allow-lists keep is tried with every htmx attribute form (plain,
``data-`` prefixed, upper case, ``hx-on:`` and ``hx-on::`` handlers), plus htmx's own config meta.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from blog.sanitize import COMMENT_TAGS, POST_TAGS, render_comment, render_post_body

HTMX_ATTRIBUTES = [
    'hx-post="/admin/posts/1/delete"',
    'hx-get="/admin/"',
    'hx-trigger="load"',
    'hx-swap-oob="true"',
    "hx-vals='{\"a\": 1}'",
    'hx-headers=\'{"X-CSRFToken": "x"}\'',
    'hx-on:click="alert(1)"',
    'hx-on::load="alert(1)"',
    'hx-on--load="alert(1)"',
    'data-hx-post="/x"',
    'data-hx-trigger="load"',
    'data-hx-on:click="alert(1)"',
    'HX-GET="/x"',
    'Data-Hx-Get="/x"',
    'hx-boost="true"',
    'hx-disable="false"',
]


class Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.names.extend(name for name, _ in attrs)


def attributes_of(html: str) -> Attributes:
    parser = Attributes()
    parser.feed(html)
    return parser


def markup(tag: str) -> str:
    attributes = " ".join(HTMX_ATTRIBUTES)
    return f'<{tag} href="https://example.org/" src="/x.png" title="t" {attributes}>x</{tag}>'


@pytest.mark.parametrize("tag", sorted(POST_TAGS))
def test_article_bodies_keep_no_htmx_attribute(tag):
    html = render_post_body(markup(tag))
    names = attributes_of(html).names
    assert not [n for n in names if n.lower().startswith(("hx-", "data-hx"))], html


@pytest.mark.parametrize("tag", sorted(COMMENT_TAGS))
def test_comments_keep_no_htmx_attribute(tag):
    html = render_comment(markup(tag))
    names = attributes_of(html).names
    assert not [n for n in names if n.lower().startswith(("hx-", "data-hx"))], html


@pytest.mark.parametrize("render", [render_post_body, render_comment])
def test_no_htmx_config_or_script_from_content(render):
    html = render(
        '<meta name="htmx-config" content=\'{"allowEval": true}\'>'
        '<script src="https://evil.example/x.js"></script>'
        '<template><div hx-get="/x" hx-trigger="load"></div></template>'
        '<form hx-post="/x"><input name="a"></form>'
    )
    tags = attributes_of(html).tags
    assert not {"meta", "script", "template", "form", "input"} & set(tags), html
    assert "hx-" not in html.lower().replace("&lt;", "")
