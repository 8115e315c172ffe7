"""The site's language and date format (settings SITE_LANGUAGE, DATE_FORMAT, TIME_FORMAT): what a
reader of a German site in Lahore's time zone sees, what stays ISO 8601 (feeds, datetime
attributes), and that a change shows at once on pages the cache holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string

from blog.models import CommentStatus
from blog.settings import save_settings
from tests.helpers import HX, TEXT, fields

# 20:00 UTC on January 3rd is 01:00 on January 4th in Lahore (Asia/Karachi, +05:00, no DST).
PUBLISHED = datetime(2012, 1, 3, 20, 0, tzinfo=UTC)
COMMENTED = datetime(2012, 1, 3, 21, 5, tzinfo=UTC)  # 02:05 there


@pytest.fixture
def german_lahore(app):
    save_settings({"SITE_LANGUAGE": "de", "TIMEZONE": "Asia/Karachi"})


def test_a_german_site_in_lahore(client, make, german_lahore):
    post = make.post("Gute Nachrichten", published_at=PUBLISHED)
    make.comment(
        post,
        author_name="Ayesha",
        created_at=COMMENTED,
        status=CommentStatus.APPROVED.value,
    )
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert '<time datetime="2012-01-04T01:00:00+05:00">4. Januar 2012</time>' in html
    assert '<time datetime="2012-01-04T02:05:00+05:00">4. Januar 2012 um 02:05</time>' in html
    assert "Ein Gedanke zu &bdquo;Gute Nachrichten&ldquo;" in html
    assert "Schreibe einen Kommentar" in html and "Kommentar abschicken" in html
    assert "Deine E-Mail-Adresse wird nicht veröffentlicht." in html
    assert "Erforderliche Felder sind mit" in html
    assert 'aria-label="Antworte Ayesha">Antworten</a>' in html
    for english in ("Leave a Reply", "Post Comment", "thought on", " at 02:05", "January"):
        assert english not in html, english

    home = client.get("/").get_data(as_text=True)
    assert "1 Kommentar</a>" in home and "Weiterlesen" in home
    assert "Januar 2012</a> (1)" in home  # the sidebar's archives, in German month names
    archive = client.get("/archive/2012/1").get_data(as_text=True)
    assert '<h1 class="archive-title">Monat: Januar 2012</h1>' in archive
    assert "<title>Januar 2012 &ndash;" in archive

    # Machines read ISO 8601 with the offset, whatever the language.
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "<published>2012-01-04T01:00:00+05:00</published>" in feed
    assert "Januar" not in feed
    comments_feed = client.get(f"/posts/{post.slug}/comments.xml").get_data(as_text=True)
    assert "Kommentare zu „Gute Nachrichten“" in comments_feed
    assert "<published>2012-01-04T02:05:00+05:00</published>" in comments_feed

    found = client.get("/search?q=Nachrichten").get_data(as_text=True)
    assert "1 Ergebnis" in found and ">4. Januar 2012</time>" in found
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Seite nicht gefunden" in missing.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain-post", "htmx"])
def test_a_german_readers_mistakes_are_named_in_german(
    client, make, german_lahore, fast_posting, htmx
):
    post = make.post("Gute Nachrichten", published_at=PUBLISHED)
    data = fields(client, post, author="  ", email="niemand", url="https://exa mple.org")
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX if htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte prüfe diese Felder:" in html
    assert "Bitte gib deinen Namen ein (er darf nicht nur aus Leerzeichen bestehen)." in html
    assert "Bitte gib eine gültige E-Mail-Adresse ein, etwa name@example.org." in html
    assert "Eine Webadresse darf keine Leerzeichen enthalten." in html
    if htmx:  # the status line read out to screen readers
        assert (
            "Dein Kommentar wurde nicht veröffentlicht: Bitte prüfe die markierten Felder." in html
        )
    assert 'value="https://exa mple.org"' in html  # what was typed stays
    assert "Please" not in html

    # Fixed: posted (published at once: no moderation here), in German, in Lahore's time.
    save_settings({"COMMENT_MODERATION": "none"})
    make.comment(post, created_at=COMMENTED, status=CommentStatus.APPROVED.value)
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX if htmx else {}
    )
    assert response.status_code in (200, 303)
    if htmx:
        assert "Kommentar veröffentlicht." in response.get_data(as_text=True)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "2 Gedanken zu &bdquo;Gute Nachrichten&ldquo;" in page
    assert page.count(TEXT) == 1
    dated = re.findall(
        r'<time datetime="[-\dT:]+\+05:00">\d+\. [A-Za-zä]+ \d{4} um \d\d:\d\d</time>', page
    )
    assert len(dated) == 2  # the earlier comment and the new one


def at_clock(hour: int, minute: int) -> datetime:
    return datetime(2026, 12, 5, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "date_format", "time_format", "shown"),
    [
        ("en", "long", "24h", "December 5, 2026 at 14:05"),
        ("en", "mdy", "12h", "12/05/2026 at 2:05 PM"),
        ("en", "dmy", "24h", "05/12/2026 at 14:05"),
        ("en", "iso", "24h", "2026-12-05 at 14:05"),
        ("en", "medium", "locale", "Dec 5, 2026 at 2:05\u202fPM"),  # CLDR's narrow space
        ("de", "medium", "locale", "05.12.2026 um 14:05"),
        ("de", "long", "24h", "5. Dezember 2026 um 14:05"),
    ],
)
def test_each_date_format(client, make, language, date_format, time_format, shown):
    save_settings(
        {"SITE_LANGUAGE": language, "DATE_FORMAT": date_format, "TIME_FORMAT": time_format}
    )
    post = make.post("Dated", published_at=at_clock(9, 0))
    make.comment(post, created_at=at_clock(14, 5), status=CommentStatus.APPROVED.value)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'<time datetime="2026-12-05T14:05:00Z">{shown}</time>' in html


def test_the_settings_page_offers_formats_and_languages(client, admin, make):
    admin.login()
    page = client.get("/admin/settings").get_data(as_text=True)
    today = datetime.now(UTC)
    assert f">{today:%Y-%m-%d}</option>" in page  # each choice shows today's date in it
    assert f">{today:%m/%d/%Y}</option>" in page and f">{today:%d/%m/%Y}</option>" in page
    assert '<option value="de">Deutsch</option>' in page
    assert '<option value="en" selected>English</option>' in page
    form = {
        "site_title": "Good News",
        "site_tagline": "",
        "posts_per_page": "10",
        "comment_moderation": "first-time",
        "comment_max_links": "2",
        "comment_moderation_words": "",
        "comment_disallowed_words": "",
        "comment_close_after_days": "0",
        "comment_thread_depth": "5",
        "comments_per_page": "50",
        "comment_order": "oldest",
        "comment_edit_minutes": "15",
        "timezone": "Asia/Karachi",
        "time_format": "24h",
    }
    for field, bad in (("date_format", "%Y %B"), ("site_language", "xx")):
        response = client.post("/admin/settings", data={**form, field: bad})
        assert response.status_code == 422, field
        assert 'aria-invalid="true"' in response.get_data(as_text=True)

    # Saving changes what readers see at once, on a page the cache already holds.
    post = make.post("Cached", published_at=PUBLISHED)
    assert ">January 3, 2012</time>" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    good = {**form, "date_format": "dmy", "site_language": "de"}
    assert client.post("/admin/settings", data=good).status_code == 303
    admin.logout()
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert ">04/01/2012</time>" in html and "Kommentar abschicken" in html
    settings = client.get("/admin/settings")
    assert settings.status_code in (302, 303)  # signed out: the admin is not for readers


def test_placeholders_and_request_faults_speak_the_sites_language(client, make, german_lahore):
    lost = make.post("Verloren", featured_media=make.media("weg.jpg"))
    html = client.get(f"/posts/{lost.slug}").get_data(as_text=True)
    assert "Bild noch nicht vorhanden: weg.jpg" in html
    assert "Picture not here yet" not in html
    # What static/js/blog.js says when a request fails comes from the page, in German.
    assert (
        'data-text-fault-server="Die Website konnte das gerade nicht ausführen (Fehler {status}).'
        in html
    )
    assert (
        'data-text-fault-unreached="Die Website war nicht erreichbar, daher wurde nichts gesendet."'
        in html
    )


def test_a_new_language_or_format_shows_at_once_in_the_same_request(app):
    """Dates and interface text are looked up once per request (blog.web.templating.date_style,
    blog.web.i18n.request_translations): saving the settings starts both anew, so what a CLI
    command or the settings page renders next already speaks the saved choice."""
    when = at_clock(14, 5)
    page = "{{ when|date_and_time }} | {{ _('Reply') }} | {{ when|iso_datetime }}"
    with app.test_request_context():
        shown = render_template_string(page, when=when)
        assert shown == "December 5, 2026 at 14:05 | Reply | 2026-12-05T14:05:00Z"
        save_settings({"SITE_LANGUAGE": "de", "DATE_FORMAT": "long", "TIMEZONE": "Asia/Karachi"})
        shown = render_template_string(page, when=when)
        assert shown == "5. Dezember 2026 um 19:05 | Antworten | 2026-12-05T19:05:00+05:00"
        save_settings({"SITE_LANGUAGE": "en", "DATE_FORMAT": "iso", "TIME_FORMAT": "12h"})
        shown = render_template_string(page, when=when)
        assert shown == "2026-12-05 at 7:05 PM | Reply | 2026-12-05T19:05:00+05:00"
