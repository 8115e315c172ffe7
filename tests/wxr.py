"""WordPress export files for the tests (the hand-written one: tests/data/wordpress.xml)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "wordpress.xml"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel><title>Generated</title><wp:wxr_version>1.1</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>gen</wp:author_login></wp:author>
"""
ITEM = """<item><title>Post {n}</title><dc:creator>gen</dc:creator>
<content:encoded><![CDATA[<!-- wp:paragraph --><p>{text}</p><!-- /wp:paragraph -->]]>
</content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt>
<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="generated"><![CDATA[Generated]]></category>
<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>Reader</wp:comment_author>
<wp:comment_content>First! {text}</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_parent>0</wp:comment_parent></wp:comment>
</item>
"""
TAIL = "</channel></rss>\n"


def write_wxr(path: Path, items: int, first_id: int = 1, text_size: int = 2000) -> Path:
    """A WXR 1.1 file with ``items`` posts of about ``text_size`` characters, one comment each."""
    text = ("Good news travels far. " * (text_size // 23 + 1))[:text_size]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(first_id, first_id + items):
            out.write(ITEM.format(n=n, text=text))
        out.write(TAIL)
    return path


# A whole WordPress site, written for the tests in WordPress's own layout (WXR 1.2, offset +05:00):
# pages, nested categories, menus, sticky/private/password posts, more/nextpage, escaped comments.
SITE = DATA / "wordpress-site.xml"
