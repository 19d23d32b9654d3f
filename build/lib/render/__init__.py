"""Certificate rendering: data in, bytes out. No database, no WeChat."""

from render.cache import (
    RenderCache,
    cached_pdf,
    cached_png,
    default_cache,
    render_in_thread,
    render_pdf,
    render_png,
)
from render.certificate import (
    SEAL_PURPOSE,
    Category,
    Certificate,
    HoursRecord,
    RecordSource,
    YearHours,
    content_hash,
)
from render.pdf import Engine, certificate_html, certificate_pdf
from render.png import certificate_png
from render.qr import qr_png
from render.seal import seal_png
from render.warm import warm_up
from render.wkhtml import wkhtmltopdf_path
from storage.vocabulary import PROVINCE_ISSUER

__all__ = [
    "PROVINCE_ISSUER",
    "SEAL_PURPOSE",
    "Category",
    "Certificate",
    "Engine",
    "HoursRecord",
    "RecordSource",
    "RenderCache",
    "YearHours",
    "cached_pdf",
    "cached_png",
    "certificate_html",
    "certificate_pdf",
    "certificate_png",
    "content_hash",
    "default_cache",
    "qr_png",
    "render_in_thread",
    "render_pdf",
    "render_png",
    "seal_png",
    "warm_up",
    "wkhtmltopdf_path",
]
