"""Every page type, in every state a reader or an author meets, is valid HTML.

The pages are made with the test client, written to files and checked by the Nu Html Checker
(the W3C validator, npm package vnu-jar) in one Java run, which reads them all (a start of the
JVM costs seconds; one page more costs almost nothing). Two kinds of message are left out on
purpose, and nothing else:

- htmx's ``hx-*`` attributes (and ``hx-disable``): the checker does not know them. They stay
  as they are, htmx's documented spelling; the README says why.
- informational messages ("info"); warnings count like errors.

Java is needed: locally the test skips without it (saying why); in CI (.ci/run installs Debian's
default-jre-headless) it never skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.mail.notify import moderation_token
from blog.models import Comment, now_utc
from tests.helpers import fields

VNU_JAR = Path(__file__).resolve().parents[3] / "node_modules/vnu-jar/build/dist/vnu.jar"
HX_ATTRIBUTE = re.compile(
    r"^Attribute “hx-[a-z:-]+” not allowed on element “[a-z0-9]+” at this point\.$"
)


def java_and_checker() -> str:
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("Java (apt-get install default-jre-headless; .ci/run does)")
    if not VNU_JAR.exists():
        missing.append(f"{VNU_JAR} (make assets runs npm ci)")
    if missing:
        message = "The Nu Html Checker needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; in CI this test may not skip")
        pytest.skip(message)
    return java


def check(pages: dict[str, str], folder: Path) -> list[str]:
    """Nu checker messages for every page, except the hx-* attributes, as readable lines."""
    java = java_and_checker()
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"page-{number:02d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    run = subprocess.run(
        [java, "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"]
        + [str(folder / file_name) for file_name in files],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(run.stderr)
    problems = []
    for message in report["messages"]:
        if message["type"] == "info" and message.get("subType") != "warning":
            continue
        if HX_ATTRIBUTE.match(message["message"]):
            continue
        url = message.get("url", "?")
        page = files.get(url.rsplit("/", 1)[-1], url)
        line = message.get("lastLine", "?")
        kind = message.get("subType") or message["type"]  # "error", "fatal" or "warning"
        problems.append(f"{page}, line {line}: {kind}: {message['message']}")
    return problems


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_every_page_type_is_valid_html(app, client, make, admin, tmp_path):
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0, RATELIMIT_ENABLED=False)
    tag = make.tag("Science")
    post = make.post(
        "Thread news",
        tags=[tag],
        body_md='"Quotes" -- dashes --- and a [link](https://example.org).\n\n## Part\n\n- one',
    )
    quiet = make.post("Quiet news")
    closed = make.post("Old news", comments_open=False)
    first = make.comment(post, author_name="Ana", author_url="https://example.org/ana")
    first.root_id = first.id
    parent = first
    for depth, name in enumerate(("Ben", "Cai", "Dee", "Eli", "Fay", "Gus"), start=1):
        parent = make.comment(post, author_name=name, parent=parent, depth=depth, root_id=first.id)
    db.session.commit()
    pending = make.comment(
        quiet, author_name="Held", status="pending", moderation_reason="First comment."
    )
    pending.root_id = pending.id
    db.session.commit()
    published = post.published_at
    month = f"/archive/{published.year}/{published.month}"

    pages = {
        "home": get(client, "/"),
        "home, page 2 (none)": get(client, "/?page=2", 404),
        "article with a deep thread": get(client, f"/posts/{post.slug}"),
        "article without comments": get(client, f"/posts/{quiet.slug}"),
        "article with comments closed": get(client, f"/posts/{closed.slug}"),
        "reply in place (?replytocom)": get(client, f"/posts/{post.slug}?replytocom={first.id}"),
        "tag": get(client, f"/tag/{tag.slug}/"),
        "archive": get(client, month),
        "404 for an unknown path": get(client, "/no/such/page", 404),
        "404 for an unknown article": get(client, "/posts/no-such-article", 404),
    }
    errors = client.post(f"/posts/{post.slug}/comments", data=fields(client, post, email="x"))
    assert errors.status_code == 422
    pages["article with form errors"] = errors.get_data(as_text=True)

    reader = app.test_client()
    posted = reader.post(f"/posts/{quiet.slug}/comments", data=fields(reader, quiet))
    assert posted.status_code == 303
    pages["article with the visitor's own held, editable comment"] = get(
        reader, f"/posts/{quiet.slug}"
    )
    own = db.session.scalars(select(Comment).where(Comment.author_name == "Rosa Reader")).one()
    pages["editing one's comment without JavaScript"] = get(reader, f"/comments/{own.id}/edit")
    own.created_at = now_utc() - timedelta(days=1)
    db.session.commit()
    pages["article with the visitor's own comment, no longer editable"] = get(
        reader, f"/posts/{quiet.slug}"
    )

    token = moderation_token(pending, "approve")
    pages["confirm a moderation link from an email"] = get(client, f"/moderate/{token}")
    done = client.post(f"/moderate/{token}")
    assert done.status_code == 200
    pages["moderation link, done"] = done.get_data(as_text=True)
    pages["moderation link, already used"] = get(client, f"/moderate/{token}", 410)
    pending.status = "pending"
    db.session.commit()

    typed = fields(reader, closed)
    pages["comments closed while typing, text kept"] = reader.post(
        f"/posts/{closed.slug}/comments", data=typed
    ).get_data(as_text=True)
    gone = make.post("Soon a draft")
    typed = fields(reader, gone)
    gone.status = "draft"
    db.session.commit()
    answer = reader.post(f"/posts/{gone.slug}/comments", data=typed)
    assert answer.status_code == 410
    pages["article gone while typing, text given back"] = answer.get_data(as_text=True)

    pages["log in"] = get(client, "/admin/login")
    bad_login = client.post("/admin/login", data={"username": "editor", "password": "wrong"})
    pages["log in, wrong password"] = bad_login.get_data(as_text=True)
    admin.login()
    pages["article for a signed-in author (Logged in as)"] = get(client, f"/posts/{post.slug}")
    first.status = "trash"
    db.session.commit()
    pages["article with a removed comment kept for its replies"] = get(
        reader, f"/posts/{post.slug}"
    )
    first.status = "approved"
    db.session.commit()
    pages |= {
        "dashboard": get(client, "/admin/"),
        "comments": get(client, "/admin/comments"),
        "comments, pending": get(client, "/admin/comments?status=pending"),
        "comments, search": get(client, f"/admin/comments?q=Ana&post={post.id}"),
        "comments, spam (empty)": get(client, "/admin/comments?status=spam"),
        "reply to a comment without JavaScript": get(client, f"/admin/comments/{pending.id}/reply"),
        "edit a comment without JavaScript": get(client, f"/admin/comments/{first.id}/edit"),
        "articles": get(client, "/admin/posts"),
        "articles, search": get(client, "/admin/posts?q=news"),
        "new article": get(client, "/admin/posts/new"),
        "edit article": get(client, f"/admin/posts/{post.id}/edit"),
        "delete article": get(client, f"/admin/posts/{post.id}/delete"),
        "settings": get(client, "/admin/settings"),
        "password": get(client, "/admin/password"),
    }
    bad_post = client.post(
        "/admin/posts/new", data={"title": "", "slug": "Not A Slug", "action": "publish"}
    )
    assert bad_post.status_code == 422
    pages["new article with errors"] = bad_post.get_data(as_text=True)
    bad_settings = client.post("/admin/settings", data={"site_title": "", "posts_per_page": "0"})
    pages["settings with errors"] = bad_settings.get_data(as_text=True)
    bad_reply = client.post(f"/admin/comments/{pending.id}/reply", data={"comment": ""})
    pages["reply without JavaScript, with an error"] = bad_reply.get_data(as_text=True)

    assert all("<!doctype html>" in html.lower() for html in pages.values())
    # A control in the same run: a known error and a known warning come through the filter.
    pages["control"] = CONTROL
    problems = check(pages, tmp_path)
    control = [line for line in problems if line.startswith("control,")]
    assert len(control) == 2, control
    assert "error: Element “form” not allowed as child of element “span”" in control[0]
    assert "warning: Article lacks heading." in control[1]
    problems = [line for line in problems if line not in control]
    assert problems == [], f"{len(problems)} messages:\n" + "\n".join(problems)


CONTROL = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Control</title></head>'
    '<body><p hx-get="/ignored">An hx-* attribute is filtered, a form in a span is not.</p>'
    '<span><form action="/"><button>Go</button></form></span>'
    "<article><p>An article without a heading is a warning.</p></article></body></html>"
)
