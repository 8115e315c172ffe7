"""The importer's small rules, table-driven: offsets, logins, menu links."""

from __future__ import annotations

import pytest

from blog.transfer.wordpress.importer import Importer, login_key, offset_name


@pytest.mark.parametrize(
    ("minutes", "name"),
    [(0, "UTC"), (300, "+05:00"), (-150, "-02:30"), (345, "+05:45"), (-720, "-12:00")],
)
def test_offset_name(minutes, name):
    assert offset_name(minutes) == name


@pytest.mark.parametrize(
    ("creator", "key"),
    [(">marie", "marie"), ("Marie", "marie"), (" <Marie> ", "marie"), ("jo", "jo")],
)
def test_login_key(creator, key):
    assert login_key(creator) == key


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://wordpress.org/", "https://wordpress.org/"),
        ("http://example.net/a?b=1", "http://example.net/a?b=1"),
        ("/feed.xml", "/feed.xml"),
        ("https://old.example.org/", "/"),
        ("https://OLD.example.org/about/?x=1#team", "/about/?x=1#team"),
        ("https://old.example.org.evil.example/", "https://old.example.org.evil.example/"),
        ("javascript:alert(1)", ""),
        ("//evil.example/", ""),
        ("/\\evil.example", ""),
        ("mailto:a@example.org", ""),
        ("#", ""),
        ("", ""),
        ("https://exa mple.org/", ""),
        ("https://example.org/" + "a" * 2000, ""),
    ],
)
def test_menu_links_kept_and_dropped(url, kept):
    importer = Importer()
    importer.old_sites = ["old.example.org"]
    assert importer.menu_url(url) == kept
