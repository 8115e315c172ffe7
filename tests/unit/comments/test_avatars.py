"""blog.comments.avatars: keyed avatar keys and the locally generated identicon SVG."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest

from blog.comments.avatars import avatar_key, identicon_svg, is_avatar_key

SECRET = "test-secret"
SVG_NS = "{http://www.w3.org/2000/svg}"
SAMPLE_KEYS = [avatar_key(f"reader{n}@example.com", SECRET) for n in range(8)]


def _cells(svg: str) -> set[tuple[int, int]]:
    """(x, y) of each filled cell: the unit rects, not the full-size background rect."""
    root = ET.fromstring(svg)
    return {
        (int(rect.get("x")), int(rect.get("y")))
        for rect in root.iter(f"{SVG_NS}rect")
        if rect.get("width") == "1"
    }


# --- avatar_key ---


def test_key_is_deterministic_and_well_formed():
    key = avatar_key("ada@example.com", SECRET)
    assert key == avatar_key("ada@example.com", SECRET)
    assert is_avatar_key(key)


@pytest.mark.parametrize(
    "variant", ["ADA@Example.COM", "  ada@example.com\n", "\tAda@example.com "]
)
def test_key_normalises_case_and_whitespace(variant):
    assert avatar_key(variant, SECRET) == avatar_key("ada@example.com", SECRET)


def test_different_emails_give_different_keys():
    assert len(set(SAMPLE_KEYS)) == len(SAMPLE_KEYS)


def test_different_secrets_give_different_keys():
    email = "ada@example.com"
    assert avatar_key(email, "one secret") != avatar_key(email, "another secret")


def test_str_and_bytes_secret_agree():
    assert avatar_key("ada@example.com", SECRET) == avatar_key("ada@example.com", SECRET.encode())


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
def test_key_is_not_a_plain_hash_of_the_email(algorithm):
    """Gravatar-style unkeyed hashes must not be recoverable from (or matchable to) the key."""
    email = "ada@example.com"
    plain = hashlib.new(algorithm, email.encode()).hexdigest()
    key = avatar_key(email, SECRET)
    assert key != plain
    assert key not in plain
    assert plain[:16] not in key


# --- is_avatar_key ---


def test_is_avatar_key_accepts_a_valid_key():
    assert is_avatar_key("0123456789abcdef" * 2)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0123456789ABCDEF" * 2,  # uppercase
        "0123456789abcdef",  # too short
        "0123456789abcdef" * 2 + "0",  # too long
        "0123456789abcdeg" * 2,  # not hex
        "../etc/passwd",
        "../" + "a" * 29,
        "a" * 31 + "/",
        " " + "a" * 31,
        "a" * 31 + "\n",
    ],
)
def test_is_avatar_key_rejects_invalid_values(value):
    assert not is_avatar_key(value)


# --- identicon_svg ---


@pytest.mark.parametrize("key", SAMPLE_KEYS[:3])
def test_identicon_is_a_safe_svg_document(key):
    svg = identicon_svg(key)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == "40"
    assert root.get("height") == "40"
    assert root.get("role") == "img"
    assert root.get("shape-rendering") == "crispEdges"
    lowered = svg.lower()
    for forbidden in ("<script", "style", "href", "url(", "javascript:"):
        assert forbidden not in lowered


def test_identicon_is_deterministic():
    assert identicon_svg(SAMPLE_KEYS[0]) == identicon_svg(SAMPLE_KEYS[0])


def test_different_keys_give_different_identicons():
    svgs = {identicon_svg(key) for key in SAMPLE_KEYS}
    assert len(svgs) == len(SAMPLE_KEYS)


@pytest.mark.parametrize("key", [*SAMPLE_KEYS, "f" * 32, "0" * 32])
def test_identicon_is_mirror_symmetric(key):
    cells = _cells(identicon_svg(key))
    assert all(0 <= x < 5 and 0 <= y < 5 for x, y in cells)
    assert cells == {(4 - x, y) for x, y in cells}


def test_identicon_cells_follow_the_key():
    assert _cells(identicon_svg("f" * 32)) == {(x, y) for x in range(5) for y in range(5)}
    assert _cells(identicon_svg("0" * 32)) == set()


@pytest.mark.parametrize("bad", ["", "ABCDEF" * 6, "../etc/passwd", "g" * 32, "a" * 33])
def test_identicon_rejects_invalid_keys(bad):
    with pytest.raises(ValueError):
        identicon_svg(bad)
