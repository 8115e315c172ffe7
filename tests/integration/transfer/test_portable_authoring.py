"""export / import-json carry what migration 0012 added (#21): pages and their parents, categories
and their parents, sticky, private, password, pending and trashed posts, revisions, menus, roles.

A site with all of it goes out and comes back whole, on SQLite and on PostgreSQL; a file from
before 0012 still restores; and a file that breaks a rule of the new content is refused whole,
with the table, the row and the column, leaving nothing behind.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blog import create_app
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import (
    Author,
    MenuItem,
    Post,
    PostStatus,
    Revision,
    Role,
    Subscription,
    Tag,
    now_utc,
)
from blog.transfer.portable import TABLES
from tests.helpers import dump_every_column, make_test_app, taken_columns, throwaway_postgres

WHEN = "2024-03-01T10:00:00+00:00"


def category(name: str, slug: str, parent: Tag | None = None, **fields) -> Tag:
    term = Tag(name=name, slug=slug, taxonomy="category", parent=parent, **fields)
    db.session.add(term)
    db.session.commit()
    return term


def build_site(make) -> None:
    """Every kind of new content, with some children made before their parents (higher ids
    for the parents), as a site that was reorganised has them."""
    admin = make.author("ada", bio="Runs the site.\nWrites on Sundays.")
    editor = make.author("eddie", role=Role.EDITOR.value)
    writer = make.author("wren", role=Role.AUTHOR.value, email="wren@example.org")
    helper = make.author("cory", role=Role.CONTRIBUTOR.value)

    # Terms: a child category made before its parent, a nested pair, tags.
    volunteering = category("Volunteering", "volunteering", description="Helping out.")
    community = category("Community", "community", wp_id=7)
    volunteering.parent = community
    science = category("Science", "science")
    physics = category("Physics", "physics", parent=science)
    tag = make.tag("solar")
    tag.wp_id = 7  # a tag may share a WordPress id with a category (WordPress before 4.2)
    db.session.commit()

    # Pages: "Our team" made before "About", then put under it; a grandchild; comments off.
    team = make.post("Our team", kind="page", author=admin, menu_order=2)
    about = make.post("About", kind="page", author=admin, menu_order=1)
    team.parent_id = about.id
    history = make.post("History", kind="page", author=editor, parent_id=team.id)
    contact = make.post("Contact", kind="page", author=admin, comments_open=False)
    make.comment(about, body="Nice to meet you.")

    # Posts in every new state.
    sticky = make.post("Pinned news", author=writer, sticky=True, summary="Not the start.")
    sticky.terms = [community, tag]
    private = make.post("Staff only", author=editor, status=PostStatus.PRIVATE.value)
    private.terms = [volunteering]
    locked = make.post("Members news", author=writer, password="open sesame")
    locked.terms = [physics, science]
    make.post("Please review", author=helper, status=PostStatus.PENDING.value)
    binned = make.post(
        "Old story",
        author=writer,
        status=PostStatus.TRASH.value,
        status_before_trash=PostStatus.PUBLISHED.value,
        trashed_at=now_utc() - timedelta(days=3),
    )
    db.session.commit()

    # Revisions: saved ones and an autosave, one of them by a removed-author (null).
    for number, post in enumerate((sticky, sticky, locked, binned)):
        db.session.add(
            Revision(
                post_id=post.id,
                author_id=writer.id,
                title=f"{post.title} v{number}",
                body_md=f"Draft {number} of *{post.title}*.",
                summary="An older excerpt." if number else "",
                created_at=now_utc() - timedelta(hours=number + 1),
            )
        )
    db.session.add(Revision(post_id=sticky.id, author_id=writer.id, title="", autosave=True))
    db.session.add(Revision(post_id=locked.id, author_id=None, title="Orphan", body_md="x"))
    # Autosaves of two authors since removed: both null, both kept.
    db.session.add(Revision(post_id=locked.id, author_id=None, title="A", autosave=True))
    db.session.add(Revision(post_id=locked.id, author_id=None, title="B", autosave=True))
    db.session.commit()

    # Menus: the header's "About" has its children; a child entry made before its parent.
    team_entry = MenuItem(menu="header", kind="page", target_id=team.id, position=0)
    db.session.add(team_entry)
    db.session.commit()
    home = MenuItem(menu="header", kind="link", url="/", label="Home", position=0)
    about_entry = MenuItem(menu="header", kind="page", target_id=about.id, position=1)
    db.session.add_all([home, about_entry])
    db.session.commit()
    team_entry.parent_id = about_entry.id
    db.session.add_all(
        [
            MenuItem(menu="header", kind="page", target_id=history.id, position=1,
                     parent_id=about_entry.id),
            MenuItem(menu="header", kind="category", target_id=science.id, position=2),
            MenuItem(menu="footer", kind="page", target_id=contact.id, position=0),
            MenuItem(menu="footer", kind="link", url="/feed.xml", label="Feed", position=1),
            MenuItem(menu="footer", kind="tag", target_id=tag.id, position=2),
            MenuItem(menu="footer", kind="link", url="https://example.org/a?b=c#d",
                     label="Friends", position=3),
        ]
    )  # fmt: skip
    db.session.commit()

    # Readers following the comments of a post: one confirmed (told once already), one not yet.
    db.session.add_all(
        [
            Subscription(post_id=locked.id, email="rosa@example.org", status="confirmed",
                         confirmed_at=now_utc(), last_notice_at=now_utc(), unannounced=2),
            Subscription(post_id=locked.id, email="ben@example.org", confirm_sent_at=now_utc()),
        ]
    )  # fmt: skip
    db.session.commit()


def export(runner, path) -> dict:
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def without_volatile(data: dict) -> dict:
    """A file's tables without what a restore makes anew (session epochs, cached HTML)."""
    return taken_columns(data["tables"])


