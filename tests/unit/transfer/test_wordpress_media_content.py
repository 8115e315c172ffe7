"""WordPress's media markup -> our source conventions (blog.transfer.wordpress.media), both
steps: blocks and shortcodes while a post is read, references once the attachments are known."""

from __future__ import annotations

import pytest

from blog.transfer.wordpress.content import convert_post, post_source
from blog.transfer.wordpress.media import (
    Attachment,
    AttachmentIndex,
    attributes,
    footnotes_list,
    player_links,
    rewrite_references,
)

UP = "https://old.example/wp-content/uploads/2024/05/"
UUID = "9c7b1a2e-3f4d-4e5a-8b6c-0d1e2f3a4b5c"


@pytest.mark.parametrize(
    ("wordpress", "ours"),
    [
        # The Image block: alignment on the figure, size on the picture, the caption's link kept.
        (
            '<!-- wp:image {"id":7} --><figure class="wp-block-image aligncenter size-large">'
            f'<img src="{UP}a.jpg" alt="A" class="wp-image-7"/><figcaption class="wp-element-'
            'caption">By <a href="https://x.example/">X</a></figcaption></figure>'
            "<!-- /wp:image -->",
            f'<figure class="aligncenter"><img src="{UP}a.jpg" alt="A" class="size-large '
            'wp-image-7"><figcaption>By <a href="https://x.example/">X</a></figcaption></figure>',
        ),
        # The older Image block, its figure inside a div.
        (
            '<div class="wp-block-image"><figure class="alignleft size-medium">'
            f'<img src="{UP}a-300x200.jpg" alt="" class="wp-image-7"/></figure></div>',
            f'<figure class="alignleft"><img src="{UP}a-300x200.jpg" alt="" '
            'class="size-medium wp-image-7"></figure>',
        ),
        # srcset and sizes go everywhere (the renderer makes its own).
        (
            f'<p><img src="{UP}a.jpg" srcset="{UP}a-300x200.jpg 300w" sizes="100vw" alt="A"></p>',
            f'<p><img src="{UP}a.jpg" alt="A"></p>',
        ),
        # [caption]: its alignment kept, and the caption's link.
        (
            '[caption id="attachment_7" align="alignright" width="300"]<img src="a.jpg" '
            'alt="A"> At <a href="https://x.example/">dawn</a>[/caption]',
            '<figure class="alignright"><img src="a.jpg" alt="A"><figcaption>At '
            '<a href="https://x.example/">dawn</a></figcaption></figure>',
        ),
        (
            '[caption align="alignbogus"]<img src="a.jpg"> A[/caption]',
            '<figure><img src="a.jpg"><figcaption>A</figcaption></figure>',
        ),
        # Galleries keep WordPress's ids until the attachments are known.
        (
            '[gallery ids="3, 4,5" columns="3" size="medium"]',
            '<p>[wp-gallery ids="3,4,5" columns="3"]</p>',
        ),
        ('[gallery link="file"]', "<p>[wp-gallery]</p>"),
        ('[gallery include="8,9" columns="99"]', '<p>[wp-gallery ids="8,9"]</p>'),
        # Players: one source, our form; the Audio and Video blocks likewise.
        (f'[audio mp3="{UP}a.mp3"][/audio]', f'<p>[audio src="{UP}a.mp3"]</p>'),
        (f'[video width="640" mp4="{UP}v.mp4" poster="p.jpg"]', f'<p>[video src="{UP}v.mp4"]</p>'),
        ("[audio]", ""),
        (
            f'<figure class="wp-block-audio"><audio controls src="{UP}a.wav"></audio>'
            "<figcaption>Waves</figcaption></figure>",
            f'<figure><audio src="{UP}a.wav"></audio><figcaption>Waves</figcaption></figure>',
        ),
        (
            f'<figure class="wp-block-video"><video controls autoplay loop src="{UP}v.mp4">'
            "</video></figure>",
            f'<p>[video src="{UP}v.mp4"]</p>',
        ),
        (
            f'<p>Hear: <audio controls autoplay><source src="{UP}a.ogg" type="audio/ogg">'
            "</audio></p>",
            f'<p>Hear: <audio src="{UP}a.ogg"></audio></p>',
        ),
        # The File block: the link, without its Download button or preview.
        (
            f'<div class="wp-block-file"><object class="wp-block-file__embed" data="{UP}r.pdf" '
            f'type="application/pdf"></object><a id="f-1" href="{UP}r.pdf">Report</a>'
            f'<a href="{UP}r.pdf" class="wp-block-file__button" download>Download</a></div>',
            f'<p><a href="{UP}r.pdf">Report</a></p>',
        ),
        # Embeds: the URL alone on its line (a card or a link when shown).
        (
            '<!-- wp:embed {"url":"https://youtu.be/x"} --><figure class="wp-block-embed '
            'is-type-video is-provider-youtube wp-block-embed-youtube"><div class="wp-block-'
            'embed__wrapper">\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=5\n</div>'
            "<figcaption>A song</figcaption></figure><!-- /wp:embed -->",
            "<p>https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=5</p>\n\n<p>A song</p>",
        ),
        ("[embed]https://vimeo.com/1[/embed]", "<p>https://vimeo.com/1</p>"),
        (
            "Before\n\nhttps://vimeo.com/2\n\nAfter",
            "<p>Before</p>\n\n<p>https://vimeo.com/2</p>\n\n<p>After</p>",
        ),
        # Details and footnote references pass through.
        (
            "<details><summary>More</summary><p>Text</p></details>",
            "<details>\n\n<summary>More</summary>\n\n<p>Text</p>\n\n</details>",
        ),
        (
            f'<p>A<sup data-fn="{UUID}" class="fn"><a href="#{UUID}" id="{UUID}-link">1</a>'
            "</sup></p>",
            f'<p>A<sup data-fn="{UUID}" class="fn"><a href="#{UUID}" id="{UUID}-link">1</a>'
            "</sup></p>",
        ),
        # Dynamic blocks leave nothing visible.
        ('<p>A</p><!-- wp:latest-posts {"postsToShow":3} /--><p>B</p>', "<p>A</p>\n\n<p>B</p>"),
    ],
)
def test_blocks_and_shortcodes(wordpress, ours):
    assert post_source(wordpress) == ours


