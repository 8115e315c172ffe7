"""The demo's pictures, drawn here with Pillow (nothing is downloaded): a river at sunrise and a
school roof of solar panels, each the featured image of its article."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

# 1200 x 675 (16:9): big enough for the 768 size, small enough to make in a fraction of a second.
SIZE = (1200, 675)


def _sky(draw: ImageDraw.ImageDraw, top: tuple, bottom: tuple) -> None:
    width, height = SIZE
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)


def river_at_sunrise() -> bytes:
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    _sky(draw, (255, 183, 120), (120, 170, 210))
    draw.ellipse((520, 250, 680, 410), fill=(255, 226, 140))
    draw.polygon(
        [(0, 420), (250, 330), (520, 400), (800, 310), (1200, 390), (1200, 675), (0, 675)],
        fill=(58, 110, 72),
    )
    draw.polygon([(380, 675), (560, 430), (640, 430), (900, 675)], fill=(70, 130, 190))
    for x in range(430, 860, 60):
        draw.line([(x, 600), (x + 30, 600)], fill=(200, 225, 245), width=4)
    return _png(image)


def solar_roof() -> bytes:
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    _sky(draw, (110, 170, 235), (200, 225, 245))
    draw.ellipse((980, 60, 1100, 180), fill=(255, 236, 150))
    draw.rectangle((150, 380, 1050, 675), fill=(196, 120, 88))
    draw.polygon([(100, 400), (600, 200), (1100, 400)], fill=(90, 90, 100))
    for row in range(3):
        for col in range(6):
            x = 300 + col * 100 - row * 50
            y = 300 + row * 30
            draw.polygon(
                [(x, y), (x + 90, y), (x + 75, y + 25), (x - 15, y + 25)],
                fill=(30, 60, 130),
                outline=(200, 210, 230),
            )
    for col in range(5):
        draw.rectangle((220 + col * 170, 460, 320 + col * 170, 560), fill=(235, 240, 245))
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# slug of the article -> (file name, drawing, alt text, caption)
FEATURED = {
    "river-clean-up-volunteers-count-results": (
        "river-at-sunrise.png",
        river_at_sunrise,
        "A river winding between green hills under an orange sunrise sky",
        "The river at sunrise, drawn for the demo.",
    ),
    "hillcrest-primary-solar-roof": (
        "solar-roof.png",
        solar_roof,
        "A brick school building with rows of blue solar panels on its grey roof",
        "Hillcrest Primary's new roof, drawn for the demo.",
    ),
}
