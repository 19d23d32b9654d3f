"""The wkhtmltopdf engine, through pdfkit, for deployments that name it; WeasyPrint stays the default.

Debian's wkhtmltopdf is built on unpatched Qt, and two of its habits are corrected or accepted here:
- it ignores @page margins, so they are passed as command-line options; it cannot draw page headers or
  footers either, so this engine's pages carry no "第 N 页 共 M 页";
- its PDF maps a glyph back to the lowest code point that shares it, so 户 方 日 一 extract as the radicals
  ⼾ ⽅ ⽇ ⼀. The ToUnicode maps are rewritten to the ideograph that shares the radical's glyph in the SC face
  (not Unicode's NFKC, which turns ⼾ into the traditional 戶), so copied and searched text is right.
"""

import io
import os
import re
import shutil
from functools import cache

from render.fonts import FONT_DIR, SERIF, sc_index

_RADICALS = range(0x2E80, 0x2FE0)  # CJK Radicals Supplement and Kangxi Radicals
_UNIFIED = (range(0x4E00, 0xA000), range(0x3400, 0x4DC0))
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_RANGE_ENTRY = re.compile(rb"(<[0-9A-Fa-f]+>)\s*(<[0-9A-Fa-f]+>)\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)")
_CHAR_ENTRY = re.compile(rb"(<[0-9A-Fa-f]+>)\s*(<[0-9A-Fa-f]+>)")


@cache
def wkhtmltopdf_path() -> str | None:
    return shutil.which("wkhtmltopdf")


def wkhtmltopdf_pdf(html: str) -> bytes:
    import pdfkit

    path = wkhtmltopdf_path()
    if path is None:
        raise RuntimeError("PDF engine wkhtmltopdf is not installed (Debian package wkhtmltopdf)")
    # offscreen: Qt would otherwise look for an X display. A fixed hash seed: Qt writes the fonts in the order
    # of a hash table, which is randomised per process unless seeded.
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_HASH_SEED": "0"}
    configuration = pdfkit.configuration(wkhtmltopdf=path, environ=environ)
    options = {
        "page-size": "A4",
        "margin-top": "18mm",
        "margin-bottom": "18mm",
        "margin-left": "16mm",
        "margin-right": "16mm",
        "encoding": "UTF-8",
        "quiet": "",
    }
    pdf = pdfkit.from_string(html, False, options=options, configuration=configuration)
    return _post_process(pdf)


def _post_process(pdf: bytes) -> bytes:
    """Fix the ToUnicode maps and drop the creation time, the one thing that varies between runs."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    done: set[int] = set()
    for page in writer.pages:
        resources = page.get(NameObject("/Resources"))
        fonts = resources.get_object().get(NameObject("/Font")) if resources is not None else None
        for font in fonts.get_object().values() if fonts is not None else ():
            to_unicode = font.get_object().get(NameObject("/ToUnicode"))
            if to_unicode is None or to_unicode.idnum in done:
                continue
            done.add(to_unicode.idnum)  # fonts are shared between pages; each map is fixed once
            stream = to_unicode.get_object()
            stream.set_data(_fix_cmap(stream.get_data()))
    if writer.metadata is not None:
        writer.metadata = {k: v for k, v in writer.metadata.items() if k not in ("/CreationDate", "/ModDate")}
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _fix_cmap(cmap: bytes) -> bytes:
    """Rewrite destination code points (never the glyph codes) that are radicals to their ideographs."""

    def char_block(block: re.Match[bytes]) -> bytes:
        entries = _CHAR_ENTRY.sub(lambda m: m[1] + b" " + _ideograph(m[2]), block[1])
        return b"beginbfchar" + entries + b"endbfchar"

    def range_entry(m: re.Match[bytes]) -> bytes:
        low, high, target = m[1], m[2], m[3]
        if target.startswith(b"["):
            return low + b" " + high + b" [" + _HEX.sub(lambda t: _ideograph(t[0]), target[1:-1]) + b"]"
        first, count = int(target[1:-1], 16), int(high[1:-1], 16) - int(low[1:-1], 16) + 1
        if not any(code in _RADICALS for code in range(first, first + count)):
            return m[0]
        # A run that includes a radical stops being consecutive once fixed: spell it out as an array.
        spelled = b" ".join(_ideograph(b"<%04X>" % code) for code in range(first, first + count))
        return low + b" " + high + b" [" + spelled + b"]"

    def range_block(block: re.Match[bytes]) -> bytes:
        return b"beginbfrange" + _RANGE_ENTRY.sub(range_entry, block[1]) + b"endbfrange"

    return _BFRANGE.sub(range_block, _BFCHAR.sub(char_block, cmap))


def _ideograph(token: bytes) -> bytes:
    hex_digits = token.strip(b"<>")
    if len(hex_digits) != 4:
        return token
    ideograph = _radical_ideographs().get(int(hex_digits, 16))
    return token if ideograph is None else b"<%04X>" % ideograph


@cache
def _radical_ideographs() -> dict[int, int]:
    """Radical code point -> the ideograph drawn with the same glyph in the SC face (CJK Unified preferred)."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(FONT_DIR / SERIF), fontNumber=sc_index(SERIF), lazy=True)["cmap"].getBestCmap()
    by_glyph: dict[str, list[int]] = {}
    for code, glyph in cmap.items():
        by_glyph.setdefault(glyph, []).append(code)
    mapping = {}
    for code, glyph in cmap.items():
        if code in _RADICALS:
            others = [c for c in by_glyph[glyph] if c not in _RADICALS and c <= 0xFFFF]
            unified = [c for c in others if any(c in block for block in _UNIFIED)]
            if unified or others:
                mapping[code] = min(unified or others)
    return mapping
