"""flask import-wxr: a WordPress export comes in whole, threads and statuses intact, once."""

from __future__ import annotations

import tracemalloc
import warnings
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Author, Comment, MediaItem, Post, Setting, Tag, post_tags
from blog.settings import site_config
from blog.transfer.wordpress.importer import import_wxr
from tests.helpers import PASSWORD
from tests.wxr import SAMPLE, write_wxr


@pytest.fixture
def imported(runner):
    result = runner.invoke(args=["import-wxr", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    return result.output


def post_by_wp_id(number: int) -> Post:
    return db.session.scalar(select(Post).where(Post.wp_id == number))


def comment(number: int) -> Comment:
    return db.session.scalar(select(Comment).where(Comment.wp_id == number))


def every_row() -> dict:
    """Every column of every row of the content tables, for before/after comparisons."""
    tables = [Author.__table__, Tag.__table__, Post.__table__, post_tags, Comment.__table__]
    tables.append(Setting.__table__)
    return {
        table.name: db.session.execute(select(table).order_by(*table.primary_key)).all()
        for table in tables
    }


def test_import_prints_what_it_imported_and_skipped(imported):
    lines = [line.strip() for line in imported.splitlines()]
    assert "Imported Bonnes Nouvelles — Café & Crème (WXR 1.2):" in imported
    assert "authors: 2 new, 0 already there" in lines
    assert "categories: 3 new, 0 already there" in lines  # World, Café & Culture, Uncategorized
    assert "tags: 1 new, 0 already there" in lines
    assert "posts: 6 new (1 draft, 1 private, 3 published, 1 scheduled), 0 already there" in lines
    assert "pages: 1 new (1 published), 0 already there" in lines
    assert "comments: 12 new (9 approved, 1 pending, 1 spam, 1 trash), 0 already there" in lines
    assert "media: 1 new (1 images, 0 audio, 0 video, 0 files), 0 already there" in lines
    for skipped in (
        "dynamic blocks left out: 1 (plugin/unknown-block in \u201cGood news from the river\u201d)",
        'revisions: 1 (e.g. "Good news from the river")',
        'pingbacks: 1 (e.g. "Some Blog")',
        'trashed posts and pages: 1 (e.g. "Thrown away")',
    ):
        assert skipped in lines
    assert "password-protected posts (the password kept): 1" in lines


def test_posts_keep_status_dates_slugs_and_excerpts(imported):
    river = post_by_wp_id(10)
    assert river.status == "published"
    assert river.published_at == datetime(2022, 1, 5, 9, 30, tzinfo=UTC)  # post_date_gmt
    assert river.updated_at == datetime(2022, 2, 1, 8, 0, tzinfo=UTC)
    assert river.slug == "good-news-from-the-river"
    assert river.summary == "The river is clean again & fish are back."
    assert river.author.username == "marie" and river.comments_open
    unicode_post = post_by_wp_id(11)
    assert unicode_post.slug == "日本語-café"  # percent-encoded in the export
    assert unicode_post.title == "日本語の記事 — café"
    assert not unicode_post.comments_open
    draft = post_by_wp_id(12)
    assert (draft.status, draft.published_at, draft.slug) == ("draft", None, "an-unfinished-draft")
    future = post_by_wp_id(13)
    assert future.status == "scheduled"
    assert future.published_at == datetime(2099, 6, 1, 8, 0, tzinfo=UTC)
    assert post_by_wp_id(18).status == "private"
    assert post_by_wp_id(19).password  # password-protected: kept with its password
    assert post_by_wp_id(14).kind == "page"
    for skipped in (16, 17, 20):  # menu item, revision, trash
        assert post_by_wp_id(skipped) is None


def test_categories_and_tags_keep_their_taxonomy(imported):
    assert [(t.name, t.slug) for t in post_by_wp_id(10).categories] == [
        ("Café & Culture", "café-culture"),
        ("Uncategorized", "uncategorized"),
        ("World", "world"),
    ]
    assert [(t.name, t.slug) for t in post_by_wp_id(10).tags] == [("Hope", "hope")]
    assert [t.slug for t in post_by_wp_id(11).categories] == ["world"]


def test_block_markup_captions_and_paragraphs_are_converted(imported, client):
    river = client.get("/posts/good-news-from-the-river").get_data(as_text=True)
    assert "wp:paragraph" not in river and "<!--" not in river.split("<body", 1)[1]
    assert "<p>The river is <strong>clean</strong> again, 5 * 3 * 2 times cleaner.</p>" in river
    # The attachment's picture: our stable address (its file is not here: see test_wordpress_media).
    river_source = post_by_wp_id(10).body_md
    river_media = db.session.scalar(select(MediaItem).where(MediaItem.wp_id == 15))
    assert (
        f'<figure><img src="/media/{river_media.id}/river.jpg" alt="The river" class="size-large">'
        "<figcaption>The river in May</figcaption></figure>"
    ) in river_source
    assert "old.example.org" not in river_source
    assert "<figcaption>The river in May</figcaption></figure>" in river
    assert "<li>Fish are back</li>" in river
    classic = client.get("/posts/日本語-café").get_data(as_text=True)
    assert "<p>First paragraph of a classic post<br>\nwith a line break.</p>" in classic
    assert "<p>Second paragraph mit Ümlauten.</p>" in classic
    assert "<figcaption>A cat, <em>sleeping</em></figcaption>" in classic
    assert '<img src="https://old.example.org/wp-content/uploads/2022/02/small.jpg"' in classic
    assert "[caption" not in classic and "[gallery" not in classic
    assert "<pre>  code keeps\n  its    spacing</pre>" in classic


def test_comments_keep_threads_ids_and_statuses(imported):
    top, reply, third = comment(101), comment(102), comment(103)
    # Our ids are the WordPress ids, so old #comment-ID anchors land on the same comment.
    assert (top.id, reply.id, third.id) == (101, 102, 103)
    assert (top.parent_id, top.root_id, top.depth) == (None, 101, 0)
    assert (reply.parent_id, reply.root_id, reply.depth) == (101, 101, 1)
    assert (third.parent_id, third.root_id, third.depth) == (102, 101, 2)
    # A reply listed before its parent, and one whose parent is not in the file.
    assert (comment(112).parent_id, comment(112).root_id, comment(112).depth) == (111, 111, 1)
    assert (comment(110).parent_id, comment(110).root_id, comment(110).depth) == (None, 110, 0)
    statuses = {n: comment(n).status for n in (101, 104, 105, 106)}
    assert statuses == {101: "approved", 104: "pending", 105: "spam", 106: "trash"}
    assert comment(108) is None  # a pingback
    assert comment(140).post.kind == "page"  # pages come with their comments
    assert top.author_name == "Ana Souza" and top.author_email == "ana@example.org"
    assert top.author_url == "https://ana.example.org/" and top.author_ip == "192.0.2.10"
    assert top.created_at == datetime(2022, 1, 5, 11, 0, tzinfo=UTC)
    assert reply.site_author.username == "marie"  # wp:comment_user_id 1: the Author badge
    assert top.body_html == "<p>Wonderful news!</p>\n<p>I swam there last week.</p>"


def test_hostile_comment_is_sanitized_like_a_new_one(imported, client):
    hostile = comment(107)
    assert hostile.author_url == ""  # javascript: dropped
    assert hostile.author_name == "Mallory"
    html = client.get("/posts/good-news-from-the-river").get_data(as_text=True)
    article = html.split('id="comment-107"', 1)[1]
    body = article.split('class="comment-content"', 1)[1].split("</div>", 1)[0]
    assert "Hostile" in body and "fine link" in body
    for bad in (
        "<script",
        "javascript:",
        "hx-get",
        "hx-trigger",
        "data-hx-post",
        "onerror",
        "onclick",
    ):
        assert bad not in body
    assert "javascript:" not in html and "onmouseover" not in html


def test_entities_and_non_ascii_text_read_as_typed(imported, client):
    entities = comment(109)
    assert entities.author_name == "Tom & Jerry"
    assert entities.body == "Cats & mice <3 — ça marche, 日本語も"
    html = client.get("/posts/good-news-from-the-river").get_data(as_text=True)
    assert "Cats &amp; mice &lt;3 — ça marche, 日本語も" in html
    assert "Tom &amp; Jerry" in html and "&amp;amp;" not in html


def test_site_title_and_tagline_become_settings(imported, client):
    assert site_config()["SITE_TITLE"] == "Bonnes Nouvelles — Café & Crème"
    assert site_config()["SITE_TAGLINE"] == "Des histoires qui finissent bien"
    assert "Bonnes Nouvelles — Café &amp; Crème" in client.get("/").get_data(as_text=True)


def test_authors_have_no_password_until_set_password(imported, runner, admin):
    marie = db.session.scalar(select(Author).where(Author.username == "marie"))
    assert marie.display_name == "Marie Ünal" and marie.email == "marie@example.org"
    assert admin.login("marie", "!no-password: set one with flask set-password").status_code != 303
    result = runner.invoke(args=["set-password", "marie", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert admin.login("marie", PASSWORD).status_code == 303


def test_reimporting_changes_nothing(imported, runner):
    before = every_row()
    again = runner.invoke(args=["import-wxr", str(SAMPLE)])
    assert again.exit_code == 0, again.output
    assert "posts: 0 new, 6 already there" in again.output
    assert "comments: 0 new, 12 already there" in again.output
    assert "SITE_TITLE kept (already set)" in again.output
    db.session.expire_all()
    assert every_row() == before


def test_settings_already_saved_are_kept(runner):
    from blog.settings import save_settings

    save_settings({"SITE_TITLE": "My own title"})
    assert runner.invoke(args=["import-wxr", str(SAMPLE)]).exit_code == 0
    assert site_config()["SITE_TITLE"] == "My own title"
    assert site_config()["SITE_TAGLINE"] == "Des histoires qui finissent bien"


def test_a_taken_comment_id_gets_a_new_one(runner, make):
    post = make.post("Already here")
    make.comment(post, id=101, body="A comment of ours")
    result = runner.invoke(args=["import-wxr", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "comments that could not keep their WordPress id: 1" in result.output
    moved, reply = comment(101), comment(102)
    assert moved.id != 101 and moved.root_id == moved.id
    assert (reply.parent_id, reply.root_id) == (moved.id, moved.id)
    assert db.session.get(Comment, 101).body == "A comment of ours"


def test_a_slug_already_used_gets_a_suffix(runner, make):
    make.post("Good news from the river")
    assert runner.invoke(args=["import-wxr", str(SAMPLE)]).exit_code == 0
    assert post_by_wp_id(10).slug == "good-news-from-the-river-2"


def broken_copy(tmp_path, replace: str, by: str):
    text = SAMPLE.read_text(encoding="utf-8")
    assert replace in text
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace(replace, by, 1), encoding="utf-8")
    line = text[: text.index(replace)].count("\n") + 1
    return broken, line


def test_a_malformed_file_rolls_back_everything_and_names_the_line(runner, tmp_path):
    # The error sits in the last item: everything before it was already read and written.
    broken, line = broken_copy(
        tmp_path, "<title><![CDATA[Thrown away]]></title>", "<title>x</titel>"
    )
    result = runner.invoke(args=["import-wxr", str(broken)])
    assert result.exit_code == 1
    assert f"line {line}: the file is not well-formed XML (mismatched tag" in result.output
    assert "Nothing was imported." in result.output
    for model in (Post, Comment, Author, Tag, Setting):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_a_truncated_file_is_refused(runner, tmp_path):
    truncated = tmp_path / "truncated.xml"
    data = SAMPLE.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    result = runner.invoke(args=["import-wxr", str(truncated)])
    assert result.exit_code == 1 and "not well-formed XML" in result.output
    assert db.session.scalar(select(func.count(Post.id))) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><title>&b;</title>'
            "</channel></rss>",
            "line 1: a DOCTYPE is not allowed",
        ),
        ("<html><body>Not an export</body></html>", "the root element is <html>, not <rss>"),
        ("<rss><item/></rss>", "there is no <channel> in <rss>"),
        ("", "not well-formed XML (no element found"),
    ],
)
def test_files_that_are_not_exports_are_refused(runner, tmp_path, content, message):
    path = tmp_path / "odd.xml"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 1
    assert message in result.output


def test_set_password_refuses_unknown_users_and_weak_passwords(runner, make):
    make.author("ada")
    assert (
        "No author named 'bob'"
        in runner.invoke(args=["set-password", "bob", "--password", PASSWORD]).output
    )
    weak = runner.invoke(args=["set-password", "ada", "--password", "short"])
    assert weak.exit_code == 1 and "at least 8 characters" in weak.output


def test_set_password_ends_other_sessions(runner, admin, client):
    assert admin.login().status_code == 303
    assert client.get("/admin/").status_code == 200
    result = runner.invoke(args=["set-password", "editor"], input="a new long password\n" * 2)
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302  # the old session cookie no longer works


def peak_memory_of_import(path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            import_wxr(stream)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.sqlite_only
def test_memory_does_not_grow_with_the_file(app, tmp_path):
    """Streaming: the peak is about one item's worth, whether the file has 100 or 1,000 items."""
    # The importer collects garbage as it goes (GC_EVERY), and this is the suite's longest run of
    # collections: a PostgreSQL connection that an earlier test's background thread left behind
    # is finalised, and reported as a ResourceWarning, in here (seen in CI, source not found
    # yet). That report is about another test; this one measures its own import.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        measure_memory_of_imports(tmp_path)


def measure_memory_of_imports(tmp_path) -> None:
    with write_wxr(tmp_path / "warm-up.xml", items=30, first_id=1).open("rb") as stream:
        import_wxr(stream)  # the first run loads modules and fills caches: not measured
    small = write_wxr(tmp_path / "small.xml", items=100, first_id=1_000, text_size=4_000)
    large = write_wxr(tmp_path / "large.xml", items=1_000, first_id=10_000, text_size=4_000)
    small_peak = peak_memory_of_import(small)
    large_peak = peak_memory_of_import(large)
    size = large.stat().st_size
    print(f"file {size:,} bytes; peak {large_peak:,} (1,000 items) vs {small_peak:,} (100 items)")
    assert db.session.scalar(select(func.count(Post.id))) == 1_130
    # Ten times the items, not ten times the memory (a linear reader would need ~10x), and
    # far less than the file itself. What still grows (about 0.3 KB an item) is the one
    # all-or-nothing transaction's bookkeeping, not the parsed text. (Cyclic garbage from the
    # sanitizer is collected every GC_EVERY elements: without that the peak depended on when
    # the collector happened to run, and rose by half when other code allocated less.)
    assert large_peak < small_peak * 3
    assert large_peak < size / 3


def test_a_damaged_export_with_one_comment_id_twice_keeps_the_first(runner, tmp_path):
    from tests.wxr import HEAD, TAIL

    item = (
        "<item><title>{t}</title><dc:creator>gen</dc:creator><wp:post_id>{n}</wp:post_id>"
        "<wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type><wp:comment><wp:comment_id>5</wp:comment_id>"
        "<wp:comment_content>{t}</wp:comment_content><wp:comment_approved>1"
        "</wp:comment_approved></wp:comment></item>"
    )
    path = tmp_path / "damaged.xml"
    path.write_text(HEAD + item.format(t="First", n=1) + item.format(t="Second", n=2) + TAIL)
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    assert "comments whose WordPress id another post has: 1" in result.output
    assert comment(5).body == "First" and comment(5).post.title == "First"
    assert post_by_wp_id(2).slug == "second"  # no slug in the export: made from the title


def test_images_on_the_old_site_are_reported_or_moved(runner, client):
    # The Content-Security-Policy allows images from this site only, so images left on the old
    # WordPress site would not show: the import says so, and --media-url moves them.
    result = runner.invoke(args=["import-wxr", str(SAMPLE)])
    lines = [line.strip() for line in result.output.splitlines()]
    assert "posts still using files on the old site: 2" in lines
    assert '"Good news from the river"' in lines  # its attachment's file is not here
    assert '"日本語の記事 — café"' in lines  # pictures that are no attachment of the export
    assert "to bring the files: run import-wxr again with --uploads" in result.output
    assert (
        "https://old.example.org/wp-content/uploads/2022/02/small.jpg" in post_by_wp_id(11).body_md
    )


def test_media_url_points_old_uploads_to_their_new_place(runner, client):
    result = runner.invoke(args=["import-wxr", str(SAMPLE), "--media-url", "/uploads"])
    # The attachment goes to the media library; the rest to --media-url.
    assert "posts whose uploads now point to --media-url: 1" in result.output
    html = client.get("/posts/good-news-from-the-river").get_data(as_text=True)
    assert "/uploads/river.jpg" not in html and "/media/" in post_by_wp_id(10).body_md
    assert "old.example.org" not in html
    classic = client.get("/posts/日本語-café").get_data(as_text=True)
    assert '<a href="/uploads/2022/02/big.jpg"><img src="/uploads/2022/02/small.jpg"' in classic
