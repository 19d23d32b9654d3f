"""The certificate on A4 for print: one HTML template, WeasyPrint by default, wkhtmltopdf on request.

WeasyPrint is the default because it honours @page (margins, the frame, "第 N 页 共 M 页", the holder line atop
continuation pages, a table header repeated on every page) and its text extracts as written. It subsets the CJK
fonts through HarfBuzz when Debian's libharfbuzz-subset0 is present; without it, fontTools takes seconds a document.
"""

import base64
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import jinja2
from markupsafe import Markup

from render.certificate import (
    CODE_LABEL,
    VERIFY_LINE,
    Certificate,
    content_hash,
    format_date,
    format_hours,
    issuer_lines,
)
from render.qr import qr_png
from render.seal import seal_png

Engine = Literal["weasyprint", "wkhtmltopdf"]
ENGINES: tuple[Engine, ...] = ("weasyprint", "wkhtmltopdf")
_SEAL_PX = 480  # 40 mm printed at 300 dpi


def certificate_html(data: Certificate, engine: Engine = "weasyprint") -> str:
    """The print document as HTML; self-contained (QR and seal are data URIs), so it needs no base URL."""
    return _template().render(
        c=data,
        title=data.title,
        code_label=CODE_LABEL,
        verify_line=VERIFY_LINE,
        qr_png=base64.b64encode(qr_png(data.verify_url, module_px=8)).decode(),
        seal_png=base64.b64encode(seal_png(data.issuer, _SEAL_PX)).decode(),
        # (year, record, whether it opens its year), in the order the image lists them too
        rows=[(y, r, i == 0) for y in data.printed_years for i, r in enumerate(y.records)],
        wkhtmltopdf=engine == "wkhtmltopdf",
    )


def certificate_pdf(data: Certificate, engine: Engine = "weasyprint") -> bytes:
    """The A4 PDF; the same data and engine give the same bytes."""
    if engine == "weasyprint":
        return _weasyprint(data)
    if engine == "wkhtmltopdf":
        from render.wkhtml import wkhtmltopdf_pdf

        return wkhtmltopdf_pdf(certificate_html(data, engine))
    raise ValueError(f"unknown PDF engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _weasyprint(data: Certificate) -> bytes:
    import weasyprint  # imported on first use: it loads Pango and fontconfig, which take a while

    document = weasyprint.HTML(string=certificate_html(data))
    # The file identifier is otherwise random; the content hash is stable and as unique as the content.
    identifier = bytes.fromhex(content_hash(data))[:16]
    return document.write_pdf(pdf_identifier=identifier, cache=_image_cache(data.issuer))


def _image_cache(issuer: str) -> dict[object, object]:
    """WeasyPrint's image cache, seeded with the decoded seal so it is not re-encoded for every document.

    The first document of an issuer fills the shared dict; later ones get a copy, so their QR codes
    (one per certificate) die with the document instead of piling up.
    """
    shared = _issuer_images(issuer)
    return shared if not shared else dict(shared)


@lru_cache(maxsize=32)
def _issuer_images(issuer: str) -> dict[object, object]:
    return {}


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.globals.update(hours=format_hours, date=format_date, issuer_lines=issuer_lines)
    environment.filters["css_string"] = _css_string
    environment.filters["keep_tail"] = _keep_tail
    return environment.get_template("certificate.html")


# The last two letters of a text with whatever punctuation follows each (\w is any letter, CJK included).
_TAIL = re.compile(r"\w\W*\w\W*$")
_WORD_JOINER = "\u2060"  # forbids a line break, prints nothing and extracts as nothing
_NEVER_WRAPS = 12  # characters: the narrowest cell that gets a joiner (施教机构) holds 12 a line


def _keep_tail(value: str) -> str:
    """`value` with its last two characters joined, so a wrapped cell never ends on a line of one character.

    WeasyPrint has no `text-wrap: balance`; every line but the last is full, so only the last can be that short.
    A joiner costs nothing to lay out, where a `white-space: nowrap` span per cell made a PDF 7 % slower.
    """
    match = _TAIL.search(value) if len(value) > _NEVER_WRAPS else None
    if match is None:
        return value
    return value[: match.start()] + _WORD_JOINER.join(match[0])


def _css_string(value: str) -> Markup:
    """Text safe inside a double-quoted CSS string in a <style> element, where HTML escaping does not apply."""
    return Markup("".join(c if c.isalnum() or c in " -_." else f"\\{ord(c):x} " for c in value))