def test_gallery_block_lists_its_pictures_and_the_captions_it_showed():
    converted = convert_post(
        '<!-- wp:gallery --><figure class="wp-block-gallery has-nested-images columns-2">'
        '<!-- wp:image {"id":5} --><figure class="wp-block-image"><img src="a.jpg" '
        'class="wp-image-5" data-id="5"/><figcaption>Gulls <em>flying</em></figcaption>'
        '</figure><!-- /wp:image --><figure class="wp-block-image"><img src="b.jpg" '
        'data-id="6"/></figure><figure class="wp-block-image"><img src="https://else.example/'
        'c.jpg" alt="C"/></figure><figcaption class="blocks-gallery-caption">Our week'
        "</figcaption></figure><!-- /wp:gallery -->"
    )
    assert converted.source == (
        '<p>[wp-gallery ids="5,6" columns="2"]</p>\n\n'
        '<figure class="wp-block-image"><img src="https://else.example/c.jpg" alt="C"/>'
        "</figure>\n\n<p>Our week</p>"
    )
    assert converted.gallery_captions == {5: "Gulls <em>flying</em>"}


def test_the_older_gallery_block_of_lists():
    converted = convert_post(
        '<figure class="wp-block-gallery columns-3 is-cropped"><ul class="blocks-gallery-grid">'
        '<li class="blocks-gallery-item"><figure><img src="a.jpg" data-id="11" '
        'class="wp-image-11"/><figcaption class="blocks-gallery-item__caption">One</figcaption>'
        '</figure></li><li class="blocks-gallery-item"><figure><img src="b.jpg" data-id="12"/>'
        "</figure></li></ul></figure>"
    )
    assert converted.source == '<p>[wp-gallery ids="11,12" columns="3"]</p>'
    assert converted.gallery_captions == {11: "One"}


def test_dynamic_blocks_are_named():
    converted = convert_post(
        '<!-- wp:latest-posts {"postsToShow":3} /--><!-- wp:core/rss {"feedURL":"x"} /-->'
        '<!-- wp:query {"queryId":1} --><div class="wp-block-query"></div><!-- /wp:query -->'
        '<!-- wp:block {"ref":12} /-->'
        '<!-- wp:image {"id":1} --><figure class="wp-block-image"><img src="a.jpg"/></figure>'
        "<!-- /wp:image -->"
    )
    assert converted.dynamic_blocks == ["latest-posts", "rss", "reusable block", "query loop"]


def test_footnotes_from_the_posts_meta_replace_their_block():
    meta = f'[{{"content":"Seen <em>twice</em>.","id":"{UUID}"}}, {{"bad": 1}}]'
    source = convert_post("<p>A</p><!-- wp:footnotes /-->", meta).source
    assert source == (
        f'<p>A</p>\n\n<ol class="wp-block-footnotes">\n\n<li id="{UUID}">Seen <em>twice</em>. '
        f'<a href="#{UUID}-link">↩︎</a></li>\n\n</ol>'
    )
    assert convert_post("<p>A</p><!-- wp:footnotes /-->", "not json").source == "<p>A</p>"
    assert footnotes_list('[{"id": "\\"><script>", "content": "x"}]').startswith(
        '<ol class="wp-block-footnotes"><li id="&quot;&gt;&lt;script&gt;">'
    )


def test_attributes_are_read_decoded():
    assert attributes('<img src="a.jpg" alt=\'A &amp; B\' hidden data-id=7 ALT="no">') == {
        "src": "a.jpg",
        "alt": "A & B",
        "hidden": "",
        "data-id": "7",
    }


# --- step 2 ----------------------------------------------------------------------------------