def test_a_site_with_everything_new_goes_out_and_comes_back(app, runner, make, tmp_path):
    build_site(make)
    expected = dump_every_column()
    assert {name: len(rows) for name, rows in expected.items()} == {
        "settings": 0, "authors": 4, "tags": 5, "media": 0, "posts": 9, "post_tags": 5,
        "post_media": 0, "comments": 1, "slug_redirects": 0, "revisions": 8, "menu_items": 9,
        "subscriptions": 2,
    }  # fmt: skip
    first = export(runner, tmp_path / "first.json")
    # A post's password is content, exported; an account's password hash never is.
    assert {p["title"]: p["password"] for p in first["tables"]["posts"]}["Members news"] == (
        "open sesame"
    )
    assert all("password_hash" not in author for author in first["tables"]["authors"])
    assert {a["username"]: a["role"] for a in first["tables"]["authors"]} == {
        "ada": "administrator", "eddie": "editor", "wren": "author", "cory": "contributor",
    }  # fmt: skip

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir)
    with fresh.app_context():
        db.create_all()
        fresh_runner = fresh.test_cli_runner()
        restored = fresh_runner.invoke(args=["import-json", str(tmp_path / "first.json")])
        assert restored.exit_code == 0, restored.output
        assert "1 slug_redirects" not in restored.output
        assert "0 slug_redirects, 8 revisions, 9 menu_items, 2 subscriptions." in restored.output
        assert taken_columns(dump_every_column()) == taken_columns(expected)
        about = db.session.scalar(select(Post).where(Post.slug == "about"))
        team = db.session.scalar(select(Post).where(Post.slug == "our-team"))
        assert team.parent_id == about.id > team.id
        assert db.session.scalar(select(Tag).where(Tag.slug == "volunteering")).parent.name == (
            "Community"
        )
        # New rows continue after the restored ids.
        later = MenuItem(menu="footer", kind="link", url="/later/")
        db.session.add(later)
        db.session.commit()
        assert later.id == 10
        db.session.delete(later)
        db.session.commit()
        second = export(fresh_runner, tmp_path / "second.json")
        db.session.remove()
        db.engine.dispose()
    assert without_volatile(second) == without_volatile(first)


