"""A commenter's website (issue #23, part 5): one check made with rfc3986 and IDNA, used by the
comment forms (blog.web.forms.web_address) and the importers; refused with a message that says
what is wrong, stored in its normalised form when good."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from wtforms.validators import ValidationError

from blog.sanitize import (
    BAD_WEB_ADDRESS,
    WEB_ADDRESS_CHARACTERS,
    WEB_ADDRESS_CREDENTIALS,
    WEB_ADDRESS_HOST,
    WEB_ADDRESS_PORT,
    WEB_ADDRESS_SPACES,
    WEB_ADDRESS_TOO_LONG,
    WebAddressError,
    check_link_url,
    check_web_address,
)
from blog.web.forms import URL_MAX, web_address

BAD = [
    ("https://exa mple.org", WEB_ADDRESS_SPACES),
    ("https://example.org/a b", WEB_ADDRESS_SPACES),
    ("https://example.org\t", WEB_ADDRESS_SPACES),
    ("http://exa<mple.org", WEB_ADDRESS_CHARACTERS),
    ("https://exa{mple.org", WEB_ADDRESS_CHARACTERS),
    ("https://example.org/\\evil", WEB_ADDRESS_CHARACTERS),
    ("https://exa\u200bmple.org", WEB_ADDRESS_CHARACTERS),  # zero-width space
    ("https://example.org/\u202e", WEB_ADDRESS_CHARACTERS),  # right-to-left override
    ("http://[::1", WEB_ADDRESS_HOST),
    ("http://[evil]", WEB_ADDRESS_HOST),
    ("http://[::1]x", WEB_ADDRESS_HOST),
    ("https://-bad-.org", WEB_ADDRESS_HOST),
    ("https://bad-.org", WEB_ADDRESS_HOST),
    ("https://" + "a" * 64 + ".org", WEB_ADDRESS_HOST),  # a label of 64 characters
    ("https://" + ".".join(["a" * 60] * 5), WEB_ADDRESS_HOST),  # a name over 253 characters
    ("https://a..b.org", WEB_ADDRESS_HOST),
    ("https://ex_ample.org", WEB_ADDRESS_HOST),
    ("https://exa%20mple.org", WEB_ADDRESS_HOST),
    ("https://", WEB_ADDRESS_HOST),
    ("https:///path", WEB_ADDRESS_HOST),
    ("http://999.1.1.1/", WEB_ADDRESS_HOST),
    ("https://example.org:99999", WEB_ADDRESS_PORT),
    ("https://example.org:0", WEB_ADDRESS_PORT),
    ("https://example.org:8o", WEB_ADDRESS_PORT),
    ("https://example.org:\u0661\u0662", WEB_ADDRESS_PORT),  # Arabic-Indic digits
    ("https://user:pass@example.org", WEB_ADDRESS_CREDENTIALS),
    ("https://bank.example@evil.example", WEB_ADDRESS_CREDENTIALS),
    ("javascript:alert(1)", BAD_WEB_ADDRESS),
    ("data:text/html,x", BAD_WEB_ADDRESS),
    ("ftp://example.org", BAD_WEB_ADDRESS),
    ("//example.org", BAD_WEB_ADDRESS),
    ("/admin/", BAD_WEB_ADDRESS),
    ("", BAD_WEB_ADDRESS),
]

GOOD = [
    ("https://example.org", "https://example.org"),
    ("https://example.org/", "https://example.org/"),
    ("HTTPS://Example.ORG/Path", "https://example.org/Path"),
    ("http://example.org:8080/a/b?q=1&r=2#top", "http://example.org:8080/a/b?q=1&r=2#top"),
    ("https://example.org/a/../b/./c", "https://example.org/b/c"),
    ("https://example.org:", "https://example.org"),
    ("https://example.org.", "https://example.org"),
    ("https://bücher.de", "https://xn--bcher-kva.de"),
    ("https://BÜCHER.de/straße?ü=1", "https://xn--bcher-kva.de/stra%C3%9Fe?%C3%BC=1"),
    ("https://xn--bcher-kva.de", "https://xn--bcher-kva.de"),
    ("https://例え.jp/", "https://xn--r8jz45g.jp/"),
    ("http://192.0.2.1/", "http://192.0.2.1/"),
    ("http://[2001:DB8:0::1]:8443/", "http://[2001:db8::1]:8443/"),
    ("https://a-b.example.org/%7euser", "https://a-b.example.org/%7Euser"),
    ("https://" + "a" * 63 + ".org", "https://" + "a" * 63 + ".org"),
    # After the host, characters a URL cannot hold are percent-encoded as a browser sends them.
    (
        'https://example.org/"x"?a=<b>&c={d}|e^`',
        "https://example.org/%22x%22?a=%3Cb%3E&c=%7Bd%7D%7Ce%5E%60",
    ),
]


@pytest.mark.parametrize(("value", "message"), BAD)
def test_a_bad_address_is_refused_with_its_message(value, message):
    with pytest.raises(WebAddressError) as error:
        check_web_address(value)
    assert str(error.value) == message


@pytest.mark.parametrize(("value", "stored"), GOOD)
def test_a_good_address_is_accepted_and_normalised(value, stored):
    assert check_web_address(value) == stored
    assert check_web_address(stored) == stored  # normalising twice changes nothing


def test_the_stored_form_must_fit_the_column():
    # Fits as typed, but the percent-encoded form is longer.
    value = "https://example.org/" + "ü" * 80
    assert len(value) <= URL_MAX
    with pytest.raises(WebAddressError) as error:
        check_web_address(value, URL_MAX)
    assert str(error.value) == WEB_ADDRESS_TOO_LONG


@pytest.mark.parametrize(("value", "message"), BAD[:12])
def test_the_form_validator_keeps_what_was_typed_and_says_why(value, message):
    field = SimpleNamespace(data=value)
    with pytest.raises(ValidationError) as error:
        web_address(None, field)
    assert str(error.value) == message
    assert field.data == value


def test_the_form_validator_stores_the_normalised_form():
    field = SimpleNamespace(data="HTTPS://Bücher.DE/a/../b")
    web_address(None, field)
    assert field.data == "https://xn--bcher-kva.de/b"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/?a=1&b=2", True),
        ("mailto:me@example.org", True),
        ("https://bücher.de/ü", True),  # kept as typed in an href: valid as an IRI
        ("https://example.org/%zz", False),  # not normalised in an href: invalid there
        ("https://exa mple.org", False),
        ("mailto:me @example.org", False),
        ("mailto:", False),
        ("https://example.org:99999", False),
        ("https://user@example.org", False),
        ("https://example.org/" + "x" * 1500, True),  # links may be longer than a website
    ],
)
def test_which_urls_a_link_in_a_comment_may_carry(url, ok):
    assert check_link_url(url) is ok
