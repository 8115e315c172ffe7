"""Pages read once and in order: headings that fit the state, one error wording per form, dates
in one format, and the markup fixes the HTML checker asked for, as readers and authors meet them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, now_utc
from tests.helpers import HX, fields
from tests.helpers import post_form as form

AWAITING = "Your comment is awaiting moderation."


@pytest.fixture(autouse=True)
def _rules(app):
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0, RATELIMIT_ENABLED=False)


def heading(html: str) -> str:
    found = re.search(r'<h2 id="comments-title"[^>]*>(.*?)</h2>', html, re.S)
    return found.group(1).strip()


def test_poster_of_a_held_comment_sees_no_no_comments_yet(app, client, make):
    post = make.post("Quiet news")
    posted = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    # The htmx answer sends the heading again out of band: it fits the held comment too.
    assert heading(posted.get_data(as_text=True)) == "Comments"
    mine = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert heading(mine) == "Comments"
    assert "No comments yet" not in mine
    # Shown once on the screen: on the comment. The live region starts empty and is hidden.
    assert mine.count(AWAITING) == 1
    assert 'class="form-status visually-hidden" role="status"' in mine
    stranger = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert heading(stranger) == "No comments yet"


def test_the_htmx_status_line_is_for_screen_readers_only(client, make):
    post = make.post("Quiet news")
    posted = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    html = posted.get_data(as_text=True)
    # The live region (visually hidden on the page) says it, and the comment says it on screen.
    assert f'<div id="comment-status" hx-swap-oob="innerHTML">{AWAITING}</div>' in html
    assert html.count(f'<p class="awaiting-moderation">{AWAITING}</p>') == 1


def test_every_comment_has_a_heading_and_replies_say_whom_they_answer(client, make):
    post = make.post("Thread news")
    parent = make.comment(post, author_name="Ana")
    parent.root_id = parent.id
    db.session.commit()
    names = ["Ben", "Cai", "Dee"]
    for depth, name in enumerate(names, start=1):
        parent = make.comment(
            post, author_name=name, parent=parent, depth=depth, root_id=parent.root_id
        )
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    for name in ["Ana", *names]:
        assert f'<span class="visually-hidden">Comment by </span>{name}</h3>' in html
    # Dee (level 4) sits at the second indent on a phone: the page says whom she answers.
    assert 'class="in-reply-to in-reply-to-flattened">in reply to Cai</span>' in html
    assert html.count("in-reply-to-flattened") == 1
    # A comment without replies has an empty list, which CSS can hide with :empty.
    assert re.search(r'<ol id="children-\d+" class="children"></ol>', html)


def test_unknown_path_has_no_empty_canonical_link(client, make):
    html = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in html
    assert 'rel="canonical"' not in html
    assert 'property="og:url"' not in html
    post = make.post("Known")
    article = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'<meta property="og:url" content="http://localhost/posts/{post.slug}">' in article


def test_the_error_box_has_one_lead_sentence(client, make):
    post = make.post("Thread news")
    data = fields(client, post, author="", email="nope")
    html = client.post(f"/posts/{post.slug}/comments", data=data).get_data(as_text=True)
    box = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert box.count("<p") == 1 and "Please check these fields:" in box


def test_admin_error_box_has_one_lead_sentence(admin, client):
    admin.login()
    html = client.post("/admin/posts/new", data=form(title="")).get_data(as_text=True)
    box = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert box.count("<p") == 1
    assert "Please correct the marked fields." in box
    assert "Please check" not in box


def test_publish_date_is_iso_in_the_field_and_the_hint(admin, client):
    admin.login()
    later = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = form(action="schedule", publish_at=later.strftime("%Y-%m-%d %H:%M"))
    response = client.post("/admin/posts/new", data=data)
    assert response.status_code == 303
    post = db.session.scalars(select(Post)).one()
    assert post.status == "scheduled" and post.published_at.replace(tzinfo=None) == later.replace(
        tzinfo=None
    )
    html = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    field = re.search(r'<input id="publish_at"[^>]*>', html, re.S).group(0)
    assert 'type="text"' in field and 'placeholder="YYYY-MM-DD HH:MM"' in field
    assert f'value="{later:%Y-%m-%d %H:%M}"' in field
    assert "YYYY-MM-DD HH:MM, in the site&rsquo;s time zone (UTC;" in html


def test_dashboard_rows_belong_to_a_bulk_form(admin, client, make):
    admin.login()
    post = make.post("Thread news")
    pending = make.comment(post, status="pending", body="Needs a look")
    html = client.get("/admin/").get_data(as_text=True)
    assert '<form id="bulk-form"' in html
    assert f'value="{pending.id}" form="bulk-form"' in html
    response = client.post(
        "/admin/comments/bulk", data={"action": "approve", "ids": [pending.id], "back": "/admin/"}
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/admin/")
    db.session.refresh(pending)
    assert pending.status == "approved"


def test_no_js_reply_and_edit_pages_use_a_one_column_table(admin, client, make):
    admin.login()
    post = make.post("Thread news")
    comment = make.comment(post, status="pending")
    for url in (f"/admin/comments/{comment.id}/reply", f"/admin/comments/{comment.id}/edit"):
        html = client.get(url).get_data(as_text=True)
        assert "colspan" not in html
    # In the list, the inline editor still spans the six columns.
    inline = client.get(f"/admin/comments/{comment.id}/reply", headers=HX)
    assert 'colspan="6"' in inline.get_data(as_text=True)