@pytest.mark.postgres
def test_the_same_site_round_trips_on_postgres(make, tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with throwaway_postgres(2) as (source_url, target_url):
        apps = [
            create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": url,
                    "WTF_CSRF_ENABLED": False,
                    "RATELIMIT_ENABLED": False,
                    "MAIL_SENDER_GATHER_SECONDS": 0,
                    "MAIL_SENDER_LINGER_SECONDS": 0,
                }
            )
            for url in (source_url, target_url)
        ]
        with apps[0].app_context():
            upgrade_to_head()
            build_site(make)
            expected = dump_every_column()
            first = export(apps[0].test_cli_runner(), tmp_path / "first.json")
            db.session.remove()
            db.engine.dispose()
        with apps[1].app_context():
            upgrade_to_head()
            runner = apps[1].test_cli_runner()
            restored = runner.invoke(args=["import-json", str(tmp_path / "first.json")])
            assert restored.exit_code == 0, restored.output
            assert taken_columns(dump_every_column()) == taken_columns(expected)
            # The sequences moved past the restored ids.
            later = MenuItem(menu="footer", kind="link", url="/later/")
            revision = Revision(post_id=1, title="Later")
            db.session.add_all([later, revision])
            db.session.commit()
            assert later.id == 10 and revision.id == 9
            db.session.delete(later)
            db.session.delete(revision)
            db.session.commit()
            second = export(runner, tmp_path / "second.json")
            db.session.remove()
            db.engine.dispose()
    assert without_volatile(second) == without_volatile(first)


# --- a file from before migration 0012 ---------------------------------------------------------


def old_file() -> dict:
    """What an export of this blog looked like before #21: no kind, taxonomy, role, revisions or
    menus."""
    return {
        "format": "good-news-export",
        "version": 1,
        "exported_at": WHEN,
        "tables": {
            "settings": [],
            "authors": [
                {"id": 1, "username": "ada", "display_name": "Ada", "email": "ada@example.org",
                 "session_epoch": 5, "created_at": WHEN},
                {"id": 2, "username": "bob", "display_name": "Bob", "email": "",
                 "session_epoch": 9, "created_at": WHEN},
            ],
            "tags": [{"id": 1, "name": "Science", "slug": "science"}],
            "posts": [
                {"id": 1, "title": "Hello", "slug": "hello", "body_md": "Hello *world*.",
                 "body_html": "", "body_render_version": 0, "summary": "", "status": "published",
                 "published_at": WHEN, "updated_at": None, "created_at": WHEN,
                 "comments_open": True, "author_id": 2, "wp_id": None},
            ],
            "post_tags": [{"post_id": 1, "tag_id": 1}],
            "comments": [],
            "slug_redirects": [],
        },
    }  # fmt: skip


def restore(runner, tmp_path, data):
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["import-json", str(path)])


def test_a_file_from_before_pages_and_roles_still_restores(runner, client, tmp_path):
    result = restore(runner, tmp_path, old_file())
    assert result.exit_code == 0, result.output
    # Its accounts were the site's owners: administrators, as migration 0012 made them.
    assert set(db.session.scalars(select(Author.role))) == {"administrator"}
    post = db.session.get(Post, 1)
    assert (post.kind, post.sticky, post.password, post.parent_id) == ("post", False, "", None)
    assert (post.status_before_trash, post.trashed_at, post.menu_order) == ("", None, 0)
    assert [(t.taxonomy, t.parent_id, t.description) for t in post.terms] == [("tag", None, "")]
    assert db.session.get(Author, 1).bio == ""
    assert client.get("/posts/hello").status_code == 200


# --- a file that breaks a rule is refused whole -------------------------------------------------


