"""The site's time zone (setting TIMEZONE): dates readers and authors see, <time> offsets, and
month archives grouped by the site's own months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from blog.settings import parse_timezone, save_settings

SETTINGS = {
    "site_title": "Good News",
    "site_tagline": "Tagline",
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
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("UTC", UTC),
        ("+05:00", timezone(timedelta(hours=5))),
        ("-03:30", timezone(-timedelta(hours=3, minutes=30))),
        ("+00:00", UTC),
        ("Europe/Berlin", ZoneInfo("Europe/Berlin")),
        ("America/Argentina/Buenos_Aires", ZoneInfo("America/Argentina/Buenos_Aires")),
    ],
)
def test_time_zones_understood(typed, expected):
    assert parse_timezone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "Mars/Olympus",
        "+5",
        "+25:00",
        "05:00",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/",
        "x" * 70,
    ],
)
def test_time_zones_refused(typed):
    with pytest.raises(ValueError):
        parse_timezone(typed)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dates_are_shown_in_site_time(app, client, make):
    save_settings({"TIMEZONE": "+05:00"})
    # 23:30 on January 3rd at +05:00 is 18:30 UTC.
    late = make.post("Late evening", published_at=at(2012, 1, 3, 18, 30))
    # 20:00 UTC is already January 4th at +05:00 (WordPress showed that day).
    next_day = make.post("Next day", published_at=at(2012, 1, 3, 20, 0))
    make.comment(next_day, created_at=at(2012, 1, 3, 20, 0))
    html = client.get(f"/posts/{late.slug}").get_data(as_text=True)
    assert '<time datetime="2012-01-03T23:30:00+05:00">January 3, 2012</time>' in html
    html = client.get(f"/posts/{next_day.slug}").get_data(as_text=True)
    assert '<time datetime="2012-01-04T01:00:00+05:00">January 4, 2012</time>' in html
    assert "January 4, 2012 at 01:00" in html  # the comment's date
    home = client.get("/").get_data(as_text=True)
    assert "January 4, 2012" in home and "January 3, 2012" in home
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "<published>2012-01-04T01:00:00+05:00</published>" in feed


def test_month_archives_are_the_sites_months(app, client, make):
    save_settings({"TIMEZONE": "+05:00"})
    make.post("February there", published_at=at(2012, 1, 31, 20, 0))  # Feb 1st, 01:00 local
    make.post("January there", published_at=at(2012, 1, 31, 18, 0))  # Jan 31st, 23:00 local
    january = client.get("/archive/2012/1").get_data(as_text=True)
    assert "January there" in january and "February there" not in january
    february = client.get("/archive/2012/2").get_data(as_text=True)
    assert "February there" in february and "January there" not in february
    sidebar = client.get("/").get_data(as_text=True)
    assert "February 2012</a> (1)" in sidebar and "January 2012</a> (1)" in sidebar


def test_summer_time_of_a_named_zone(app, client, make):
    save_settings({"TIMEZONE": "Europe/Berlin"})
    summer = make.post("Summer", published_at=at(2020, 6, 30, 22, 30))  # July 1st, 00:30 CEST
    winter = make.post("Winter", published_at=at(2020, 12, 31, 22, 30))  # 23:30 CET
    html = client.get(f"/posts/{summer.slug}").get_data(as_text=True)
    assert '<time datetime="2020-07-01T00:30:00+02:00">July 1, 2020</time>' in html
    html = client.get(f"/posts/{winter.slug}").get_data(as_text=True)
    assert '<time datetime="2020-12-31T23:30:00+01:00">December 31, 2020</time>' in html
    assert "Summer" in client.get("/archive/2020/7").get_data(as_text=True)
    assert client.get("/archive/2020/6").status_code == 404


def test_utc_by_default(client, make):
    post = make.post("Plain", published_at=at(2012, 1, 3, 20, 0))
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert '<time datetime="2012-01-03T20:00:00Z">January 3, 2012</time>' in html


def test_the_settings_page_edits_the_time_zone(client, admin):
    admin.login()
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="timezone"' in page and 'value="UTC"' in page
    response = client.post("/admin/settings", data={**SETTINGS, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Mars/Olympus"' in html
    assert 'id="timezone-error" class="field-error">Enter &#34;UTC&#34;' in html or (
        'id="timezone-error" class="field-error">Enter &quot;UTC&quot;' in html
    )
    assert 'aria-invalid="true"' in html
    for value in ("Europe/Berlin", "+05:00"):
        response = client.post("/admin/settings", data={**SETTINGS, "timezone": value})
        assert response.status_code == 303, value
        assert f'value="{value}"' in client.get("/admin/settings").get_data(as_text=True)


def test_admin_lists_show_site_time(client, admin, make):
    save_settings({"TIMEZONE": "+05:00"})
    post = make.post("Listed", published_at=at(2012, 1, 3, 20, 0))
    make.comment(post, created_at=at(2012, 1, 3, 20, 30))
    admin.login()
    posts = client.get("/admin/posts").get_data(as_text=True)
    assert '2012-01-04 <span class="time">01:00</span>' in posts
    comments = client.get("/admin/comments?status=all").get_data(as_text=True)
    assert '2012-01-04 <span class="time">01:30</span>' in comments


def test_an_author_types_publish_times_in_site_time(client, admin):
    """WordPress's editor reads and writes the site's time: 09:30 typed at +05:00 is 04:30 UTC,
    the field shows 09:30 again, and the hint names the zone."""
    from sqlalchemy import select

    from blog.extensions import db
    from blog.models import Post

    save_settings({"TIMEZONE": "+05:00"})
    admin.login()
    data = {
        "title": "Planned",
        "body": "Text",
        "action": "schedule",
        "publish_at": "2099-05-01 09:30",
    }
    saved = client.post("/admin/posts/new", data=data, follow_redirects=True)
    # The message names the time as typed, in the site's zone (it once said "04:30 UTC" wrongly
    # labelled, or the UTC time).
    assert "Scheduled for 2099-05-01 09:30 (UTC+05:00)." in saved.get_data(as_text=True)
    post = db.session.scalars(select(Post).where(Post.title == "Planned")).one()
    assert post.status == "scheduled"
    assert post.published_at.astimezone(UTC) == datetime(2099, 5, 1, 4, 30, tzinfo=UTC)
    html = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="2099-05-01 09:30"' in html
    assert "in the site&rsquo;s time zone (UTC+05:00;" in html
    assert "for <time" in html and '2099-05-01 <span class="time">09:30</span>' in html
    assert " UTC" not in html.split('id="publish-at-hint"')[0].rsplit("<fieldset", 1)[-1]
