"""Search: /search?q= over the visible posts' and pages' titles, text and tags, and the approved
comments under them (engine: search_index.py, SQLite FTS5 or PostgreSQL full text).

A password-protected post is found by its title only and shows no excerpt; private posts, drafts
and held comments are never found. The page serves htmx too: the header's box asks for the
results fragment as the reader types; without JavaScript the same form submits to the same page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination

from ..sanitize import comment_body, post_text_excerpt
from ..settings import site_config
from ..web.htmx import render_page_or_fragment
from ..web.params import MAX_PAGE, int_arg, text_arg
from ..web.urls import article_url
from . import search_index
from .views import bp, per_page_arg

# A whole body is read back as text to cut its excerpt: bounded by the first page anyway.
EXCERPT_SOURCE_WORDS = 100_000


@dataclass
class Result:
    url: str
    title: list[tuple[str, bool]]
    excerpt: list[tuple[str, bool]]
    post: object
    comment: object | None


class Results(Pagination):
    """One page of results, with the page numbers the listings' pagination shows."""

    def __init__(self, query: search_index.Query, **kwargs):
        self.search_query = query
        self.capped = False  # only the newest matches were ranked (search_index.MATCH_CAP)
        super().__init__(**kwargs)

    def _query_items(self):
        found = search_index.count_and_page(self.search_query, self.per_page, self._query_offset)
        self._total, self.capped = found.total, found.capped
        return found.hits

    def _query_count(self) -> int:
        return self._total


def result(hit: search_index.Hit, words: list[str]) -> Result:
    post, comment = hit.post, hit.comment
    if comment is not None:
        return Result(
            url=url_for("comments.goto", comment_id=comment.id),
            title=search_index.highlight(
                _("Comment by %(name)s on %(title)s", name=comment.author_name, title=post.title),
                [],
            ),
            excerpt=search_index.highlight(comment_body(comment).striptags(), words),
            post=post,
            comment=comment,
        )
    title = ("Protected: " if post.password else "") + post.title
    excerpt = (
        []
        if post.password
        else search_index.highlight(post_text_excerpt(post, EXCERPT_SOURCE_WORDS), words)
    )
    # The title is shown as it is (it says what the result is); the excerpt shows the matches.
    return Result(article_url(post), search_index.highlight(title, []), excerpt, post, None)


@bp.get("/search")
def search():
    query = text_arg("q")[: search_index.MAX_QUERY]
    parsed = search_index.parse(query)
    pagination = None
    results: list[Result] = []
    if query.split():
        pagination = Results(
            parsed,
            page=int_arg("page", 1, minimum=1, maximum=MAX_PAGE),
            per_page=per_page_arg(),
            max_per_page=site_config()["MAX_POSTS_PER_PAGE"],
            error_out=True,
            count=True,
        )
        results = [result(hit, parsed.words) for hit in pagination.items]
    response = render_page_or_fragment(
        "reading/search.html",
        "reading/_search_results.html",
        query=query,
        pagination=pagination,
        results=results,
        # Page links keep the query (the listings' page_url keeps only the path's values).
        page_url=lambda number: url_for(".search", q=query, page=number),
    )
    # Whatever anybody typed: not for search engines.
    response.headers["X-Robots-Tag"] = "noindex"
    return response