def new_file() -> dict:
    """A valid file with the new content: two pages (the child first), a category under
    another, a tag, revisions and a header menu nested one level."""
    data = old_file()
    t = data["tables"]
    t["authors"][0].update(role="editor", bio="Hi")
    t["authors"][1].update(role="contributor", bio="")
    t["tags"] = [
        {"id": 1, "name": "Science", "slug": "science", "taxonomy": "category", "parent_id": 3,
         "description": "", "wp_id": 4},
        {"id": 2, "name": "solar", "slug": "solar", "taxonomy": "tag", "parent_id": None,
         "description": "", "wp_id": None},
        {"id": 3, "name": "Topics", "slug": "topics", "taxonomy": "category",
         "parent_id": None, "description": "All of them.", "wp_id": None},
    ]  # fmt: skip
    page = dict(t["posts"][0], kind="page", sticky=False, password="", menu_order=0,
                trashed_at=None, status_before_trash="", parent_id=None)  # fmt: skip
    t["posts"] = [
        dict(t["posts"][0], id=1, kind="post", parent_id=None, menu_order=0, sticky=True,
             password="", trashed_at=None, status_before_trash=""),
        dict(page, id=2, title="Team", slug="team", parent_id=3),
        dict(page, id=3, title="About", slug="about"),
        dict(t["posts"][0], id=4, title="Gone", slug="gone", kind="post", parent_id=None,
             menu_order=0, sticky=False, password="pw", status="trash",
             status_before_trash="published", trashed_at=WHEN),
    ]  # fmt: skip
    t["post_tags"] = [{"post_id": 1, "tag_id": 1}, {"post_id": 1, "tag_id": 2}]
    t["revisions"] = [
        {"id": 1, "post_id": 1, "author_id": 1, "title": "Hello", "body_md": "Hi.",
         "summary": "", "autosave": False, "created_at": WHEN},
        {"id": 2, "post_id": 1, "author_id": 1, "title": "", "body_md": "Hi, typing",
         "summary": "", "autosave": True, "created_at": WHEN},
    ]  # fmt: skip
    item = {"menu": "header", "parent_id": None, "position": 0, "kind": "link",
            "target_id": None, "url": "/", "label": "Home"}  # fmt: skip
    t["menu_items"] = [
        dict(item, id=1, kind="page", target_id=2, url="", label="", parent_id=2),
        dict(item, id=2, kind="page", target_id=3, url="", label=""),
        dict(item, id=3),
        dict(item, id=4, kind="category", target_id=1, url="", label=""),
        dict(item, id=5, kind="tag", target_id=2, url="", label="", menu="footer"),
        dict(item, id=6, url="https://example.org/feed", menu="footer"),
    ]  # fmt: skip
    follower = {"post_id": 1, "status": "confirmed", "secret": "0123456789abcdef",
                "created_at": WHEN, "confirm_sent_at": WHEN, "confirmed_at": WHEN,
                "last_notice_at": None, "unannounced": 0}  # fmt: skip
    t["subscriptions"] = [
        dict(follower, id=1, email="Rosa@Example.org"),
        dict(follower, id=2, email="ben@example.org", status="pending", confirmed_at=None,
             secret="fedcba9876543210"),
    ]  # fmt: skip
    return data


def test_the_file_with_new_content_restores(runner, tmp_path):
    result = restore(runner, tmp_path, new_file())
    assert result.exit_code == 0, result.output
    assert db.session.get(Post, 2).parent.slug == "about"
    assert db.session.get(Tag, 1).parent.slug == "topics"
    assert db.session.get(MenuItem, 1).parent_id == 2
    assert db.session.get(Author, 1).role == "editor"
    assert db.session.get(Post, 4).status_before_trash == "published"
    # The address as the site stores it (lower case); the secret kept, so sent links still work.
    assert db.session.get(Subscription, 1).email == "rosa@example.org"
    assert db.session.get(Subscription, 2).secret == "fedcba9876543210"


def change(table: str, row: int, **values):
    def apply(data):
        data["tables"][table][row].update(values)

    return apply


