"""The verification QR code: the URL of the certificate's public verification page, nothing else."""

import io
from functools import lru_cache

import qrcode
from PIL import Image

# M survives a fold or a smudge on paper and keeps the symbol small enough for a phone camera at arm's length.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_QUIET_ZONE = 4  # modules; the standard's minimum, without which scanners miss the code next to other ink


def qr_image(url: str, module_px: int = 8) -> Image.Image:
    """Black on white, `module_px` pixels a module, quiet zone included; mode "1"."""
    matrix = _matrix(url)
    side = len(matrix)
    image = Image.new("1", (side, side), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    return image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


@lru_cache(maxsize=256)
def qr_png(url: str, module_px: int = 8) -> bytes:
    out = io.BytesIO()
    qr_image(url, module_px).save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=256)
def _matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, border=_QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())
