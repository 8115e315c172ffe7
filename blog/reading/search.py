"""Search: /search?q=, a plain first version (issue #23 replaces the engine, in ``matching``).

Words are matched without regard to case in the title and the text of the posts and pages
readers can see. A password-protected one is found by its title only and shows no excerpt;
private ones are never found (``queries.visible_condition`` leaves them out).
"""

from __future__ import annotations

from flask import make_response, render_template, url_for
from sqlalchemy import Select, and_, func, or_, select

from ..models import Post, PostKind
from ..web.params import text_arg
from . import queries
from .views import bp, paginate

# Words looked for at most: every one is a LIKE over the whole table.
MAX_WORDS = 8


def like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def matching(query: str) -> Select:
    """Visible posts and pages holding every word of ``query``, newest first."""
    words = query.split()[:MAX_WORDS]
    conditions = []
    for word in words:
        pattern = like_pattern(word)
        in_title = func.lower(Post.title).like(pattern, escape="\\")
        in_body = and_(Post.password == "", func.lower(Post.body_md).like(pattern, escape="\\"))
        conditions.append(or_(in_title, in_body))
    return (
        select(Post)
        .where(
            Post.kind.in_((PostKind.POST.value, PostKind.PAGE.value)),
            queries.visible_condition(),
            *conditions,
        )
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


@bp.get("/search")
def search():
    query = text_arg("q")
    pagination = paginate(matching(query)) if query.split() else None
    response = make_response(
        render_template(
            "reading/search.html",
            query=query,
            pagination=pagination,
            # Page links keep the query (the listings' page_url keeps only the path's values).
            page_url=lambda number: url_for(".search", q=query, page=number),
        )
    )
    # Whatever anybody typed: not for shared caches, and not for search engines.
    response.headers["X-Robots-Tag"] = "noindex"
    return response
