"""Local identicon avatars for reader comments, derived from a keyed hash of the email.

Why keyed: a plain hash of an email (Gravatar uses MD5, others SHA-256) is a public,
reversible-by-dictionary identifier. Anyone could hash a list of known addresses and learn
which commenter is which, or match our avatars against other sites'. An HMAC under the
app's secret is only computable by us, so the avatar key reveals nothing about the address.
The images are generated here, so no third-party request leaks readers' IP addresses either.
"""

from __future__ import annotations

import colorsys
import hashlib
import hmac

KEY_LENGTH = 32  # hex characters (128 bits): plenty to tell commenters apart
GRID = 5  # cells per side; columns mirror around the middle one
SIZE = 40  # rendered width and height in CSS pixels

# Domain separation: the same SECRET_KEY also signs sessions and CSRF tokens, so the key
# material is prefixed to make avatar HMACs unrelated to any other use of the secret.
_CONTEXT = b"avatar:"
_HEX_DIGITS = frozenset("0123456789abcdef")


def avatar_key(email: str, secret: str | bytes) -> str:
    """The public avatar key for an email: 32 hex chars of HMAC-SHA256 under the secret."""
    if isinstance(secret, str):
        secret = secret.encode()
    normalised = email.strip().lower().encode()
    return hmac.new(_CONTEXT + secret, normalised, hashlib.sha256).hexdigest()[:KEY_LENGTH]


def is_avatar_key(value: str) -> bool:
    """True for exactly 32 lowercase hex characters (safe to take from a URL)."""
    return len(value) == KEY_LENGTH and set(value) <= _HEX_DIGITS


def _hex_colour(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * 255) for channel in (red, green, blue)))


def identicon_svg(key: str) -> str:
    """A deterministic 5x5 mirror-symmetric identicon as an SVG document.

    Styling uses presentation attributes only (no style attribute or element), so the
    image is allowed by a strict ``style-src 'self'`` CSP; there is no script or link.
    """
    if not is_avatar_key(key):
        raise ValueError("not an avatar key")
    digest = bytes.fromhex(key)
    # Hue from the first two bytes; fixed saturation/lightness keep every colour legible.
    hue = int.from_bytes(digest[0:2], "big") / 65536
    foreground = _hex_colour(hue, 0.45, 0.65)
    background = _hex_colour(hue, 0.94, 0.35)
    # Cells from the next bytes: one bit per cell of the left half plus the middle column.
    bits = int.from_bytes(digest[2:4], "big")
    half = (GRID + 1) // 2
    cells = []
    for row in range(GRID):
        for col in range(half):
            if bits >> (row * half + col) & 1:
                for x in {col, GRID - 1 - col}:  # a set, so the middle column draws once
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Avatar" '
        f'width="{SIZE}" height="{SIZE}" viewBox="0 0 {GRID} {GRID}" '
        f'shape-rendering="crispEdges">'
        f'<rect width="{GRID}" height="{GRID}" fill="{background}"/>'
        f'<g fill="{foreground}">{"".join(sorted(cells))}</g>'
        "</svg>"
    )
