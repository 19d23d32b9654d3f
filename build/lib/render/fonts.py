"""The Simplified Chinese faces of Debian's fonts-noto-cjk collections, for Pillow.

A .ttc holds the JP, KR, SC, TC and HK faces; the index of SC is read from the face names rather than
assumed, so a repackaged collection cannot silently give Japanese glyph shapes.
"""

from functools import cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SERIF = "NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "NotoSerifCJK-Bold.ttc"
SANS = "NotoSansCJK-Regular.ttc"
SANS_BOLD = "NotoSansCJK-Bold.ttc"


class FontMissing(RuntimeError):
    """fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk)."""


@cache
def sc_index(collection: str) -> int:
    path = FONT_DIR / collection
    if not path.exists():
        raise FontMissing(f"{path} not found: install the Debian package fonts-noto-cjk")
    index = 0
    while True:
        try:
            family, _style = ImageFont.truetype(str(path), 12, index=index).getname()
        except OSError:
            break
        # "Noto Serif CJK SC", not the "Noto Sans Mono CJK SC" face that shares the file.
        if family is not None and family.endswith(" CJK SC") and "Mono" not in family:
            return index
        index += 1
    raise FontMissing(f"{path} has no Simplified Chinese (SC) face")


# Shared by the render threads: Pillow holds the GIL around FreeType calls (and locks each face in free-threaded
# builds), so one face object per size is safe and saves reopening a 20 MB collection.
@cache
def font(collection: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / collection), size, index=sc_index(collection))
