"""blog.media.library and usage against the database: which posts use which item, kept on
every save; deleting refuses while used; changes render the posts using an item again."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import event, select

from blog.extensions import db
from blog.media import library
from blog.media.usage import referenced_ids
from blog.models import MediaItem, Post, post_media


def jpeg(size=(900, 600), color=(200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def uses() -> set[tuple[int, int]]:
    return set(db.session.execute(select(post_media.c.post_id, post_media.c.media_id)).all())


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ('<img src="/media/3/a.jpg" alt="A">', {3}),
        ("![Sea](/media/4/sea.png)", {4}),
        ('![Sea](https://news.example/blog/media/5/sea.png "title")', {5}),
        (
            '<a href="/media/6/menu.pdf">Menu</a> and <video src="/media/7/clip.mp4"></video>',
            {6, 7},
        ),
        ('[audio src="/media/8/song.mp3"]\n[video mp4="/media/9/clip.mp4"]', {8, 9}),
        ('[gallery ids="10, 11,12" columns="3"]', {10, 11, 12}),
        ("[gallery columns=2 ids=13,14]", {13, 14}),
        (
            '<img srcset="/media/15/a.jpg 768w, /media/15/a.jpg 1536w" src="/media/16/b.jpg">',
            {15, 16},
        ),
        ("social media/17 and /media/files/ab/ab0123456789abcdef.jpg and /media/x/1", set()),
        ("", set()),
    ],
)
def test_the_media_a_source_refers_to(body, ids):
    assert referenced_ids(body) == ids


def test_usage_follows_every_save_of_a_post(app, make):
    a, b, c, d = (make.media(f"{n}.jpg") for n in "abcd")
    post = Post(
        title="New",
        slug="new",
        status="draft",
        author=make.author(),
        body_md=f'<img src="/media/{a.id}/a.jpg" alt="A">\n\n[gallery ids="{b.id},999"]',
        featured_media_id=c.id,
    )
    db.session.add(post)
    db.session.commit()  # a new post: its id is known only in the flush
    assert uses() == {(post.id, a.id), (post.id, b.id), (post.id, c.id)}  # 999 does not exist

    post.body_md = f"![D](/media/{d.id}/d.jpg)"
    db.session.commit()
    assert uses() == {(post.id, d.id), (post.id, c.id)}

    post.featured_media = None
    db.session.commit()
    assert uses() == {(post.id, d.id)}

    post.featured_media = a  # through the relationship too
    db.session.commit()
    assert uses() == {(post.id, d.id), (post.id, a.id)}

    db.session.delete(post)
    db.session.commit()
    assert uses() == set()


def test_only_posts_whose_source_or_featured_image_changed_are_looked_at(app, make):
    item = make.media()
    posts = [make.post(body_md=f"![x](/media/{item.id}/photo.jpg)") for _ in range(3)]
    statements = []

    def count(conn, cursor, statement, *args):
        if "post_media" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for post in posts:
            post.title += " (changed)"
        db.session.commit()
        assert statements == []  # titles changed, not what the posts use
        bodies = [post.body_md + "\n\nMore." for post in posts]  # loaded before, not in between
        for post, body in zip(posts, bodies, strict=True):
            post.body_md = body
        db.session.commit()
        assert len(statements) == 2  # one delete and one insert for the three posts together
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert uses() == {(post.id, item.id) for post in posts}


def test_delete_refuses_while_a_post_uses_the_item_and_force_breaks_it_gently(app, make):
    item = library.add_media(jpeg(), "sunset.jpg", alt_text="A red sunset")
    db.session.commit()
    post = make.post(
        body_md=f'<img src="/media/{item.id}/sunset.jpg" alt="">', featured_media_id=item.id
    )
    other = make.post(body_md="No pictures.")
    assert library.uses_of(item) == [post]
    assert library.uses_by_media([item.id, 12345]) == {item.id: [post], 12345: []}

    with pytest.raises(library.InUse) as in_use:
        library.delete_media(item)
    assert in_use.value.posts == [post]
    db.session.rollback()
    assert db.session.get(MediaItem, item.id) is not None

    stored = item.stored_name
    assert stored in post.body_html or "/media/files/" in post.body_html
    item_id = item.id
    assert library.delete_media(item, force=True) == [post]
    db.session.commit()
    assert db.session.get(MediaItem, item_id) is None
    assert post.featured_media_id is None and uses() == set()
    assert "/media/files/" not in post.body_html  # rendered again: a placeholder now
    assert other.body_html.startswith("<p>No pictures.")


def test_deleting_an_unused_item_needs_no_force(app):
    item = library.add_media(jpeg(), "spare.jpg")
    db.session.commit()
    assert library.delete_media(item) == []
    db.session.commit()
    assert db.session.scalars(select(MediaItem)).all() == []


def test_changing_the_details_renders_the_posts_using_it_again(app, make):
    item = library.add_media(jpeg(), "sunset.jpg", alt_text="A red sunset")
    db.session.commit()
    post = make.post(body_md=f"![](/media/{item.id}/sunset.jpg)")
    library.update_details(
        item, title="Evening", alt_text="The sun going down", caption="", description=""
    )
    db.session.commit()
    db.session.refresh(post)
    assert item.title == "Evening" and item.alt_text == "The sun going down"
    assert "The sun going down" in post.body_html


def test_search_finds_by_title_name_alt_or_caption_of_one_kind_newest_first(app, make):
    from datetime import timedelta

    from blog.models import now_utc

    now = now_utc()
    old = make.media("harbour.jpg", title="Boats", created_at=now - timedelta(days=2))
    new = make.media("boats-2.jpg", title="Evening", created_at=now - timedelta(days=1))
    make.media("song.mp3", kind="audio", mime_type="audio/mpeg", title="Boat song")
    make.media("x.jpg", title="100% sure", alt_text="a_b")

    def found(query, kind=None):
        return [m.file_name for m in db.session.scalars(library.search(query, kind))]

    assert found("boat", "image") == [new.file_name, old.file_name]
    assert found("BOAT") == ["song.mp3", "boats-2.jpg", "harbour.jpg"]
    assert found("boat song") == ["song.mp3"]  # every word
    assert found("%") == ["x.jpg"] and found("_") == ["x.jpg"]  # wildcards are letters here
    assert found("", "audio") == ["song.mp3"]
    assert found("", "spreadsheet") == []


def test_a_placeholder_becomes_the_picture_when_the_file_arrives(app, make):
    item = make.media("beach.jpg", alt_text="Sand")
    post = make.post(body_md=f"![Sand](/media/{item.id}/beach.jpg)")
    assert "/media/files/" not in post.body_html  # a placeholder while the file is missing
    library.add_media(jpeg(), "beach.jpg", item=item)
    db.session.commit()
    db.session.refresh(post)
    assert f"/media/files/{item.stored_name[:2]}/" in post.body_html
