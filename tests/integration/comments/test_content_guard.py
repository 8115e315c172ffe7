"""Every element that holds an article's body carries hx-disable (issue 18, finding 4).

Comment bodies have had it (test_comment_security.py); the article body and the editor's live
preview now have it too, so markup that reached the stored HTML some other way cannot drive htmx.
The browser proof is tests/e2e/test_hx_disable.py.
"""

from __future__ import annotations

import re

from blog.extensions import db
from blog.sanitize import POST_RENDER_VERSION

FORCED = '<button hx-post="/admin/posts/1/delete" hx-trigger="load">x</button>'


def test_the_article_body_is_inside_hx_disable(client, make):
    post = make.post("Guarded")
    post.body_html = "<p>Body.</p>" + FORCED  # as if the cache had been written around us
    post.body_render_version = POST_RENDER_VERSION
    db.session.commit()
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    holder = re.search(r'<div class="entry-content" hx-disable>(.*?)</div>', html, re.S)
    assert holder is not None
    assert FORCED in holder.group(1)
    assert html.count(FORCED) == 1


def test_the_editor_preview_is_inside_hx_disable(admin, client):
    admin.login()
    response = client.post("/admin/posts/preview", data={"body": "Some *text*."})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.fullmatch(r"\s*<div hx-disable>.*</div>\s*", html, re.S), html