def add_row(table: str, **values):
    def apply(data):
        rows = data["tables"][table]
        rows.append(dict(rows[-1], id=max(r["id"] for r in rows) + 1, **values))

    return apply


REFUSED = [
    # Enums.
    (change("authors", 0, role="superuser"), "authors[0].role: 'superuser' is not a role"),
    (change("tags", 1, taxonomy="genre"), "tags[1].taxonomy: 'genre' is not a taxonomy"),
    (change("posts", 0, status="hidden"), "posts[0].status: 'hidden' is not a post status"),
    (change("posts", 0, kind="attachment"), "posts[0].kind: 'attachment' is not a kind of post"),
    (change("menu_items", 2, menu="sidebar"), "menu_items[2].menu: 'sidebar' is not a menu"),
    (change("menu_items", 2, kind="post"), "menu_items[2].kind: 'post' is not a kind of entry"),
    # Parents of pages and categories.
    (change("posts", 1, parent_id=1), "posts[1].parent_id: 1 is not a page"),
    (change("posts", 1, parent_id=99), "posts[1].parent_id: no row of posts has the id 99"),
    (change("posts", 0, parent_id=3), "posts[0].parent_id: only a page has a parent"),
    (
        change("posts", 2, parent_id=2),
        "posts[1].parent_id: the parents run in a circle (2 -> 3 -> 2)",
    ),
    (change("posts", 2, parent_id=3), "posts[2].parent_id: the parents run in a circle (3 -> 3)"),
    (
        change("tags", 2, parent_id=1),
        "tags[0].parent_id: the parents run in a circle (1 -> 3 -> 1)",
    ),
    (change("tags", 0, parent_id=2), "tags[0].parent_id: 2 is not a category"),
    (change("tags", 1, parent_id=3), "tags[1].parent_id: only a category has a parent"),
    (change("tags", 2, wp_id=4), "tags[2].wp_id: WordPress id 4 appears twice"),
    # Trash, passwords, numbers that do not fit.
    (
        change("posts", 3, status_before_trash=""),
        "posts[3].status_before_trash: a post in the trash needs one",
    ),
    (
        change("posts", 3, status_before_trash="trash"),
        "posts[3].status_before_trash: 'trash' is not a post status",
    ),
    (change("posts", 3, trashed_at=None), "posts[3].trashed_at: a post in the trash needs one"),
    (
        change("posts", 3, published_at=None),
        "posts[3].published_at: a published or scheduled post needs one",
    ),
    (change("posts", 0, password="a\nb"), "posts[0].password: one line of at most 255"),
    (change("posts", 0, password="x" * 256), "posts[0].password: one line of at most 255"),
    (change("posts", 2, menu_order=2**40), "posts[2].menu_order: 1099511627776 does not fit"),
    # Menus: targets, nesting, addresses.
    (change("menu_items", 1, target_id=1), "menu_items[1].target_id: no page has the id 1"),
    (change("menu_items", 1, target_id=99), "menu_items[1].target_id: no page has the id 99"),
    (change("menu_items", 3, target_id=2), "menu_items[3].target_id: no category has the id 2"),
    (change("menu_items", 4, target_id=3), "menu_items[4].target_id: no tag has the id 3"),
    (
        change("menu_items", 1, parent_id=1),
        "menu_items[0].parent_id: entry 2 is nested itself; menus nest one level",
    ),
    (
        change("menu_items", 3, parent_id=1),
        "menu_items[3].parent_id: entry 1 is nested itself; menus nest one level",
    ),
    (change("menu_items", 4, parent_id=3), "menu_items[4].parent_id: entry 3 is in another menu"),
    (
        change("menu_items", 4, parent_id=42),
        "menu_items[4].parent_id: no row of menu_items has the id 42",
    ),
    (
        change("menu_items", 2, url="javascript:alert(1)"),
        "menu_items[2].url: 'javascript:alert(1)' is not an http(s) address",
    ),
    (change("menu_items", 2, url="//evil.example/"), "menu_items[2].url: '//evil.example/' is not"),
    (change("menu_items", 2, url="/\\evil.example/"), "menu_items[2].url:"),
    (change("menu_items", 2, url="ftp://example.org/"), "menu_items[2].url:"),
    (change("menu_items", 2, url="https:///nohost"), "menu_items[2].url:"),
    (change("menu_items", 2, url="/a b"), "menu_items[2].url:"),
    (change("menu_items", 2, url=""), "menu_items[2].url: '' is not"),
    (change("menu_items", 2, target_id=1), "menu_items[2].target_id: a link points at no row"),
    (change("menu_items", 3, url="/x"), "menu_items[3].url: only a link has one"),
    # Revisions.
    (change("revisions", 0, post_id=99), "revisions[0].post_id: no row of posts has the id 99"),
    (change("revisions", 0, author_id=9), "revisions[0].author_id: no row of authors has the id 9"),
    (add_row("revisions"), "revisions[2].autosave: post 1 has a second autosave by author 1"),
    (change("revisions", 1, id=1), "revisions[1].id: id 1 appears twice"),
    (change("revisions", 1, autosave="yes"), "revisions[1].autosave: expected bool"),
    # Readers following comments.
    (change("subscriptions", 0, post_id=99), "subscriptions[0].post_id: no row of posts has"),
    (change("subscriptions", 0, post_id=None), "subscriptions[0].post_id may not be null"),
    (change("subscriptions", 1, status="maybe"), "subscriptions[1].status: 'maybe' is not"),
    (change("subscriptions", 1, email="not an address"), "subscriptions[1].email: 'not an"),
    (change("subscriptions", 1, email=""), "subscriptions[1].email: a subscription"),
    (
        change("subscriptions", 1, email="ROSA@example.org"),
        "subscriptions[1].email: 'rosa@example.org' follows this post twice",
    ),
    (change("subscriptions", 1, secret="guessable"), "subscriptions[1].secret: must be 16 hex"),
    (change("subscriptions", 1, unannounced=-1), "subscriptions[1].unannounced: must be 0 or more"),
]  # fmt: skip