@pytest.fixture
def index() -> AttachmentIndex:
    found = AttachmentIndex()
    found.add_site("https://old.example")
    found.add(Attachment(1, 101, "a.jpg", "2024/05/a.jpg", parent=10, order=2), f"{UP}a.jpg")
    found.add(Attachment(2, 102, "b.png", "2024/05/b.png", parent=10, order=1), f"{UP}b.png")
    found.add(Attachment(3, 103, "big-scaled.jpg", "2024/05/big-scaled.jpg"), f"{UP}big-scaled.jpg")
    found.add(Attachment(4, 104, "my photo.jpg", "2024/05/my photo.jpg"), f"{UP}my%20photo.jpg")
    found.add(Attachment(5, 105, "s.mp3", "2024/05/s.mp3"), f"{UP}s.mp3")
    return found


@pytest.mark.parametrize(
    ("source", "ours"),
    [
        (f'<img src="{UP}a.jpg" alt="A" width="800">', '<img src="/media/1/a.jpg" alt="A">'),
        # By its class even when the address is a CDN's; only alignment and size classes stay.
        (
            '<img src="https://cdn.example/x.jpg" class="alignleft size-full wp-image-102 '
            'extra" alt="B" loading="lazy">',
            '<img src="/media/2/b.png" alt="B" class="alignleft size-full">',
        ),
        # WordPress's sized copies: the same attachment, our nearest size.
        (f'<img src="{UP}a-150x150.jpg">', '<img src="/media/1/a.jpg" class="size-thumbnail">'),
        (
            f'<img src="{UP}a-300x200.jpg" class="size-large">',
            '<img src="/media/1/a.jpg" class="size-medium">',
        ),
        (f'<img src="{UP}a-1024x683.jpg">', '<img src="/media/1/a.jpg" class="size-large">'),
        (f'<img src="{UP}big.jpg">', '<img src="/media/3/big-scaled.jpg">'),
        (
            f'<img src="{UP}big-300x200.jpg">',
            '<img src="/media/3/big-scaled.jpg" class="size-medium">',
        ),
        ('<img src="/wp-content/uploads/2024/05/a.jpg">', '<img src="/media/1/a.jpg">'),
        (
            '<img src="//WWW.old.example/wp-content/uploads/2024/05/a.jpg">',
            '<img src="/media/1/a.jpg">',
        ),
        (
            '<a href="http://old.example/wp-content/uploads/2024/05/a.jpg">',
            '<a href="/media/1/a.jpg">',
        ),
        (f'<img src="{UP}my%20photo.jpg">', '<img src="/media/4/my%20photo.jpg">'),
        # Links to a file; the old site's other addresses and other sites are left alone.
        (
            f'<a href="{UP}a.jpg" rel="noopener">A</a>',
            '<a href="/media/1/a.jpg" rel="noopener">A</a>',
        ),
        (
            '<a href="https://old.example/about/">About</a>',
            '<a href="https://old.example/about/">About</a>',
        ),
        (
            '<img src="https://other.example/wp-content/uploads/2024/05/a.jpg">',
            '<img src="https://other.example/wp-content/uploads/2024/05/a.jpg">',
        ),
        (f'<img src="{UP}gone.jpg">', f'<img src="{UP}gone.jpg">'),
        # The attachment's page on the old site (WordPress's "link to attachment page").
        (
            '<a href="https://old.example/?attachment_id=102"><img src="x.jpg"></a>',
            '<a href="/media/2/b.png"><img src="x.jpg"></a>',
        ),
        ('<a href="/?attachment_id=101">A</a>', '<a href="/media/1/a.jpg">A</a>'),
        (
            '<a href="https://else.example/?attachment_id=101">A</a>',
            '<a href="https://else.example/?attachment_id=101">A</a>',
        ),
        # Galleries and players.
        ('[wp-gallery ids="102,999,101" columns="2"]', '[gallery ids="2,1" columns="2"]'),
        ("[wp-gallery]", '[gallery ids="2,1"]'),  # the post's own, in menu order
        ('[wp-gallery ids="999"]', ""),
        (f'[audio src="{UP}s.mp3"]', '[audio src="/media/5/s.mp3"]'),
        (f'<audio src="{UP}s.mp3"></audio>', '<audio src="/media/5/s.mp3"></audio>'),
    ],
)
def test_references_become_our_addresses(index, source, ours):
    assert rewrite_references(source, index, wp_post_id=10).source == ours


def test_what_a_post_uses_is_collected(index):
    rewritten = rewrite_references(
        f'<img src="{UP}a.jpg">[wp-gallery ids="102"][wp-gallery ids="7"]', index, 10
    )
    assert rewritten.media_ids == {1, 2}
    assert rewritten.galleries_emptied == 1


def test_players_for_files_we_do_not_have_become_links():
    assert player_links('[audio src="https://else.example/a.mp3?x=1&amp;y=2"]') == (
        '<a href="https://else.example/a.mp3?x=1&amp;y=2">https://else.example/a.mp3?x=1&amp;y=2</a>'
    )
    assert player_links('[video src="/media/3/v.mp4"]') == '[video src="/media/3/v.mp4"]'
