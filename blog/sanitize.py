"""The one place where markup is made and marked safe.

Everything a person types is stored as source text; this module turns it into HTML through
bleach allow-lists and is the only module that wraps HTML in ``Markup``. bleach is in maintenance
mode, so it stays behind these functions and could be swapped for another sanitizer here alone.
"""

from __future__ import annotations

import markdown
from bleach.sanitizer import Cleaner
from markupsafe import Markup

# Bump when the allow-lists or the Markdown set-up change: cached HTML with an older version is
# rendered again from its source text.
POST_RENDER_VERSION = 1

POST_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
        "a", "img", "strong", "b", "em", "i", "s", "del", "code", "pre", "kbd",
        "blockquote", "q", "cite", "abbr", "sup", "sub",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tr", "th", "td", "caption",
    }
)  # fmt: skip
POST_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _post_attribute_allowed(tag: str, name: str, value: str) -> bool:
    allowed = {
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "width", "height"},
        "abbr": {"title"},
        "blockquote": {"cite"},
        "q": {"cite"},
        "th": {"align"},
        "td": {"align"},
        "ol": {"start"},
    }
    if name in allowed.get(tag, ()):
        return True
    # Fenced code blocks mark their language as class="language-xyz"; nothing else gets a class.
    return tag == "code" and name == "class" and value.startswith("language-")


def _markdown_to_html(source: str) -> str:
    return markdown.markdown(
        source,
        extensions=["fenced_code", "tables", "sane_lists"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def render_post_body(source: str) -> str:
    """Markdown source of an article -> sanitized HTML string (to be cached on the post)."""
    # A Cleaner is not thread-safe, so each call builds its own.
    cleaner = Cleaner(
        tags=POST_TAGS,
        attributes=_post_attribute_allowed,
        protocols=POST_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return cleaner.clean(_markdown_to_html(source))


def post_body(post) -> Markup:
    """The article body as safe markup, from the cache when it is current."""
    if post.body_render_version == POST_RENDER_VERSION and post.body_html:
        return Markup(post.body_html)  # noqa: S704 - produced by render_post_body
    return Markup(render_post_body(post.body_md))  # noqa: S704 - sanitized just now


def refresh_post_html(post) -> None:
    """Recompute the cached HTML of a post from its Markdown source."""
    post.body_html = render_post_body(post.body_md)
    post.body_render_version = POST_RENDER_VERSION
