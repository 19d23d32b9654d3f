"""The issuing body's round red seal, drawn by code: its name on the upper arc, a star, 专用章 text below.

The notice names the seal "XXX专业技术人员继续教育专用章"; XXX (the issuing body) runs along the arc as on a
real official seal, and the purpose reads across the bottom in two lines.
"""

import hashlib
import io
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from render.certificate import SEAL_PURPOSE
from render.fonts import SERIF_BOLD, font

SEAL_RED = (214, 28, 36)
_SUPERSAMPLE = 3
# Stamped ink is never perfectly even; the darkest spots stay a little see-through so text under it reads.
_INK_MIN, _INK_MAX = 0.78, 0.93
# The name's band: its outer edge, the largest type, the widest spread, the clear space between two characters
# (fractions of the radius, about 0.4 mm on a 40 mm seal), and how far the type may be narrowed before it shrinks.
_ARC_OUTER, _ARC_SIZE, _ARC_MIN_SIZE = 0.86, 0.23, 0.12
_ARC_SPAN, _ARC_GAP = 240.0, 0.02
_ARC_MAX_SQUEEZE, _ARC_MIN_SQUEEZE = 0.9, 0.58


def seal_image(issuer: str, diameter: int = 600) -> Image.Image:
    """RGBA seal on a transparent background; a fresh copy each call, so callers may paint on it."""
    return _seal(issuer, diameter).copy()


@lru_cache(maxsize=32)
def seal_png(issuer: str, diameter: int = 600) -> bytes:
    out = io.BytesIO()
    _seal(issuer, diameter).save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=32)
def _seal(issuer: str, diameter: int) -> Image.Image:
    size = diameter * _SUPERSAMPLE
    centre = size / 2
    radius = size / 2 * 0.97
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)

    ring = radius * 0.065
    draw.ellipse((centre - radius, centre - radius, centre + radius, centre + radius), outline=255, width=round(ring))
    _arc_text(mask, issuer, centre, radius)
    _star(draw, centre, centre - radius * 0.05, radius * 0.28)
    purpose_lines = (SEAL_PURPOSE[:6], SEAL_PURPOSE[6:])  # 专业技术人员 / 继续教育专用章
    for line, offset in zip(purpose_lines, (0.40, 0.62), strict=True):
        _line_text(mask, line, centre, centre + radius * offset, radius * 0.16)

    alpha = ImageChops.multiply(mask, _ink(issuer, size))
    seal = Image.new("RGBA", (size, size), (*SEAL_RED, 0))
    seal.putalpha(alpha)
    return seal.resize((diameter, diameter), Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class ArcGlyph:
    """One character of the issuer's name on the arc; lengths are fractions of the seal's radius."""

    char: str
    angle: float  # degrees clockwise from the top
    radius: float  # of the glyph's centre
    size: float  # the height of its em square
    squeeze: float  # its width over its height


@lru_cache(maxsize=32)
def arc_layout(issuer: str) -> tuple[ArcGlyph, ...]:
    """Where each character of the name sits: spread up to 240 degrees, then narrowed as in the long Song type
    cut for seals, then made smaller, so that neighbours keep a gap at their inner corners, where they are closest."""
    count = len(issuer)
    size = _ARC_SIZE
    while True:
        radius = _ARC_OUTER - size / 2
        step = min(size * 1.1 / radius, math.radians(_ARC_SPAN) / max(count - 1, 1))
        # Two neighbours' inner corners lie on a circle of radius - size/2, one step apart.
        room = 2 * (radius - size / 2) * math.sin(step / 2) - _ARC_GAP
        squeeze = min(_ARC_MAX_SQUEEZE, room / size)
        if squeeze >= _ARC_MIN_SQUEEZE or size <= _ARC_MIN_SIZE:
            break
        size *= 0.97
    first = -math.degrees(step) * (count - 1) / 2
    return tuple(ArcGlyph(char, first + i * math.degrees(step), radius, size, squeeze) for i, char in enumerate(issuer))


def _arc_text(mask: Image.Image, text: str, centre: float, radius: float) -> None:
    for placed in arc_layout(text):
        glyph = _glyph(placed.char, placed.size * radius, placed.squeeze)
        glyph = glyph.rotate(-placed.angle, resample=Image.Resampling.BICUBIC, expand=True)
        x = centre + placed.radius * radius * math.sin(math.radians(placed.angle))
        y = centre - placed.radius * radius * math.cos(math.radians(placed.angle))
        _stamp(mask, glyph, x, y)


def _line_text(mask: Image.Image, text: str, centre_x: float, centre_y: float, size: float) -> None:
    squeeze = 0.85
    advance = size * squeeze * 1.04
    first = centre_x - advance * (len(text) - 1) / 2
    for i, char in enumerate(text):
        _stamp(mask, _glyph(char, size, squeeze), first + i * advance, centre_y)


def _glyph(char: str, size: float, squeeze: float) -> Image.Image:
    box = round(size * 1.3)
    glyph = Image.new("L", (box, box), 0)
    ImageDraw.Draw(glyph).text((box / 2, box / 2), char, fill=255, font=font(SERIF_BOLD, round(size)), anchor="mm")
    return glyph.resize((max(1, round(box * squeeze)), box), Image.Resampling.LANCZOS)


def _stamp(mask: Image.Image, glyph: Image.Image, x: float, y: float) -> None:
    left, top = round(x - glyph.width / 2), round(y - glyph.height / 2)
    region = mask.crop((left, top, left + glyph.width, top + glyph.height))
    mask.paste(ImageChops.lighter(region, glyph), (left, top))


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, outer: float) -> None:
    inner = outer * 0.382  # the golden-ratio inner radius of a regular five-pointed star
    points = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.radians(k * 36)
        points.append((x + r * math.sin(a), y - r * math.cos(a)))
    draw.polygon(points, fill=255)


def _ink(issuer: str, size: int) -> Image.Image:
    """Soft uneven ink coverage, seeded by the issuer so every render of one seal is identical."""
    rng = random.Random(hashlib.sha256(issuer.encode()).digest())
    cells = 48
    noise = Image.new("L", (cells, cells))
    low, span = _INK_MIN * 255, (_INK_MAX - _INK_MIN) * 255
    noise.putdata([round(low + span * rng.random() ** 0.6) for _ in range(cells * cells)])
    return noise.resize((size, size), Image.Resampling.BICUBIC)