@pytest.mark.parametrize(("spoil", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_a_file_that_breaks_a_rule_is_refused_whole(runner, tmp_path, spoil, message):
    data = new_file()
    spoil(data)
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was restored" in result.output
    assert [db.session.scalar(select(func.count()).select_from(table)) for _, table in TABLES] == [
        0
    ] * len(TABLES)


def test_pages_nested_deeper_than_an_address_holds_are_refused(runner, tmp_path):
    data = new_file()
    pages = data["tables"]["posts"]
    for number in range(10, 26):  # About (3) <- 10 <- 11 ... <- 25: 17 slugs for page 25
        pages.append(dict(pages[2], id=number, slug=f"p{number}", parent_id=number - 1))
    pages[4]["parent_id"] = 3
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 1
    assert "posts[19].parent_id: a page's address holds at most 16 slugs" in result.output
    pages.pop()
    assert restore(runner, tmp_path, data).exit_code == 0


def test_a_wordpress_site_brought_in_by_import_wxr_round_trips(runner, tmp_path):
    """Pages, menus, categories, sticky/private/password posts as import-wxr makes them."""
    site = Path(__file__).parents[2] / "data" / "wordpress-site.xml"
    imported = runner.invoke(args=["import-wxr", str(site)])
    assert imported.exit_code == 0, imported.output
    expected = dump_every_column()
    assert expected["menu_items"] and any(p["kind"] == "page" for p in expected["posts"])
    assert any(t["parent_id"] for t in expected["tags"])
    path = tmp_path / "site.json"
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir)
    with fresh.app_context():
        db.create_all()
        restored = fresh.test_cli_runner().invoke(args=["import-json", str(path)])
        assert restored.exit_code == 0, restored.output
        assert taken_columns(dump_every_column()) == taken_columns(expected)
        db.session.remove()
        db.engine.dispose()
